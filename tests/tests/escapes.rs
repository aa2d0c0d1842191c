//! Runs the SQL battery in `corpus/escapes/` against a throw-away
//! PostgreSQL server with `extguard` preloaded, and checks the records. The
//! server is `$EXTGUARD_PG_CONFIG`'s (`make test-pg` runs this once per
//! version, 15 to 18), else the `pg_config` on PATH.
//!
//! Needs the extension freshly installed in the server's directories
//! (`cargo pgrx install`, done by `make test-pg` just before) and a
//! `postgres` OS user to run the server as. The tests run only with
//! `EXTGUARD_E2E=1` (set by `make test-pg`), so a plain `cargo test` does
//! not pick up a stale installed library; with it, a missing server,
//! library or user is a failure, never a skip.

use extguard_analyzer::audit_mac;
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
    /// The cluster's audit key (created by extguard at first start).
    fn audit_key(&self) -> Vec<u8> {
        let text = std::fs::read_to_string(self.data().join("extguard_audit.key")).unwrap();
        audit_mac::key_from_text(&text).unwrap().to_vec()
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
             -c extguard.audit_file={} -c fsync=off -c wal_level=logical",
            s.dir.path().display(),
            port(),
            s.audit_file().display()
        );
        // RUST_BACKTRACE=1 in the server's environment: no error a client
        // sees may carry a Rust backtrace or build paths anyway.
        let out = s
            .as_postgres("pg_ctl")
            .env("RUST_BACKTRACE", "1")
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
        self.psql_with(user, "postgres", None, args)
    }

    /// psql in database `db` with connection options (`PGOPTIONS`, e.g.
    /// `-c log_min_messages=panic`).
    fn psql_with(&self, user: &str, db: &str, options: Option<&str>, args: &[&str]) -> Output {
        let mut c = self.as_postgres("psql");
        if let Some(o) = options {
            c.env("PGOPTIONS", o);
        }
        c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0", "-h"])
            .arg(self.dir.path())
            .args(["-p", &port(), "-U", user, "-d", db])
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
    options: Option<String>,
    secrets: Vec<String>,
    identity_switch: bool,
    forged_log_lines: usize,
    /// `key=value` (equal) or `key~=text` (contains): some record's field.
    fields: Vec<String>,
    /// Database to run in and its encoding (created if missing).
    database: Option<(String, String)>,
    /// `-- versions: 16-`: the PostgreSQL major versions the file runs on.
    versions: Option<String>,
}

/// Whether some record's field matches `spec` (`key=value` or `key~=text`).
fn field_matches(recs: &[Value], spec: &str) -> bool {
    let (key, want, contains) = match spec.split_once("~=") {
        Some((k, v)) => (k, v, true),
        None => {
            let (k, v) = spec.split_once('=').unwrap_or((spec, ""));
            (k, v, false)
        }
    };
    recs.iter().any(|r| {
        let got = match &r[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if contains {
            got.contains(want)
        } else {
            got == want
        }
    })
}

/// psql variables the battery's files use for names that differ between
/// PostgreSQL versions (`:'rotate'`, `:parallel`).
fn version_names(major: u32) -> [(&'static str, &'static str); 2] {
    [
        // The C function of pg_rotate_logfile().
        (
            "rotate",
            if major >= 17 {
                "pg_rotate_logfile"
            } else {
                "pg_rotate_logfile_v2"
            },
        ),
        // force_parallel_mode was renamed in 16.
        (
            "parallel",
            if major >= 16 {
                "debug_parallel_query"
            } else {
                "force_parallel_mode"
            },
        ),
    ]
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
            // optional repeat count: `x3`
            let n = parts
                .next()
                .and_then(|c| c.strip_prefix('x'))
                .map_or(1, |c| c.parse::<usize>().unwrap());
            for _ in 0..n {
                e.records.push(format!("{id} {outcome}"));
            }
        } else if let Some(v) = rest.strip_prefix("options: ") {
            e.options = Some(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("secret: ") {
            e.secrets.push(v.trim().to_string());
        } else if rest.trim() == "identity-switch" {
            e.identity_switch = true;
        } else if let Some(v) = rest.strip_prefix("forged-log-lines: ") {
            e.forged_log_lines = v.trim().parse().unwrap();
        } else if let Some(v) = rest.strip_prefix("as: ") {
            e.role = Some(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("expect-error: ") {
            e.errors.push(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("expect-detail: ") {
            e.details.push(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("forbid: ") {
            e.forbid.push(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("expect-field: ") {
            e.fields.push(v.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("database: ") {
            let mut parts = v.split_whitespace();
            let name = parts.next().unwrap().to_string();
            let encoding = parts.next().unwrap_or("UTF8").to_string();
            e.database = Some((name, encoding));
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
    // a tenant admin: CREATEROLE without superuser
    server.sql("CREATE ROLE eg_creator LOGIN CREATEROLE");
    let first_seq = server.last_seq();

    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "battery files found: {}", files.len());
    // EXTGUARD_BATTERY_ONLY=64,65: only files whose name starts with one of
    // these prefixes (while working on a few files; `make test` runs all).
    if let Ok(only) = std::env::var("EXTGUARD_BATTERY_ONLY") {
        let prefixes: Vec<&str> = only.split(',').map(str::trim).collect();
        files.retain(|f| {
            let name = f.file_name().unwrap().to_string_lossy();
            prefixes.iter().any(|p| name.starts_with(p))
        });
    }

    let mut failures = Vec::new();
    let mut all_records = Vec::new();
    let mut secrets: Vec<String> = Vec::new();
    let mut forged_log_lines = 0;
    let (mut run, mut expected) = (0, 0);
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
        run += 1;
        expected += exp.records.len();
        let role = exp.role.clone().unwrap_or_else(|| "postgres".into());
        let db = match &exp.database {
            Some((name, encoding)) => {
                let exists = server.sql(&format!(
                    "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
                ));
                if exists == "0" {
                    server.sql(&format!(
                        "CREATE DATABASE {name} ENCODING '{encoding}' LC_COLLATE 'C' \
                         LC_CTYPE 'C' TEMPLATE template0"
                    ));
                }
                name.clone()
            }
            None => "postgres".to_string(),
        };
        let before = server.last_seq();
        // psql runs as the postgres OS user: copy the file where it can read it.
        let copy = server.dir.path().join(&name);
        std::fs::write(&copy, &sql).unwrap();
        let mut args = vec!["-v".to_string(), "VERBOSITY=verbose".to_string()];
        for (var, value) in version_names(major) {
            args.extend(["-v".to_string(), format!("{var}={value}")]);
        }
        args.extend(["-f".to_string(), copy.to_str().unwrap().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = server.psql_with(&role, &db, exp.options.as_deref(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        // No error shows Rust internals (backtraces, build paths), even with
        // RUST_BACKTRACE=1 in the server's environment.
        // (A wasm trap's DETAIL shows the guest's "wasm backtrace": that is
        // the module's own frames, not Rust's.)
        for bad in [
            ".rs:",
            ".rs\n",
            "stack backtrace",
            "rust_begin_unwind",
            "/.cargo/",
            "/rustc/",
            "panicked",
        ] {
            if stderr.contains(bad) {
                failures.push(format!(
                    "{name}: client saw Rust internals ({bad:?}):\n{stderr}"
                ));
            }
        }
        secrets.extend(exp.secrets.iter().cloned());
        forged_log_lines += exp.forged_log_lines;

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
            let identity_switch = r["vector"] == "set_role" || exp.identity_switch;
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
            if r["database"] != db.as_str() || r["in_extension_script"] != in_script {
                failures.push(format!("{name}: database/in_extension_script wrong: {r}"));
            }
            let detail = r["detail"].as_str().unwrap_or("");
            for secret in &exp.secrets {
                if r.to_string().contains(secret.as_str()) {
                    failures.push(format!("{name}: ring record leaks {secret:?}: {r}"));
                }
            }
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
        for f in &exp.fields {
            if !field_matches(&recs, f) {
                failures.push(format!("{name}: no record has field {f:?}: {recs:?}"));
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
    eprintln!(
        "escape battery on PostgreSQL {major}: {run} of {} files, {} records for {expected} \
         expected attempts",
        files.len(),
        all_records.len()
    );

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
    let key = server.audit_key();
    // Every record is sealed with the cluster key; the file verifies.
    let verdict = audit_mac::verify_lines(&key, file_lines.lines());
    assert!(
        verdict.ok(),
        "audit file does not verify: {:?} {:?} {:?}",
        verdict.bad_lines,
        verdict.gaps,
        verdict.duplicates
    );
    let file_recs: BTreeMap<i64, Value> = file_lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["seq"].as_i64().unwrap(), v))
        .collect();
    // Lossy: a LATIN1 database's own messages are not UTF-8 (records are).
    let log = String::from_utf8_lossy(&std::fs::read(server.log()).unwrap()).into_owned();
    // The log holds forged lines too (any role can RAISE LOG one): the
    // genuine records are those whose MAC verifies; exactly the forged
    // lines of the battery fail, none is missing.
    let log_verdict = audit_mac::verify_lines(&key, log.lines());
    if log_verdict.bad_lines.len() != forged_log_lines
        || !log_verdict.gaps.is_empty()
        || !log_verdict.duplicates.is_empty()
    {
        let lines: Vec<&str> = log.lines().collect();
        let shown: Vec<String> = log_verdict
            .bad_lines
            .iter()
            .map(|(n, _)| {
                let l = lines.get(n.saturating_sub(1)).copied().unwrap_or("");
                let n_chars = l.chars().count();
                let tail: String = l.chars().skip(n_chars.saturating_sub(400)).collect();
                format!("  {n}: ...{tail}")
            })
            .collect();
        failures.push(format!(
            "server log verification: {} forged lines expected, got {:?}; gaps {:?}; duplicates {:?}\n{}",
            forged_log_lines,
            log_verdict.bad_lines,
            log_verdict.gaps,
            log_verdict.duplicates,
            shown.join("\n")
        ));
    }
    let log_recs: BTreeMap<i64, Value> = log
        .lines()
        .filter_map(|l| l.split_once("EXTGUARD_AUDIT ").map(|(_, j)| j))
        .filter(|j| audit_mac::verify_record(&key, j).is_ok())
        .map(|j| serde_json::from_str::<Value>(j).unwrap())
        .map(|v| (v["seq"].as_i64().unwrap(), v))
        .collect();
    // No secret of the battery reaches any sink.
    for secret in &secrets {
        if file_lines.contains(secret.as_str()) {
            failures.push(format!("audit file leaks {secret:?}"));
        }
        for l in log.lines().filter(|l| l.contains("EXTGUARD_AUDIT ")) {
            if l.contains(secret.as_str()) {
                failures.push(format!("server log record leaks {secret:?}: {l}"));
            }
        }
    }
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

/// Records of unprivileged roles never push a privileged session's record
/// out of the ring (they have their own partition), and a no-op role
/// switch records nothing, however often it is repeated.
#[test]
fn unprivileged_roles_cannot_evict_privileged_records() {
    let Some(bindir) = environment() else { return };
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    server.sql("CREATE ROLE eg_flood LOGIN; CREATE ROLE eg_flood_b; GRANT eg_flood_b TO eg_flood");
    server.sql("LOAD 'auto_explain'");
    let privileged = server.records_after(0).pop().expect("the LOAD record");
    let before = server.last_seq();

    let flood = |sql: &str| {
        let out = server.psql("eg_flood", &["-v", "ON_ERROR_STOP=1", "-c", sql]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // 2000 no-op switches: nothing to record.
    flood("SELECT count(set_config('role', current_user, false)) FROM generate_series(1, 1000)");
    flood("SELECT count(set_config('role', 'none', false)) FROM generate_series(1, 1000)");
    assert_eq!(
        server.last_seq(),
        before,
        "a no-op role switch was recorded"
    );

    // 1000 real switches by an unprivileged role: all recorded (file),
    // the ring keeps the newest of them in the unprivileged partition.
    let n = 1000;
    flood(&format!(
        "SELECT count(set_config('role', CASE WHEN i % 2 = 1 THEN 'eg_flood_b' ELSE 'eg_flood' END, false)) \
         FROM generate_series(1, {n}) i"
    ));
    assert_eq!(server.last_seq(), before + n);
    let ring = server.records_after(0);
    assert!(
        ring.iter().any(|r| r == &privileged),
        "the privileged record was evicted by an unprivileged role"
    );
    let stats: Value = serde_json::from_str(&server.sql("SELECT extguard.audit_stats()")).unwrap();
    let cap = stats["unprivileged_capacity"].as_i64().unwrap();
    let flooded: Vec<&Value> = ring
        .iter()
        .filter(|r| r["session_user"] == "eg_flood")
        .collect();
    assert_eq!(flooded.len() as i64, cap, "{stats}");
    assert_eq!(
        flooded.last().unwrap()["seq"].as_i64().unwrap(),
        before + n,
        "newest kept"
    );
    let file = std::fs::read_to_string(server.audit_file()).unwrap();
    assert_eq!(
        file.matches("\"session_user\":\"eg_flood\"").count() as i64,
        n
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
    kill_backend_and_await_restart(&server, &pid);
    let _ = sleeper.wait();

    server.sql("LOAD 'auto_explain'");
    // The new shared memory starts with the isolation self-check's record
    // (seq 1), then the LOAD after the restart.
    let recs = server.records_after(0);
    assert_eq!(
        recs.len(),
        2,
        "ring was reset by the crash-restart: {recs:?}"
    );
    assert_eq!(recs[0]["vector"], "isolation");
    assert_eq!(recs[0]["seq"], 1);
    let after = &recs[1];
    assert_eq!(after["vector"], "load");
    assert_eq!(after["seq"], 2);
    assert_eq!(after["postmaster_start"], before["postmaster_start"]);
    assert_ne!(
        after["seq_epoch"], before["seq_epoch"],
        "seq_epoch must mark the restart"
    );
    // The server log kept the record made before the crash.
    let log = std::fs::read_to_string(server.log()).unwrap();
    let in_log = log
        .lines()
        .filter_map(|l| l.split_once("EXTGUARD_AUDIT ").map(|(_, j)| j))
        .filter_map(|j| serde_json::from_str::<Value>(j).ok())
        .any(|r| r == before);
    assert!(in_log, "pre-crash record lost from log");
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

/// 8 pgbench clients mixing escape attempts with ordinary
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

/// Records of every sink keyed by (seq_epoch, seq): the audit file, the
/// server log, and the ring (current epoch only).
type Keyed = BTreeMap<(String, i64), Value>;

fn keyed(records: impl IntoIterator<Item = Value>) -> Keyed {
    records
        .into_iter()
        .map(|v| {
            (
                (
                    v["seq_epoch"].as_str().unwrap().to_string(),
                    v["seq"].as_i64().unwrap(),
                ),
                v,
            )
        })
        .collect()
}

fn log_records(server: &Server) -> Vec<Value> {
    std::fs::read_to_string(server.log())
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once("EXTGUARD_AUDIT ").map(|(_, j)| j))
        .map(|j| serde_json::from_str(j).unwrap_or_else(|e| panic!("bad log record {j:?}: {e}")))
        .collect()
}

/// The three sinks hold the same records: file and log identical, and
/// the ring identical to both for what it still holds.
fn assert_sinks_agree(server: &Server) -> Keyed {
    let file = keyed(audit_file_records(server));
    let log = keyed(log_records(server));
    let only_file: Vec<_> = file.keys().filter(|k| !log.contains_key(*k)).collect();
    let only_log: Vec<_> = log.keys().filter(|k| !file.contains_key(*k)).collect();
    assert!(
        only_file.is_empty() && only_log.is_empty(),
        "sinks disagree: only in file {only_file:?}, only in log {only_log:?}"
    );
    for (k, v) in &file {
        assert_eq!(
            Some(v),
            log.get(k),
            "record {k:?} differs between file and log"
        );
    }
    let ring = keyed(server.records_after(0));
    let stats: Value = serde_json::from_str(&server.sql("SELECT extguard.audit_stats()")).unwrap();
    let (last, cap) = (
        stats["last_seq"].as_i64().unwrap(),
        stats["capacity"].as_i64().unwrap(),
    );
    let epoch = ring.keys().next().map(|(e, _)| e.clone());
    for (k, v) in &ring {
        assert_eq!(
            Some(v),
            file.get(k),
            "ring record {k:?} not in the file as is"
        );
    }
    if let Some(epoch) = epoch {
        for (k, _) in file
            .iter()
            .filter(|((e, s), _)| *e == epoch && *s > last - cap)
        {
            assert!(ring.contains_key(k), "ring lacks {k:?}");
        }
    }
    file
}

/// Spawn psql running `sql` as postgres with application_name `app`.
fn spawn_psql(server: &Server, app: &str, sql: &str) -> std::process::Child {
    server
        .as_postgres("psql")
        .env("PGAPPNAME", app)
        .args(["-X", "-h"])
        .arg(server.dir.path())
        .args(["-p", &port(), "-U", "postgres", "-d", "postgres", "-c", sql])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Pid of the backend of `app` once it runs a statement matching `active`.
/// SIGKILL a backend (the postmaster then restarts every backend and
/// reinitialises shared memory) and wait until the server takes
/// connections again.
fn kill_backend_and_await_restart(server: &Server, pid: &str) {
    assert!(Command::new("kill")
        .args(["-9", pid])
        .status()
        .unwrap()
        .success());
    for _ in 0..300 {
        if server
            .psql("postgres", &["-c", "SELECT 1"])
            .status
            .success()
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("server did not come back after the crash");
}

fn backend_pid(server: &Server, app: &str, active: &str) -> String {
    for _ in 0..200 {
        let pid = server.sql(&format!(
            "SELECT pid FROM pg_stat_activity WHERE application_name = '{app}' \
             AND state = 'active' AND {active}"
        ));
        if !pid.is_empty() {
            return pid;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("backend of {app} not found");
}

/// A backend terminated (pg_terminate_backend) while it is writing
/// records, or killed (SIGKILL, crash-restart) after an action: the audit
/// file and the server log hold exactly the same records, and the ring
/// the same as both for what it holds.
#[test]
fn sinks_agree_when_backends_are_terminated_or_killed() {
    let Some(bindir) = environment() else { return };
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    let storm = "DO $$ BEGIN FOR i IN 1..200000 LOOP EXECUTE 'LOAD ''auto_explain'''; \
                 END LOOP; END $$";
    for i in 0..15u64 {
        let app = format!("eg_term_{i}");
        let mut child = spawn_psql(&server, &app, storm);
        backend_pid(&server, &app, "query LIKE 'DO%'");
        std::thread::sleep(std::time::Duration::from_millis(20 + 23 * i));
        server.sql(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{app}'"
        ));
        let _ = child.wait();
    }
    let terminated = assert_sinks_agree(&server);
    let stormed = terminated
        .values()
        .filter(|r| {
            r["application_name"]
                .as_str()
                .unwrap_or("")
                .starts_with("eg_term_")
        })
        .count();
    assert!(
        stormed > 15,
        "only {stormed} records from terminated backends"
    );

    // SIGKILL right after an action: the record was written before it.
    let mut child = spawn_psql(
        &server,
        "eg_kill",
        "SELECT length(pg_read_file('postgresql.conf', 0, 1)), pg_sleep(60)",
    );
    let pid = backend_pid(&server, "eg_kill", "wait_event = 'PgSleep'");
    kill_backend_and_await_restart(&server, &pid);
    let _ = child.wait();
    server.sql("LOAD 'auto_explain'");
    let all = assert_sinks_agree(&server);
    assert!(
        all.values()
            .any(|r| r["application_name"] == "eg_kill" && r["vector"] == "file_read"),
        "the killed backend's record is missing"
    );
}

/// Replication connections (walsenders) are recorded at authentication
/// and at each replication command, physical and logical, superuser and
/// REPLICATION role, and refused at authentication when blocked.
#[test]
fn replication_connections_are_recorded() {
    let Some(bindir) = environment() else { return };
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    server.sql("CREATE ROLE eg_repl REPLICATION LOGIN");
    let before = server.last_seq();
    let conninfo = |user: &str, replication: &str| {
        format!(
            "host={} port={} user={user} dbname=postgres replication={replication}",
            server.dir.path().display(),
            port()
        )
    };
    let repl_psql = |user: &str, replication: &str, cmd: &str| {
        server
            .as_postgres("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-d",
                &conninfo(user, replication),
                "-c",
                cmd,
            ])
            .output()
            .unwrap()
    };
    let out = repl_psql("postgres", "true", "IDENTIFY_SYSTEM");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = repl_psql(
        "postgres",
        "database",
        "CREATE_REPLICATION_SLOT eg_pslot PHYSICAL",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = repl_psql("postgres", "database", "DROP_REPLICATION_SLOT eg_pslot");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = repl_psql("eg_repl", "true", "IDENTIFY_SYSTEM");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backup = server.dir.path().join("eg_basebackup");
    let out = server
        .as_postgres("pg_basebackup")
        .arg("-D")
        .arg(&backup)
        .args(["-X", "none", "-c", "fast", "--no-sync", "-h"])
        .arg(server.dir.path())
        .args(["-p", &port(), "-U", "postgres"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A walsender cannot silence its command messages (the records come
    // from them): not with connection options, a per-role setting or SET.
    server.sql("ALTER ROLE eg_repl SET log_min_messages = 'fatal'");
    let quiet = server
        .as_postgres("psql")
        .env("PGOPTIONS", "-c log_min_messages=panic")
        .args([
            "-X",
            "-A",
            "-t",
            "-d",
            &conninfo("postgres", "database"),
            "-c",
            "SET log_min_messages = panic",
            "-c",
            "SELECT set_config('log_replication_commands', 'off', false)",
            "-c",
            "TIMELINE_HISTORY 1",
        ])
        .output()
        .unwrap();
    repl_psql("eg_repl", "true", "READ_REPLICATION_SLOT eg_nosuch");
    server.sql("ALTER ROLE eg_repl RESET log_min_messages");

    server.sql("ALTER SYSTEM SET extguard.block = 'replication'");
    server.sql("SELECT pg_reload_conf()");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let out = repl_psql("eg_repl", "true", "IDENTIFY_SYSTEM");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("extguard: replication is blocked"),
        "{stderr}"
    );
    server.sql("ALTER SYSTEM RESET extguard.block");
    server.sql("SELECT pg_reload_conf()");

    let recs: Vec<Value> = server
        .records_after(before)
        .into_iter()
        .filter(|r| r["vector"] == "replication")
        .collect();
    let has = |hook: &str, detail: &str, user: &str, outcome: &str| {
        recs.iter().any(|r| {
            r["hook"] == hook
                && r["detail"].as_str().unwrap_or("").contains(detail)
                && r["session_user"] == user
                && r["outcome"] == outcome
                && r["backend_type"] == "walsender"
        })
    };
    for (hook, detail, user, outcome) in [
        (
            "authentication",
            "replication connection (physical) as postgres",
            "postgres",
            "attempted",
        ),
        (
            "replication_command",
            "command IDENTIFY_SYSTEM",
            "postgres",
            "attempted",
        ),
        (
            "authentication",
            "replication connection (logical, database postgres) as postgres",
            "postgres",
            "attempted",
        ),
        (
            "replication_command",
            "command CREATE_REPLICATION_SLOT",
            "postgres",
            "attempted",
        ),
        (
            "replication_command",
            "command DROP_REPLICATION_SLOT",
            "postgres",
            "attempted",
        ),
        (
            "authentication",
            "replication connection (physical) as eg_repl",
            "eg_repl",
            "attempted",
        ),
        (
            "replication_command",
            "command IDENTIFY_SYSTEM",
            "eg_repl",
            "attempted",
        ),
        (
            "replication_command",
            "command BASE_BACKUP",
            "postgres",
            "attempted",
        ),
        (
            "authentication",
            "replication connection (physical) as eg_repl",
            "eg_repl",
            "blocked",
        ),
        (
            "replication_command",
            "command TIMELINE_HISTORY",
            "postgres",
            "attempted",
        ),
        (
            "replication_command",
            "command READ_REPLICATION_SLOT",
            "eg_repl",
            "attempted",
        ),
    ] {
        assert!(
            has(hook, detail, user, outcome),
            "no {hook} record {detail:?} of {user} ({outcome}): {recs:#?}"
        );
    }
    // the quiet connections ran (TIMELINE_HISTORY 1 has no history file on
    // timeline 1: an error after the command is logged)
    let quiet_err = String::from_utf8_lossy(&quiet.stderr);
    assert!(
        quiet_err.contains("a walsender keeps logging its replication commands")
            && quiet_err.contains("00000001.history"),
        "{quiet_err}"
    );
    assert!(recs
        .iter()
        .any(|r| r["session_user"] == "eg_repl" && r["superuser"] == false));
    assert!(recs.iter().any(|r| r["statement"]
        .as_str()
        .unwrap_or("")
        .starts_with("CREATE_REPLICATION_SLOT eg_pslot")));
    assert_sinks_agree(&server);
}

/// Removes the files of a test extension when dropped.
struct TestExtension(Vec<PathBuf>);

impl Drop for TestExtension {
    fn drop(&mut self) {
        for f in &self.0 {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// In an extension script, a C function whose `$libdir/...` path leaves
/// the library directory is recorded; one naming a library in it is the
/// extension itself and is not.
#[test]
fn extension_script_library_paths() {
    let Some(bindir) = environment() else { return };
    let share = pg_config("--sharedir").expect("pg_config --sharedir");
    let dir = Path::new(&share).join("extension");
    let control = dir.join("eg_libdir_escape.control");
    let script = dir.join("eg_libdir_escape--1.0.sql");
    let _files = TestExtension(vec![control.clone(), script.clone()]);
    std::fs::write(&control, "default_version = '1.0'\nrelocatable = true\n").unwrap();
    // Out of the library directory and back in by its own name (`lib` on
    // Debian, `postgresql` in the npm builds).
    let pkglib = pg_config("--pkglibdir").expect("pg_config --pkglibdir");
    let escaped = format!(
        "$libdir/../{}/lo",
        Path::new(&pkglib).file_name().unwrap().to_string_lossy()
    );
    std::fs::write(
        &script,
        format!(
            "CREATE FUNCTION eg_lo_escaped() RETURNS trigger AS '{escaped}', 'lo_manage' LANGUAGE c;\n\
             CREATE FUNCTION eg_lo_shipped() RETURNS trigger AS '$libdir/lo', 'lo_manage' LANGUAGE c;\n"
        ),
    )
    .unwrap();
    let server = Server::start(bindir);
    server.sql("CREATE EXTENSION extguard");
    let before = server.last_seq();
    server.sql("CREATE EXTENSION eg_libdir_escape");
    let recs = server.records_after(before);
    assert_eq!(recs.len(), 1, "{recs:#?}");
    assert_eq!(recs[0]["vector"], "untrusted_language");
    assert_eq!(recs[0]["in_extension_script"], true);
    assert!(
        recs[0]["detail"].as_str().unwrap().contains(&escaped),
        "{}",
        recs[0]
    );
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
