//! The isolation self-check against real isolation: a PostgreSQL 15 server
//! with extguard preloaded, started as `postgres` once plainly and once
//! under `setpriv --no-new-privs --bounding-set=-all --inh-caps=-all`
//! and bubblewrap (read-only root, only the data directory writable,
//! /usr/bin and /usr/sbin hidden, a seccomp filter attached), queried with
//! `extguard.isolation_report()`; and `extguard isolation` run as
//! `postgres` in the same environments.
//!
//! Needs root (to run as `postgres`), bwrap, setpriv and extguard freshly
//! installed (`make test-pg` installs it just before). Runs only with
//! `EXTGUARD_E2E=1`; then anything missing is a failure, never a skip.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const PORT_PLAIN: &str = "5531";
const PORT_BWRAP: &str = "5532";

/// A seccomp program that allows every system call (`BPF_RET|BPF_K,
/// SECCOMP_RET_ALLOW`): enough to put the process in seccomp mode 2 with
/// one filter, which is what the check reads.
const ALLOW_ALL_BPF: [u8; 8] = [0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f];

fn required() -> bool {
    std::env::var("EXTGUARD_E2E").is_ok_and(|v| v == "1")
}

/// `$EXTGUARD_PG_CONFIG` (what `make test-pg` tests), else `pg_config`.
fn pg_config_program() -> String {
    std::env::var("EXTGUARD_PG_CONFIG")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "pg_config".into())
}

fn pg_config(arg: &str) -> Option<String> {
    let out = Command::new(pg_config_program()).arg(arg).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

struct Pg {
    bindir: PathBuf,
    pkglibdir: PathBuf,
    sharedir: PathBuf,
}

/// The installation, or None (skip) without EXTGUARD_E2E=1.
fn environment() -> Option<Pg> {
    if !required() {
        eprintln!("skipping isolation e2e: EXTGUARD_E2E is not 1 (run `make test-pg`)");
        return None;
    }
    let get = |a: &str| PathBuf::from(pg_config(a).expect("EXTGUARD_E2E=1 but no pg_config"));
    let pg = Pg {
        bindir: get("--bindir"),
        pkglibdir: get("--pkglibdir"),
        sharedir: get("--sharedir"),
    };
    assert!(
        pg.pkglibdir.join("extguard.so").exists(),
        "EXTGUARD_E2E=1 but extguard.so is not installed"
    );
    for (prog, arg) in [
        ("id", "postgres"),
        ("bwrap", "--version"),
        ("setpriv", "--version"),
    ] {
        let ok = Command::new(prog)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "EXTGUARD_E2E=1 but `{prog} {arg}` fails (postgres user, bubblewrap, util-linux)"
        );
    }
    Some(pg)
}

/// A temp dir owned by `postgres` with the CLI binary and the seccomp
/// program in it (postgres may not be able to reach the build tree).
fn workdir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_extguard"), dir.path().join("extguard")).unwrap();
    std::fs::write(dir.path().join("allow.bpf"), ALLOW_ALL_BPF).unwrap();
    let st = Command::new("chown")
        .args(["-R", "postgres:"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    dir
}

/// Quote for sh.
fn q(s: &Path) -> String {
    format!("'{}'", s.display().to_string().replace('\'', r"'\''"))
}

/// `exec setpriv ... bwrap ... program`: read-only root, fresh /proc and
/// /dev, /usr/bin and /usr/sbin replaced by empty read-only tmpfs (no
/// shell, no network tools), `writable` bound read-write, `extra` bwrap
/// options, a seccomp filter from fd 3; then `program` (shell words).
fn sandboxed(dir: &Path, writable: &Path, extra: &str, program: &str) -> String {
    format!(
        "exec setpriv --no-new-privs --bounding-set=-all --inh-caps=-all \
         bwrap --die-with-parent --ro-bind / / --proc /proc --dev /dev \
         --tmpfs /usr/bin --remount-ro /usr/bin --tmpfs /usr/sbin --remount-ro /usr/sbin \
         --bind {w} {w} {extra} --seccomp 3 {program} 3<{bpf}",
        w = q(writable),
        bpf = q(&dir.join("allow.bpf")),
    )
}

/// Run `sh -c script` as postgres.
fn as_postgres_sh(script: &str) -> Command {
    let mut c = Command::new("runuser");
    c.args(["-u", "postgres", "--", "sh", "-c", script]);
    c.env_remove("RUST_BACKTRACE");
    c
}

struct Server {
    bindir: PathBuf,
    dir: tempfile::TempDir,
    port: &'static str,
    /// The bwrap process (the postmaster runs under it), if sandboxed.
    bwrap: Option<Child>,
}

impl Server {
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }
    fn audit_file(&self) -> PathBuf {
        self.data().join("audit.jsonl")
    }

    fn start(pg: &Pg, in_sandbox: bool) -> Server {
        let port = if in_sandbox { PORT_BWRAP } else { PORT_PLAIN };
        let mut s = Server {
            bindir: pg.bindir.clone(),
            dir: workdir("extguard-isolation"),
            port,
            bwrap: None,
        };
        let out = as_postgres_sh(&format!(
            "{} -A trust -U postgres --no-sync -D {}",
            q(&s.bindir.join("initdb")),
            q(&s.data())
        ))
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // socket and audit file in the data directory: the one writable place
        let opts = format!(
            "-c shared_preload_libraries=extguard -c listen_addresses= -k {d} -p {port} \
             -c extguard.audit_file={a} -c fsync=off",
            d = q(&s.data()),
            a = q(&s.audit_file()),
        );
        let postgres = format!(
            "{} -D {} {opts}",
            q(&s.bindir.join("postgres")),
            q(&s.data())
        );
        if in_sandbox {
            let script = format!(
                "{} >{} 2>&1",
                sandboxed(s.dir.path(), &s.data(), "", &postgres),
                q(&s.log())
            );
            let child = as_postgres_sh(&script)
                .stdin(Stdio::null())
                .spawn()
                .unwrap();
            s.bwrap = Some(child);
            s.wait_ready();
        } else {
            let out = as_postgres_sh(&format!(
                "{} -D {} -l {} -o {} -w -t 60 start",
                q(&s.bindir.join("pg_ctl")),
                q(&s.data()),
                q(&s.log()),
                q(Path::new(&opts))
            ))
            .output()
            .unwrap();
            assert!(
                out.status.success(),
                "pg_ctl start: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(s.log()).unwrap_or_default()
            );
        }
        s
    }

    fn wait_ready(&mut self) {
        for _ in 0..120 {
            if let Some(st) = self.bwrap.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "sandboxed server exited ({st}):\n{}",
                    std::fs::read_to_string(self.log()).unwrap_or_default()
                );
            }
            if self.psql("postgres", "SELECT 1").status.success() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!(
            "sandboxed server not ready:\n{}",
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
    }

    fn psql(&self, user: &str, sql: &str) -> Output {
        as_postgres_sh(&format!(
            "{} -X -q -A -t -v ON_ERROR_STOP=1 -h {} -p {} -U {user} -d postgres -c \"$0\"",
            q(&self.bindir.join("psql")),
            q(&self.data()),
            self.port
        ))
        .arg(sql)
        .output()
        .unwrap()
    }

    fn sql(&self, sql: &str) -> String {
        let out = self.psql("postgres", sql);
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `extguard.isolation_report()` as check -> (status, observed);
    /// `setup` runs first in the same session.
    fn report(&self, setup: &str) -> BTreeMap<String, (String, String)> {
        let json = self.sql(&format!(
            "{setup} SELECT json_agg(r ORDER BY ord) FROM extguard.isolation_report() \
             WITH ORDINALITY AS r(\"check\", status, observed, expected, reference, ord)"
        ));
        // json_agg puts a line break between elements
        let v: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        rows(&v, "check")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = as_postgres_sh(&format!(
            "{} -D {} -m immediate -w stop",
            q(&self.bindir.join("pg_ctl")),
            q(&self.data())
        ))
        .output();
        if let Some(mut c) = self.bwrap.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An array of report objects as check -> (status, observed).
fn rows(v: &Value, key: &str) -> BTreeMap<String, (String, String)> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|r| {
            (
                r[key].as_str().unwrap().to_string(),
                (
                    r["status"].as_str().unwrap().to_string(),
                    r["observed"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// Run the CLI as postgres (inside a sandbox writable at `writable`, with
/// `extra` bwrap options, when given) and parse its JSON.
fn cli(dir: &Path, sandbox: Option<(&Path, &str)>, args: &str) -> (i32, Value) {
    let cmd = format!(
        "{} isolation --format json {args}",
        q(&dir.join("extguard"))
    );
    let script = match sandbox {
        Some((writable, extra)) => sandboxed(dir, writable, extra, &cmd),
        None => format!("exec {cmd}"),
    };
    let out = as_postgres_sh(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "CLI output is not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn status_map(report: &BTreeMap<String, (String, String)>) -> BTreeMap<&str, &str> {
    report
        .iter()
        .map(|(k, (s, _))| (k.as_str(), s.as_str()))
        .collect()
}

/// The facts of the host as the test (root, outside any sandbox) finds
/// them by other means: they decide what a plain start must show.
fn host_status(key: &str) -> String {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap()
        .trim()
        .to_string()
}

fn postgres_can(test_flag: &str, path: &str) -> bool {
    as_postgres_sh(&format!("test {test_flag} '{path}'"))
        .status()
        .unwrap()
        .success()
}

fn expect_statuses(got: &BTreeMap<&str, &str>, want: &[(&str, &str)], what: &str) {
    let mut diffs = Vec::new();
    for (check, status) in want {
        if got.get(check) != Some(status) {
            diffs.push(format!("{check}: want {status}, got {:?}", got.get(check)));
        }
    }
    assert!(
        diffs.is_empty(),
        "{what}:\n{}\nall: {got:?}",
        diffs.join("\n")
    );
    assert_eq!(got.len(), 11, "{what}: {got:?}");
}

/// The `isolation` record made at server start, from the ring and the file.
fn startup_record(server: &Server, violated: &[&str]) {
    let recs =
        server.sql("SELECT r FROM extguard.audit_events() r WHERE r->>'vector' = 'isolation'");
    let recs: Vec<Value> = recs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 1, "{recs:?}");
    let r = &recs[0];
    assert_eq!(r["outcome"], "observed");
    assert_eq!(r["hook"], "startup");
    assert_eq!(r["severity"], "medium");
    let detail = r["detail"].as_str().unwrap();
    let want = if violated.is_empty() {
        "violated: none".to_string()
    } else {
        format!("violated: {}", violated.join(", "))
    };
    assert!(detail.starts_with(&want), "{detail} vs {want}");
    let file = std::fs::read_to_string(server.audit_file()).unwrap();
    let line = file
        .lines()
        .find(|l| l.contains("\"vector\":\"isolation\""))
        .expect("isolation record in the audit file");
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["seq"], r["seq"]);
}

fn violated_of(m: &BTreeMap<&str, &str>) -> Vec<&'static str> {
    extguard_isolation_order()
        .into_iter()
        .filter(|c| m.get(c) == Some(&"violated"))
        .collect()
}

fn extguard_isolation_order() -> Vec<&'static str> {
    vec![
        "run_as_non_root",
        "no_new_privs",
        "capabilities",
        "seccomp",
        "read_only_root",
        "writable_code_paths",
        "exec_data_dir",
        "shell",
        "service_account_token",
        "runtime_socket",
        "resource_limits",
    ]
}

#[test]
fn plain_server() {
    let Some(pg) = environment() else { return };
    let server = Server::start(&pg, false);
    server.sql("CREATE EXTENSION extguard");
    let report = server.report("");
    let got = status_map(&report);
    let flag = |b: bool| if b { "violated" } else { "ok" };
    let token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    let want = [
        ("run_as_non_root", "ok"),
        ("no_new_privs", flag(host_status("NoNewPrivs") == "0")),
        (
            "capabilities",
            flag(host_status("CapBnd") != "0000000000000000"),
        ),
        ("seccomp", flag(host_status("Seccomp") == "0")),
        // root's access(W_OK) fails on a read-only mount only
        (
            "read_only_root",
            flag(
                Command::new("test")
                    .args(["-w", "/"])
                    .status()
                    .unwrap()
                    .success(),
            ),
        ),
        ("writable_code_paths", "ok"),
        ("exec_data_dir", "violated"),
        ("shell", "violated"),
        ("service_account_token", flag(postgres_can("-r", token))),
        (
            "runtime_socket",
            flag(postgres_can("-w", "/var/run/docker.sock")),
        ),
    ];
    expect_statuses(&got, &want, "plain server");
    assert_ne!(got["resource_limits"], "unknown");
    let data = server.data().canonicalize().unwrap();
    assert!(
        report["exec_data_dir"].1.contains(&format!(
            "data directory {}: writable, exec",
            data.display()
        )),
        "{:?}",
        report["exec_data_dir"]
    );
    assert!(
        report["run_as_non_root"].1.starts_with("uid "),
        "{:?}",
        report["run_as_non_root"]
    );
    startup_record(&server, &violated_of(&got));
    let log = std::fs::read_to_string(server.log()).unwrap();
    assert!(
        log.contains("extguard: isolation check shell violated: /bin/sh present"),
        "{log}"
    );

    // writable_code_paths both ways, with a dynamic_library_path entry the
    // server's user owns
    let plant = server.dir.path().join("plant");
    let set = format!("SET dynamic_library_path = '$libdir:{}';", plant.display());
    let r = server.report(&set);
    assert_eq!(
        r["writable_code_paths"].0, "violated",
        "{:?}",
        r["writable_code_paths"]
    );
    assert!(
        r["writable_code_paths"]
            .1
            .contains("(dynamic_library_path): missing, creatable in"),
        "{:?}",
        r["writable_code_paths"]
    );
    let r = server.report(&format!(
        "SET dynamic_library_path = '$libdir:{}';",
        pg.pkglibdir.display()
    ));
    assert_eq!(
        r["writable_code_paths"].0, "ok",
        "{:?}",
        r["writable_code_paths"]
    );

    // who may read it
    server.sql("CREATE ROLE eg_nobody LOGIN; CREATE ROLE eg_reader LOGIN IN ROLE extguard_reader");
    let out = server.psql(
        "eg_nobody",
        "SELECT count(*) FROM extguard.isolation_report()",
    );
    assert!(!out.status.success());
    // no USAGE on the schema, no EXECUTE on the function
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("permission denied for schema extguard"),
        "{err}"
    );
    // EXECUTE granted directly is not enough: the function checks too
    server.sql("GRANT USAGE ON SCHEMA extguard TO eg_nobody; GRANT EXECUTE ON FUNCTION extguard.isolation_report() TO eg_nobody");
    let out = server.psql(
        "eg_nobody",
        "SELECT count(*) FROM extguard.isolation_report()",
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("permission denied for extguard.isolation_report()"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = server.psql(
        "eg_reader",
        "SELECT count(*) FROM extguard.isolation_report()",
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "11",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // the CLI as postgres next to the server sees what the server sees
    let args = format!(
        "--pg-config {} --data-dir {}",
        q(Path::new(&pg_config_program())),
        q(&server.data())
    );
    let (code, v) = cli(server.dir.path(), None, &args);
    let cli_rows = rows(&v["checks"], "check");
    assert_eq!(status_map(&cli_rows), got, "CLI vs SQL");
    assert_eq!(code, 1);
    let (_, v) = cli(
        server.dir.path(),
        None,
        &format!(
            "{args} --dynamic-library-path '$libdir:{}'",
            plant.display()
        ),
    );
    assert_eq!(
        rows(&v["checks"], "check")["writable_code_paths"].0,
        "violated"
    );
    // every violated check allowed: exit 0
    let allow: String = violated_of(&got)
        .iter()
        .map(|c| format!(" --allow {c}"))
        .collect();
    let (code, _) = cli(server.dir.path(), None, &format!("{args}{allow}"));
    assert_eq!(code, 0);
}

#[test]
fn sandboxed_server() {
    let Some(pg) = environment() else { return };
    let server = Server::start(&pg, true);
    server.sql("CREATE EXTENSION extguard");
    let report = server.report("");
    let got = status_map(&report);
    let want = [
        ("run_as_non_root", "ok"),
        ("no_new_privs", "ok"),
        ("capabilities", "ok"),
        ("seccomp", "ok"),
        ("read_only_root", "ok"),
        ("writable_code_paths", "ok"),
        // bwrap cannot mount noexec: the bound data directory stays exec
        ("exec_data_dir", "violated"),
        ("shell", "ok"),
        ("service_account_token", "ok"),
        ("runtime_socket", "ok"),
    ];
    expect_statuses(&got, &want, "sandboxed server");
    assert!(
        report["run_as_non_root"]
            .1
            .contains("user namespace, uid_map"),
        "{:?}",
        report["run_as_non_root"]
    );
    assert!(report["capabilities"]
        .1
        .starts_with("CapEff 0000000000000000 (none)"));
    assert!(
        report["shell"]
            .1
            .contains("/bin/sh absent; no network tools"),
        "{:?}",
        report["shell"]
    );
    startup_record(&server, &violated_of(&got));

    // a dynamic_library_path entry in the data directory is writable; the
    // same user's directory outside it is read-only here
    let inside = server.data().join("plant");
    let outside = server.dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    Command::new("chown")
        .arg("postgres:")
        .arg(&outside)
        .status()
        .unwrap();
    let r = server.report(&format!(
        "SET dynamic_library_path = '$libdir:{}';",
        inside.display()
    ));
    assert_eq!(
        r["writable_code_paths"].0, "violated",
        "{:?}",
        r["writable_code_paths"]
    );
    let r = server.report(&format!(
        "SET dynamic_library_path = '$libdir:{}';",
        outside.display()
    ));
    assert_eq!(
        r["writable_code_paths"].0, "ok",
        "{:?}",
        r["writable_code_paths"]
    );
    assert!(
        postgres_can("-w", outside.to_str().unwrap()),
        "writable outside the sandbox"
    );

    // the CLI in the same sandbox
    let data = server.data();
    let sb = Some((data.as_path(), ""));
    let args = format!(
        "--pkglibdir {} --sharedir {} --data-dir {}",
        q(&pg.pkglibdir),
        q(&pg.sharedir),
        q(&server.data())
    );
    let (code, v) = cli(server.dir.path(), sb, &args);
    let cli_rows = rows(&v["checks"], "check");
    assert_eq!(status_map(&cli_rows), got, "CLI vs SQL: {v}");
    assert_eq!(code, 1);
    let (_, v) = cli(
        server.dir.path(),
        sb,
        &format!("{args} --dynamic-library-path '{}'", inside.display()),
    );
    assert_eq!(
        rows(&v["checks"], "check")["writable_code_paths"].0,
        "violated"
    );

    // the same sandbox with a service-account token and a runtime socket
    // bound in: both are found
    let dir = server.dir.path();
    std::fs::write(dir.join("token"), "eyJhbGciOiJSUzI1NiJ9.test").unwrap();
    let sock = dir.join("runtime.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    Command::new("chmod")
        .arg("0666")
        .arg(&sock)
        .status()
        .unwrap();
    let extra = format!(
        "--tmpfs /run --ro-bind {} /run/secrets/kubernetes.io/serviceaccount/token --bind {} /run/docker.sock",
        q(&dir.join("token")),
        q(&sock)
    );
    let (code, v) = cli(dir, Some((&server.data(), &extra)), &args);
    let r = rows(&v["checks"], "check");
    assert_eq!(code, 1);
    assert_eq!(
        r["service_account_token"].0, "violated",
        "{:?}",
        r["service_account_token"]
    );
    assert_eq!(
        r["runtime_socket"].0, "violated",
        "{:?}",
        r["runtime_socket"]
    );
    assert!(r["runtime_socket"].1.contains("/run/docker.sock"));
}
