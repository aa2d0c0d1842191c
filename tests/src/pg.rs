//! A throw-away PostgreSQL server with extguard preloaded, for end-to-end
//! tests that need real client sessions: several roles, a session kept
//! open while another one cancels it, backend memory read from /proc.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A server in a temp dir, unix socket only, run as OS user `postgres`;
/// stopped on drop.
pub struct Server {
    bindir: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Server {
    /// initdb + start with `shared_preload_libraries = extguard`, extra
    /// `-c` options and extra environment for the server.
    pub fn start(bindir: &Path, port: u16, options: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::Builder::new()
            .prefix("extguard-pg")
            .tempdir()
            .expect("temp dir");
        let chown = Command::new("chown")
            .arg("postgres:")
            .arg(dir.path())
            .status()
            .expect("chown");
        assert!(chown.success(), "chown temp dir to postgres");
        let s = Server {
            bindir: bindir.to_path_buf(),
            dir,
            port,
        };
        let out = s
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C", "-D"])
            .arg(s.data())
            .output()
            .expect("initdb");
        assert!(out.status.success(), "initdb: {}", text(&out.stderr));
        let mut opts = format!(
            "-c shared_preload_libraries=extguard -c listen_addresses='' -k {} -p {port} \
             -c fsync=off",
            s.dir.path().display()
        );
        for o in options {
            opts.push_str(" -c ");
            opts.push_str(o);
        }
        let mut start = s.command("pg_ctl");
        for (k, v) in env {
            start.env(k, v);
        }
        let out = start
            .arg("-D")
            .arg(s.data())
            .arg("-l")
            .arg(s.log())
            .args(["-o", &opts, "-w", "-t", "60", "start"])
            .output()
            .expect("pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl start: {}\n{}",
            text(&out.stderr),
            std::fs::read_to_string(s.log()).unwrap_or_default()
        );
        s
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server log.
    pub fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// A scratch directory the postgres user can read.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// A program of the server's bindir, run as OS user postgres, with no
    /// Rust backtrace settings inherited from the test's environment.
    pub fn command(&self, prog: &str) -> Command {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(self.bindir.join(prog));
        c.env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE");
        c
    }

    fn psql_args(&self, user: &str, db: &str) -> Command {
        let mut c = self.command("psql");
        c.args(["-X", "-q", "-A", "-t", "-h"])
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-U", user, "-d", db]);
        c
    }

    /// Runs `sql` (several statements allowed) as `user` in `db`.
    pub fn psql(&self, user: &str, db: &str, sql: &str) -> Output {
        let file = self.scratch().join(format!("q{}.sql", unique()));
        std::fs::write(&file, sql).expect("write sql");
        let out = self
            .psql_args(user, db)
            .args(["-v", "ON_ERROR_STOP=0", "-f"])
            .arg(&file)
            .output()
            .expect("psql");
        let _ = std::fs::remove_file(&file);
        out
    }

    /// Runs `sql` as `user` in `db`; it must succeed. Returns stdout.
    pub fn sql_as(&self, user: &str, db: &str, sql: &str) -> String {
        let file = self.scratch().join(format!("q{}.sql", unique()));
        std::fs::write(&file, sql).expect("write sql");
        let out = self
            .psql_args(user, db)
            .args(["-v", "ON_ERROR_STOP=1", "-f"])
            .arg(&file)
            .output()
            .expect("psql");
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "{}: {}",
            sql.chars().take(300).collect::<String>(),
            text(&out.stderr)
        );
        text(&out.stdout).trim().to_string()
    }

    /// Runs `sql` as superuser postgres in database postgres.
    pub fn sql(&self, sql: &str) -> String {
        self.sql_as("postgres", "postgres", sql)
    }

    /// An interactive session as `user` in `db`.
    pub fn session(&self, user: &str, db: &str) -> Session {
        let errors = self.scratch().join(format!("err{}.txt", unique()));
        let err_file = std::fs::File::create(&errors).expect("stderr file");
        let mut child = self
            .psql_args(user, db)
            .args(["-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=verbose"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err_file)
            .spawn()
            .expect("psql session");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut s = Session {
            child,
            stdin: Some(stdin),
            stdout,
            errors,
            errors_seen: 0,
            pid: 0,
        };
        s.pid = s
            .query("SELECT pg_backend_pid();")
            .trim()
            .parse()
            .expect("pid");
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A psql process kept open: statements go to its stdin, and a marker
/// echoed after each tells where its output ends.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    errors: PathBuf,
    errors_seen: usize,
    /// The backend's process id.
    pub pid: u32,
}

impl Session {
    /// Sends `sql` without waiting for it.
    pub fn send(&mut self, sql: &str) {
        let stdin = self.stdin.as_mut().expect("session open");
        writeln!(stdin, "{sql}").expect("write to psql");
        writeln!(stdin, "\\echo __done__").expect("write to psql");
        stdin.flush().expect("flush psql");
    }

    /// Waits for the output of the last [`Session::send`].
    pub fn wait(&mut self) -> String {
        let mut out = String::new();
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("read psql");
            if n == 0 || line.trim_end() == "__done__" {
                return out;
            }
            out.push_str(&line);
        }
    }

    /// Sends `sql` and returns its output.
    pub fn query(&mut self, sql: &str) -> String {
        self.send(sql);
        self.wait()
    }

    /// Error output printed since the last call.
    pub fn new_errors(&mut self) -> String {
        let all = std::fs::read_to_string(&self.errors).unwrap_or_default();
        let new = all.get(self.errors_seen..).unwrap_or_default().to_string();
        self.errors_seen = all.len();
        new
    }

    /// A field of `/proc/<backend pid>/status` in kB (VmRSS, VmHWM).
    pub fn backend_kb(&self, field: &str) -> u64 {
        proc_status_kb(self.pid, field).expect("backend status")
    }

    /// Kills the psql client (the connection drops without a goodbye).
    /// The child is `runuser`, which forks psql and waits for it: killing
    /// runuser alone would leave psql, and the connection, alive.
    pub fn kill_client(&mut self) {
        let runuser = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{runuser}/task/{runuser}/children"))
            .unwrap_or_default();
        for pid in children.split_whitespace() {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.errors);
    }
}

/// A field of `/proc/<pid>/status` in kB, None once the process is gone.
pub fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Waits until process `pid` is gone; how long that took, or None past
/// `limit`.
pub fn wait_for_exit(pid: u32, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(true)
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
