//! Runs the SQL battery in `corpus/escapes/` against a throw-away
//! PostgreSQL 15 server with `extguard` preloaded, and checks the records.
//!
//! Needs the extension freshly installed in the server's directories
//! (`cargo pgrx install`, done by `make test-pg` just before) and a
//! `postgres` OS user to run the server as. The tests run only with
//! `EXTGUARD_E2E=1` (set by `make test-pg`), so a plain `cargo test` does
//! not pick up a stale installed library; with it, a missing server,
//! library or user is a failure, never a skip.

use extguard_e2e::{pg_config, pg_major};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Port of the throw-away server: 5482 + the major version (5497 for 15),
/// so the battery of each version has its own.
fn port() -> String {
    (5482 + pg_major().expect("pg_config reports a version")).to_string()
}

/// A server in a temp dir on a unix socket only; stopped on drop.
struct Server {
    bindir: PathBuf,
    dir: tempfile::TempDir,
}

impl Server {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }
    fn audit_file(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    fn as_postgres(&self, prog: &str) -> Command {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(self.bindir.join(prog));
        c.env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE");
        c
    }

    fn start(bindir: PathBuf) -> Server {
        let dir = tempfile::Builder::new()
            .prefix("extguard-e2e")
            .tempdir()
            .unwrap();
        let st = Command::new("chown")
            .arg("postgres:")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(st.success(), "chown temp dir to postgres");
        let s = Server { bindir, dir };
        let out = s
            .as_postgres("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(s.data())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let opts = format!(
            "-c shared_preload_libraries=extguard -c listen_addresses='' -k {} -p {} \
             -c extguard.audit_file={} -c fsync=off",
            s.dir.path().display(),
            port(),
            s.audit_file().display()
        );
        let out = s
            .as_postgres("pg_ctl")
            .arg("-D")
            .arg(s.data())
            .arg("-l")
            .arg(s.log())
            .args(["-o", &opts, "-w", "-t", "60", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(s.log()).unwrap_or_default()
        );
        s
    }

    fn psql(&self, user: &str, args: &[&str]) -> Output {
        self.as_postgres("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0", "-h"])
            .arg(self.dir.path())
            .args(["-p", &port(), "-U", user, "-d", "postgres"])
            .args(args)
            .output()
            .unwrap()
    }

    /// Run SQL as postgres that must succeed; stdout.
    fn sql(&self, sql: &str) -> String {
        let out = self.psql("postgres", &["-v", "ON_ERROR_STOP=1", "-c", sql]);
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn last_seq(&self) -> i64 {
        self.sql("SELECT (extguard.audit_stats()->>'last_seq')::bigint")
            .parse()
            .unwrap()
    }

    fn records_after(&self, seq: i64) -> Vec<Value> {
        self.sql(&format!(
            "SELECT r FROM extguard.audit_events() r WHERE (r->>'seq')::bigint > {seq} \
             ORDER BY (r->>'seq')::bigint"
        ))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// Parsed `-- key: value` annotations of one battery file.
#[derive(Default)]
struct Expect {
    records: Vec<String>,
    role: Option<String>,
    errors: Vec<String>,
    errors_ok: bool,
    forbid: Vec<String>,
    details: Vec<String>,
    /// `-- versions: 16-`: the PostgreSQL major versions the file runs on.
    versions: Option<String>,
}

/// Whether `major` is in a version range: `16`, `16-`, `-17`, `15-16`.
fn in_versions(spec: &str, major: u32) -> bool {
    let parse = |s: &str, default: u32| -> u32 {
        let s = s.trim();
        if s.is_empty() {
            default
        } else {
            s.parse()
                .unwrap_or_else(|_| panic!("bad version range {spec:?}"))
        }
    };
    match spec.split_once('-') {
        Some((lo, hi)) => (parse(lo, 0)..=parse(hi, u32::MAX)).contains(&major),
        None => parse(spec, 0) == major,
    }
}

/// Parse the annotations for server version `major`: lines of the form
/// `-- expect(16-): ...` (any annotation key with a version range in
/// parentheses) apply only to those versions.
fn parse_expect(sql: &str, major: u32) -> Expect {
    let mut e = Expect::default();
    for line in sql.lines() {
        let Some(mut rest) = line.strip_prefix("-- ") else {
            continue;
        };
        let scoped;
        if let Some((key, tail)) = rest.split_once("): ") {
            if let Some((key, range)) = key.split_once('(') {
                if !key.contains(' ') {
                    if !in_versions(range, major) {
                        continue;
                    }
                    scoped = format!("{key}: {tail}");
                    rest = &scoped;
                }
            }
        }
        if let Some(v) = rest.strip_prefix("versions: ") {
            e.versions = Some(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("expect: ") {
            let mut parts = v.split_whitespace();
            let (id, outcome) = (parts.next().unwrap(), parts.next().unwrap());
            e.records.push(format!("{id} {outcome}"));
        } else if let Some(v) = rest.strip_prefix("as: ") {
            e.role = Some(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("expect-error: ") {
            e.errors.push(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("expect-detail: ") {
            e.details.push(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("forbid: ") {
            e.forbid.push(v.trim().to_string());
        } else if rest.trim() == "errors-ok" {
            e.errors_ok = true;
        }
    }
    e
}

fn counts(items: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.clone()).or_insert(0) += 1;
    }
    m
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/escapes")
}

fn required() -> bool {
    std::env::var("EXTGUARD_E2E").is_ok_and(|v| v == "1")
}

/// The bindir, or None (skip) when the server or extension is not there.
fn environment() -> Option<PathBuf> {
    if !required() {
        eprintln!("skipping extguard e2e battery: EXTGUARD_E2E is not 1 (run `make test-pg`)");
        return None;
    }
    let missing = |why: &str| -> Option<PathBuf> { panic!("EXTGUARD_E2E=1 but {why}") };
    let Some(bindir) = pg_config("--bindir") else {
        return missing("no pg_config");
    };
    let Some(pkglib) = pg_config("--pkglibdir") else {
        return missing("no pg_config");
    };
    if !Path::new(&pkglib).join("extguard.so").exists() {
        return missing("extguard.so is not installed");
    }
    let has_user = Command::new("id")
        .arg("postgres")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_user {
        return missing("there is no postgres OS user");
    }
    Some(PathBuf::from(bindir))
}

#[test]
fn escape_battery() {
    let Some(bindir) = environment() else { return };
    let major = pg_major().expect("pg_config reports a version");
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    server.sql("CREATE ROLE eg_alice LOGIN");
    server.sql("CREATE ROLE eg_reader LOGIN IN ROLE extguard_reader");
    let first_seq = server.last_seq();

    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "battery files found: {}", files.len());

    let mut failures = Vec::new();
    let mut all_records = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let sql = std::fs::read_to_string(file).unwrap();
        let exp = parse_expect(&sql, major);
        if let Some(v) = &exp.versions {
            if !in_versions(v, major) {
                eprintln!("{name}: not for PostgreSQL {major} (versions: {v})");
                continue;
            }
        }
        let role = exp.role.clone().unwrap_or_else(|| "postgres".into());
        let before = server.last_seq();
        // psql runs as the postgres OS user: copy the file where it can read it.
        let copy = server.dir.path().join(&name);
        std::fs::write(&copy, &sql).unwrap();
        let out = server.psql(&role, &["-f", copy.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();

        // The server must have survived the file.
        let alive = server.psql("postgres", &["-c", "SELECT 1"]);
        assert!(alive.status.success(), "{name}: server died:\n{stderr}");

        let recs = server.records_after(before);
        let got: Vec<String> = recs
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["vector"].as_str().unwrap_or("?"),
                    r["outcome"].as_str().unwrap_or("?")
                )
            })
            .collect();
        if counts(&got) != counts(&exp.records) {
            failures.push(format!(
                "{name}: records\n  expected {:?}\n  got      {:?}",
                counts(&exp.records),
                counts(&got)
            ));
        }
        for r in &recs {
            // SET SESSION AUTHORIZATION changes the session user itself.
            let identity_switch = r["vector"] == "set_role";
            if r["session_user"] != role.as_str() && !identity_switch {
                failures.push(format!(
                    "{name}: session_user {} != {role}: {r}",
                    r["session_user"]
                ));
            }
            if r["superuser"].as_bool() != Some(role == "postgres") && !identity_switch {
                failures.push(format!("{name}: superuser flag wrong: {r}"));
            }
            let in_script = r["top_query"]
                .as_str()
                .unwrap_or("")
                .starts_with("CREATE EXTENSION");
            if r["database"] != "postgres" || r["in_extension_script"] != in_script {
                failures.push(format!("{name}: database/in_extension_script wrong: {r}"));
            }
            let detail = r["detail"].as_str().unwrap_or("");
            for f in &exp.forbid {
                if detail.contains(f.as_str()) {
                    failures.push(format!("{name}: detail leaks {f:?}: {detail}"));
                }
            }
        }
        for d in &exp.details {
            if !recs
                .iter()
                .any(|r| r["detail"].as_str().unwrap_or("").contains(d.as_str()))
            {
                failures.push(format!("{name}: no record detail contains {d:?}"));
            }
        }
        for e in &exp.errors {
            if !stderr.contains(e.as_str()) {
                failures.push(format!("{name}: expected error {e:?} not in:\n{stderr}"));
            }
        }
        if exp.errors.is_empty() && !exp.errors_ok && stderr.contains("ERROR") {
            failures.push(format!("{name}: unexpected error:\n{stderr}"));
        }
        all_records.extend(recs);
    }

    // Sequence numbers are contiguous and the postmaster start is constant.
    let seqs: Vec<i64> = all_records
        .iter()
        .map(|r| r["seq"].as_i64().unwrap())
        .collect();
    let last = server.last_seq();
    assert_eq!(
        seqs,
        ((first_seq + 1)..=last).collect::<Vec<_>>(),
        "gap in sequence numbers"
    );
    let starts: std::collections::BTreeSet<&str> = all_records
        .iter()
        .map(|r| r["postmaster_start"].as_str().unwrap())
        .collect();
    assert_eq!(starts.len(), 1, "postmaster_start varies: {starts:?}");
    let epochs: std::collections::BTreeSet<&str> = all_records
        .iter()
        .map(|r| r["seq_epoch"].as_str().unwrap())
        .collect();
    assert_eq!(epochs.len(), 1, "seq_epoch varies: {epochs:?}");

    // Every ring record is also in the audit file and the server log, identical.
    let file_lines = std::fs::read_to_string(server.audit_file()).unwrap();
    let file_recs: BTreeMap<i64, Value> = file_lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["seq"].as_i64().unwrap(), v))
        .collect();
    let log = std::fs::read_to_string(server.log()).unwrap();
    let log_recs: BTreeMap<i64, Value> = log
        .lines()
        .filter_map(|l| l.split_once("EXTGUARD_AUDIT ").map(|(_, j)| j))
        .map(|j| serde_json::from_str::<Value>(j).unwrap())
        .map(|v| (v["seq"].as_i64().unwrap(), v))
        .collect();
    for r in &all_records {
        let seq = r["seq"].as_i64().unwrap();
        if file_recs.get(&seq) != Some(r) {
            failures.push(format!("audit file lacks or differs for seq {seq}"));
        }
        if log_recs.get(&seq) != Some(r) {
            failures.push(format!("server log lacks or differs for seq {seq}"));
        }
    }
    assert!(
        !log.contains("terminated by signal"),
        "a backend crashed:\n{log}"
    );
    // The statement is hidden from the log line (errhidestmt).
    for l in log
        .lines()
        .skip_while(|l| !l.contains("EXTGUARD_AUDIT"))
        .take(2)
    {
        assert!(!l.contains("STATEMENT:"), "statement not hidden: {l}");
    }

    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ring_overflow_is_visible() {
    let Some(bindir) = environment() else { return };
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    // More records than the ring holds (1024): LOAD is cheap to repeat.
    let n = 1100;
    server.sql(&format!(
        "DO $$ BEGIN FOR i IN 1..{n} LOOP EXECUTE 'LOAD ''auto_explain'''; END LOOP; END $$"
    ));
    let stats: Value = serde_json::from_str(&server.sql("SELECT extguard.audit_stats()")).unwrap();
    let last = stats["last_seq"].as_i64().unwrap();
    let cap = stats["capacity"].as_i64().unwrap();
    assert!(last >= n, "{stats}");
    assert_eq!(
        stats["overwritten"].as_i64().unwrap(),
        last - cap,
        "{stats}"
    );
    let recs = server.records_after(0);
    assert_eq!(recs.len() as i64, cap);
    assert_eq!(
        recs[0]["seq"].as_i64().unwrap(),
        last - cap + 1,
        "oldest kept record"
    );
    // The log still has every record.
    let log = std::fs::read_to_string(server.log()).unwrap();
    assert_eq!(log.matches("EXTGUARD_AUDIT ").count() as i64, last);
}

#[test]
fn crash_restart_starts_a_new_seq_epoch() {
    let Some(bindir) = environment() else { return };
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    server.sql("LOAD 'auto_explain'");
    let before = server
        .records_after(0)
        .pop()
        .expect("a record before the crash");

    // Crash one backend: the postmaster then restarts all and resets
    // shared memory, so the ring and the counter start over.
    let mut sleeper = server
        .as_postgres("psql")
        .args(["-X", "-h"])
        .arg(server.dir.path())
        .args([
            "-p",
            &port(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "SELECT pg_sleep(60)",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut pid = String::new();
    for _ in 0..100 {
        pid = server.sql("SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'");
        if !pid.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!pid.is_empty(), "sleeping backend not found");
    assert!(Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    let _ = sleeper.wait();
    let mut back = false;
    for _ in 0..300 {
        if server
            .psql("postgres", &["-c", "SELECT 1"])
            .status
            .success()
        {
            back = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(back, "server did not come back after the crash");

    server.sql("LOAD 'auto_explain'");
    let recs = server.records_after(0);
    assert_eq!(
        recs.len(),
        1,
        "ring was reset by the crash-restart: {recs:?}"
    );
    let after = &recs[0];
    assert_eq!(after["seq"], 1);
    assert_eq!(after["postmaster_start"], before["postmaster_start"]);
    assert_ne!(
        after["seq_epoch"], before["seq_epoch"],
        "seq_epoch must mark the restart"
    );
    // The server log kept the record made before the crash.
    let log = std::fs::read_to_string(server.log()).unwrap();
    assert!(
        log.contains(&format!("EXTGUARD_AUDIT {before}")),
        "pre-crash record lost from log"
    );
}

/// Run pgbench with `corpus/escapes/load/mixed.pgbench` as postgres; returns
/// the number of transactions processed (the run must have no failure).
fn pgbench(server: &Server, app: &str, args: &[&str]) -> u64 {
    let script = corpus_dir().join("load/mixed.pgbench");
    // The server user must read the script: copy it into the server's dir.
    let copy = server.dir.path().join("mixed.pgbench");
    std::fs::copy(&script, &copy).unwrap();
    let out = server
        .as_postgres("pgbench")
        .env("PGAPPNAME", app)
        .args(["-n", "-h"])
        .arg(server.dir.path())
        .args(["-p", &port(), "-U", "postgres", "-f"])
        .arg(&copy)
        .args(args)
        .arg("postgres")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pgbench {args:?}: {stdout}\n{stderr}");
    assert!(
        !stderr.contains("aborted") && !stdout.contains("aborted"),
        "a pgbench client aborted: {stdout}\n{stderr}"
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("number of transactions actually processed:"))
        .unwrap_or_else(|| panic!("no transaction count in: {stdout}"));
    let n = line
        .split(':')
        .nth(1)
        .unwrap()
        // "N" with -T, "N/M" with -t
        .split(|c: char| c.is_whitespace() || c == '/')
        .find(|w| !w.is_empty())
        .unwrap();
    if let Some(failed) = stdout
        .lines()
        .find(|l| l.starts_with("number of failed transactions:"))
    {
        assert!(failed.contains(": 0 "), "{failed}");
    }
    n.parse().unwrap()
}

/// Every record of the audit file, in file order.
fn audit_file_records(server: &Server) -> Vec<Value> {
    std::fs::read_to_string(server.audit_file())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad audit line {l:?}: {e}")))
        .collect()
}

/// Records per vector id for one application_name.
fn vectors_of(records: &[Value], app: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for r in records.iter().filter(|r| r["application_name"] == app) {
        *m.entry(r["vector"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

/// Issue 8 §4: 8 pgbench clients mixing escape attempts with ordinary
/// queries for 60 s (EXTGUARD_LOAD_SECONDS): every attempt is recorded,
/// sequence numbers have no gaps, the ring overflow is visible, and no
/// backend crashes.
#[test]
fn audit_under_load() {
    let Some(bindir) = environment() else { return };
    let seconds = std::env::var("EXTGUARD_LOAD_SECONDS").unwrap_or_else(|_| "60".into());
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    server.sql("CREATE ROLE eg_load_role");
    server.sql(
        "CREATE TABLE eg_load(id int PRIMARY KEY, v bigint NOT NULL DEFAULT 0); \
         INSERT INTO eg_load(id) SELECT generate_series(1, 1011)",
    );
    let started = server.sql("SELECT pg_postmaster_start_time()");

    // One transaction of the script, alone: what each transaction records.
    assert_eq!(pgbench(&server, "eg_calibrate", &["-c", "1", "-t", "1"]), 1);
    let per_txn = vectors_of(&audit_file_records(&server), "eg_calibrate");
    for v in [
        "file_read",
        "file_list",
        "sensitive_setting",
        "copy_program",
        "load",
        "alter_system",
        "set_role",
    ] {
        assert!(
            per_txn.contains_key(v),
            "one transaction of the script recorded no {v}: {per_txn:?}"
        );
    }

    let txns = pgbench(&server, "eg_load", &["-c", "8", "-j", "2", "-T", &seconds]);
    assert!(txns > 100, "only {txns} transactions in {seconds} s");

    // The server stayed up, without a crash-restart.
    assert_eq!(server.sql("SELECT pg_postmaster_start_time()"), started);
    let log = std::fs::read_to_string(server.log()).unwrap();
    for bad in [
        "terminated by signal",
        "was terminated",
        "PANIC",
        "all server processes terminated",
    ] {
        assert!(!log.contains(bad), "server log has {bad:?}");
    }

    // Every attempt recorded: per vector, exactly txns times one transaction.
    let records = audit_file_records(&server);
    let expected: BTreeMap<String, u64> =
        per_txn.iter().map(|(v, n)| (v.clone(), n * txns)).collect();
    assert_eq!(
        vectors_of(&records, "eg_load"),
        expected,
        "{txns} transactions"
    );

    // Sequence numbers: unique, without gaps, one epoch.
    let mut seqs: Vec<i64> = records.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    seqs.sort_unstable();
    let last = *seqs.last().unwrap();
    assert_eq!(
        seqs,
        (1..=last).collect::<Vec<_>>(),
        "gap or duplicate in the sequence"
    );
    let epochs: std::collections::BTreeSet<String> =
        records.iter().map(|r| r["seq_epoch"].to_string()).collect();
    assert_eq!(epochs.len(), 1, "{epochs:?}");

    // The ring wrapped many times; the overflow is visible and what it
    // keeps is the newest `capacity` records, without gaps.
    let stats: Value = serde_json::from_str(&server.sql("SELECT extguard.audit_stats()")).unwrap();
    let cap = stats["capacity"].as_i64().unwrap();
    assert!(last > 2 * cap, "the ring did not wrap: {stats}");
    let ring_last = stats["last_seq"].as_i64().unwrap();
    assert!(ring_last >= last, "{stats}");
    assert_eq!(
        stats["overwritten"].as_i64().unwrap(),
        ring_last - cap,
        "{stats}"
    );
    let kept: Vec<i64> = server
        .records_after(0)
        .iter()
        .map(|r| r["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(kept, (ring_last - cap + 1..=ring_last).collect::<Vec<_>>());
    eprintln!(
        "audit_under_load: {txns} transactions by 8 clients in {seconds} s, {last} records \
         ({per_txn:?} per transaction), ring capacity {cap}, overwritten {}",
        stats["overwritten"]
    );
    // The server log has every record too.
    let log = std::fs::read_to_string(server.log()).unwrap();
    assert!(log.matches("EXTGUARD_AUDIT ").count() as i64 >= last);
}

#[test]
fn version_ranges_and_scoped_annotations() {
    assert!(in_versions("16", 16) && !in_versions("16", 17));
    assert!(in_versions("16-", 18) && !in_versions("16-", 15));
    assert!(in_versions("-16", 15) && !in_versions("-16", 17));
    assert!(in_versions("15-16", 16) && !in_versions("15-16", 17));
    let sql = "-- versions: 16-\n-- expect: load attempted\n-- expect(17-): set_role attempted\n\
               -- expect-error(-16): permission denied\nSELECT 1;\n";
    let e16 = parse_expect(sql, 16);
    assert_eq!(e16.versions.as_deref(), Some("16-"));
    assert_eq!(e16.records, vec!["load attempted"]);
    assert_eq!(e16.errors, vec!["permission denied"]);
    let e18 = parse_expect(sql, 18);
    assert_eq!(e18.records, vec!["load attempted", "set_role attempted"]);
    assert!(e18.errors.is_empty());
}
