//! Isolation self-check: whether the boundary a managed PostgreSQL relies
//! on (the container or pod) is really there, judged from inside it.
//!
//! Every fact is read from the kernel's files (`/proc/self/...`) and the
//! filesystem (`access(2)`, `stat`); nothing runs a program or sends
//! traffic. The same [`evaluate`] runs inside a PostgreSQL backend
//! (`extguard.isolation_report()`) and in the `extguard isolation` command.
//! [`Sources`] says where the facts are read from: the live system by
//! default, copies in tests.

pub mod facts;

use facts::Mount;
use std::path::{Path, PathBuf};

/// Result of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The boundary holds for this check.
    Ok,
    /// It does not.
    Violated,
    /// The facts could not be read.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Violated => "violated",
            Status::Unknown => "unknown",
        }
    }
}

/// The checks; ids are stable (they appear in reports and audit records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    RunAsNonRoot,
    NoNewPrivs,
    Capabilities,
    Seccomp,
    ReadOnlyRoot,
    WritableCodePaths,
    ExecDataDir,
    Shell,
    ServiceAccountToken,
    RuntimeSocket,
    ResourceLimits,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 11] = [
        Check::RunAsNonRoot,
        Check::NoNewPrivs,
        Check::Capabilities,
        Check::Seccomp,
        Check::ReadOnlyRoot,
        Check::WritableCodePaths,
        Check::ExecDataDir,
        Check::Shell,
        Check::ServiceAccountToken,
        Check::RuntimeSocket,
        Check::ResourceLimits,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Check::RunAsNonRoot => "run_as_non_root",
            Check::NoNewPrivs => "no_new_privs",
            Check::Capabilities => "capabilities",
            Check::Seccomp => "seccomp",
            Check::ReadOnlyRoot => "read_only_root",
            Check::WritableCodePaths => "writable_code_paths",
            Check::ExecDataDir => "exec_data_dir",
            Check::Shell => "shell",
            Check::ServiceAccountToken => "service_account_token",
            Check::RuntimeSocket => "runtime_socket",
            Check::ResourceLimits => "resource_limits",
        }
    }

    pub fn from_id(id: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.id() == id)
    }

    /// What an isolated server shows.
    pub fn expected(self) -> &'static str {
        match self {
            Check::RunAsNonRoot => "uid and gid not 0",
            Check::NoNewPrivs => "NoNewPrivs 1",
            Check::Capabilities => "CapEff, CapPrm, CapBnd, CapAmb all 0",
            Check::Seccomp => "Seccomp 2 (filter) with at least one filter",
            Check::ReadOnlyRoot => "/ mounted ro",
            Check::WritableCodePaths => {
                "pkglibdir, sharedir/extension, dynamic_library_path and extension_control_path entries not writable by the server user"
            }
            Check::ExecDataDir => "data directory, /tmp and /dev/shm noexec or not writable",
            Check::Shell => "no /bin/sh",
            Check::ServiceAccountToken => "no readable service-account token",
            Check::RuntimeSocket => "no container runtime socket the server user can write",
            Check::ResourceLimits => "memory.max, pids.max and cpu.max set (not max)",
        }
    }

    /// The pod securityContext field (or the risk) this check stands for.
    pub fn reference(self) -> &'static str {
        match self {
            Check::RunAsNonRoot => "securityContext.runAsNonRoot: true, runAsUser/runAsGroup not 0",
            Check::NoNewPrivs => "securityContext.allowPrivilegeEscalation: false",
            Check::Capabilities => {
                "securityContext.capabilities.drop: [ALL], privileged: false"
            }
            Check::Seccomp => "securityContext.seccompProfile.type: RuntimeDefault",
            Check::ReadOnlyRoot => "securityContext.readOnlyRootFilesystem: true",
            Check::WritableCodePaths => {
                "a writable library or extension directory lets a superuser plant code (LOAD, CREATE EXTENSION)"
            }
            Check::ExecDataDir => {
                "a writable, exec-mounted directory lets a written .so be LOADed; volumes mounted noexec"
            }
            Check::Shell => {
                "COPY ... PROGRAM, archive_command run /bin/sh; a distroless image has none"
            }
            Check::ServiceAccountToken => "automountServiceAccountToken: false",
            Check::RuntimeSocket => "no hostPath mount of the docker/containerd/cri-o socket",
            Check::ResourceLimits => "resources.limits.memory, resources.limits.cpu, pod pids limit",
        }
    }
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub check: Check,
    pub status: Status,
    /// The facts as read.
    pub observed: String,
}

impl Row {
    fn new(check: Check, status: Status, observed: impl Into<String>) -> Row {
        Row {
            check,
            status,
            observed: observed.into(),
        }
    }
}

/// The server's own paths (from the backend, or pg_config and options in
/// the CLI). Missing ones are left out of the checks that use them.
#[derive(Clone, Debug, Default)]
pub struct ServerPaths {
    pub pkglibdir: Option<PathBuf>,
    /// The share directory; its `extension/` subdirectory is checked.
    pub sharedir: Option<PathBuf>,
    /// The `dynamic_library_path` setting as written (`:`-separated,
    /// `$libdir` stands for pkglibdir).
    pub dynamic_library_path: Option<String>,
    /// The `extension_control_path` setting (PostgreSQL 18+; `$system`
    /// stands for sharedir/extension).
    pub extension_control_path: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// Where the facts are read from.
#[derive(Clone, Debug)]
pub struct Sources {
    /// `/proc/self`: `status`, `uid_map`, `gid_map`, `mountinfo`, `cgroup`.
    pub proc_self: PathBuf,
    /// `/proc/sys/kernel/cap_last_cap`.
    pub cap_last_cap: PathBuf,
    /// `/dev`, for block devices a privileged container sees.
    pub dev: PathBuf,
    /// Shared scratch directories checked with the data directory.
    pub scratch_dirs: Vec<PathBuf>,
    /// The shell `popen`/`system` run.
    pub shell: PathBuf,
    /// Directories searched for network tools.
    pub tool_dirs: Vec<PathBuf>,
    pub token_paths: Vec<PathBuf>,
    pub socket_paths: Vec<PathBuf>,
}

/// Programs that turn a shell into a network client or downloader.
pub const NETWORK_TOOLS: [&str; 14] = [
    "curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "openssl", "python3",
    "python", "perl", "busybox",
];

impl Default for Sources {
    fn default() -> Self {
        let p = |s: &str| PathBuf::from(s);
        Sources {
            proc_self: p("/proc/self"),
            cap_last_cap: p("/proc/sys/kernel/cap_last_cap"),
            dev: p("/dev"),
            scratch_dirs: vec![p("/tmp"), p("/dev/shm")],
            shell: p("/bin/sh"),
            tool_dirs: [
                "/usr/local/sbin",
                "/usr/local/bin",
                "/usr/sbin",
                "/usr/bin",
                "/sbin",
                "/bin",
            ]
            .map(p)
            .to_vec(),
            token_paths: [
                "/var/run/secrets/kubernetes.io/serviceaccount/token",
                "/run/secrets/kubernetes.io/serviceaccount/token",
                "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
                "/var/run/secrets/azure/tokens/azure-identity-token",
            ]
            .map(p)
            .to_vec(),
            socket_paths: [
                "/var/run/docker.sock",
                "/run/docker.sock",
                "/run/containerd/containerd.sock",
                "/var/run/containerd/containerd.sock",
                "/run/k3s/containerd/containerd.sock",
                "/var/run/crio/crio.sock",
                "/run/crio/crio.sock",
                "/run/podman/podman.sock",
                "/var/run/cri-dockerd.sock",
            ]
            .map(p)
            .to_vec(),
        }
    }
}

/// Run every check.
pub fn evaluate(src: &Sources, server: &ServerPaths) -> Vec<Row> {
    let status = std::fs::read_to_string(src.proc_self.join("status"));
    let mounts = std::fs::read_to_string(src.proc_self.join("mountinfo"))
        .ok()
        .map(|t| facts::parse_mountinfo(&t));
    let status = status.as_deref().ok();
    vec![
        run_as_non_root(src, status),
        no_new_privs(status),
        capabilities(src, status),
        seccomp(status),
        read_only_root(mounts.as_deref()),
        writable_code_paths(server),
        exec_data_dir(src, server, mounts.as_deref()),
        shell(src),
        service_account_token(src),
        runtime_socket(src),
        resource_limits(src, mounts.as_deref()),
    ]
}

/// Ids of the checks with `status`, in report order.
pub fn ids_with(rows: &[Row], status: Status) -> Vec<&'static str> {
    rows.iter()
        .filter(|r| r.status == status)
        .map(|r| r.check.id())
        .collect()
}

const UNREADABLE: &str = "/proc/self/status not readable";

fn run_as_non_root(src: &Sources, status: Option<&str>) -> Row {
    let c = Check::RunAsNonRoot;
    let Some(status) = status else {
        return Row::new(c, Status::Unknown, UNREADABLE);
    };
    let (Some(uids), Some(gids)) = (
        facts::status_ids(status, "Uid"),
        facts::status_ids(status, "Gid"),
    ) else {
        return Row::new(c, Status::Unknown, "no Uid/Gid in /proc/self/status");
    };
    let groups = facts::status_ids(status, "Groups").unwrap_or_default();
    let show = |ids: &[u32]| {
        let mut v: Vec<u32> = ids.to_vec();
        v.dedup();
        v.iter().map(u32::to_string).collect::<Vec<_>>().join("/")
    };
    let mut obs = format!("uid {} gid {}", show(&uids), show(&gids));
    if !groups.is_empty() {
        let g: Vec<String> = groups.iter().map(u32::to_string).collect();
        obs.push_str(&format!(" groups {}", g.join(",")));
    }
    let uid_map = std::fs::read_to_string(src.proc_self.join("uid_map")).ok();
    obs.push_str("; ");
    obs.push_str(&describe_userns(uid_map.as_deref(), uids.get(1).copied()));
    let root = uids.contains(&0) || gids.contains(&0);
    let status = if root { Status::Violated } else { Status::Ok };
    if groups.contains(&0) && !root {
        obs.push_str("; supplementary group 0");
    }
    Row::new(c, status, obs)
}

/// Whether a user namespace maps the process, and where `euid` maps to.
fn describe_userns(uid_map: Option<&str>, euid: Option<u32>) -> String {
    let Some(map) = uid_map else {
        return "uid_map not readable".into();
    };
    let lines: Vec<Vec<u64>> = map
        .lines()
        .map(|l| {
            l.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .filter(|v: &Vec<u64>| v.len() == 3)
        .collect();
    if lines.len() == 1 && lines[0] == [0, 0, 4294967295] {
        return "no user namespace (identity uid_map)".into();
    }
    let ranges: Vec<String> = lines
        .iter()
        .map(|v| format!("{}->{} ({})", v[0], v[1], v[2]))
        .collect();
    let mut s = format!("user namespace, uid_map {}", ranges.join(", "));
    if let Some(euid) = euid.map(u64::from) {
        if let Some(v) = lines.iter().find(|v| euid >= v[0] && euid < v[0] + v[2]) {
            s.push_str(&format!(
                "; uid {euid} is {} in the parent namespace",
                v[1] + (euid - v[0])
            ));
        }
    }
    s
}

fn no_new_privs(status: Option<&str>) -> Row {
    let c = Check::NoNewPrivs;
    let Some(status) = status else {
        return Row::new(c, Status::Unknown, UNREADABLE);
    };
    match facts::status_field(status, "NoNewPrivs") {
        Some("1") => Row::new(c, Status::Ok, "NoNewPrivs 1"),
        Some(v) => Row::new(c, Status::Violated, format!("NoNewPrivs {v}")),
        None => Row::new(c, Status::Unknown, "no NoNewPrivs in /proc/self/status"),
    }
}

fn capabilities(src: &Sources, status: Option<&str>) -> Row {
    let c = Check::Capabilities;
    let Some(status) = status else {
        return Row::new(c, Status::Unknown, UNREADABLE);
    };
    let last = std::fs::read_to_string(&src.cap_last_cap)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(40);
    let full = facts::full_cap_mask(last);
    let mut parts = Vec::new();
    let mut any = false;
    let mut bnd = None;
    for key in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] {
        let Some(mask) = facts::status_field(status, key).and_then(facts::parse_cap_mask) else {
            return Row::new(c, Status::Unknown, format!("no {key} in /proc/self/status"));
        };
        any |= mask != 0;
        if key == "CapBnd" {
            bnd = Some(mask);
        }
        parts.push(format!(
            "{key} {mask:016x} ({})",
            facts::describe_caps(mask, full)
        ));
    }
    let mut obs = parts.join("; ");
    let block_devices = block_devices(&src.dev);
    if !block_devices.is_empty() {
        obs.push_str(&format!(
            "; block devices visible: {}",
            shorten(&block_devices, 4)
        ));
        if bnd == Some(full) {
            obs.push_str("; full bounding set and host devices: looks like a privileged container");
        }
    }
    Row::new(c, if any { Status::Violated } else { Status::Ok }, obs)
}

/// Block devices directly under `dev` (a privileged container sees the host's).
fn block_devices(dev: &Path) -> Vec<String> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(rd) = std::fs::read_dir(dev) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_block_device()))
        .map(|e| e.path().display().to_string())
        .collect();
    v.sort();
    v
}

/// The first `n` items, then `(+k more)`.
fn shorten(items: &[String], n: usize) -> String {
    let mut s = items[..items.len().min(n)].join(", ");
    if items.len() > n {
        s.push_str(&format!(" (+{} more)", items.len() - n));
    }
    s
}

fn seccomp(status: Option<&str>) -> Row {
    let c = Check::Seccomp;
    let Some(status) = status else {
        return Row::new(c, Status::Unknown, UNREADABLE);
    };
    let Some(mode) = facts::status_field(status, "Seccomp") else {
        return Row::new(c, Status::Unknown, "no Seccomp in /proc/self/status");
    };
    let filters = facts::status_field(status, "Seccomp_filters");
    let obs = match filters {
        Some(f) => format!("Seccomp {mode}, Seccomp_filters {f}"),
        None => format!("Seccomp {mode}"),
    };
    let ok = match mode {
        "1" => true, // strict mode: only read/write/exit
        "2" => filters.is_none_or(|f| f.parse::<u32>().is_ok_and(|n| n >= 1)),
        _ => false,
    };
    Row::new(c, if ok { Status::Ok } else { Status::Violated }, obs)
}

fn read_only_root(mounts: Option<&[Mount]>) -> Row {
    let c = Check::ReadOnlyRoot;
    let Some(root) = mounts.and_then(facts::root_mount) else {
        return Row::new(c, Status::Unknown, "/ not found in /proc/self/mountinfo");
    };
    let obs = format!(
        "/ is {} {} ({})",
        root.fstype,
        root.source,
        root.options.join(",")
    );
    let status = if root.has_option("ro") {
        Status::Ok
    } else {
        Status::Violated
    };
    Row::new(c, status, obs)
}

/// Entries of a `:`-separated path setting, with `token` replaced.
fn path_entries(setting: &str, token: &str, replacement: Option<&Path>) -> Vec<PathBuf> {
    setting
        .split(':')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .filter_map(|e| match e.strip_prefix(token) {
            Some(rest) => replacement.map(|r| PathBuf::from(format!("{}{rest}", r.display()))),
            None => Some(PathBuf::from(e)),
        })
        .collect()
}

/// Why `dir` (a code directory) is writable, if it is: the directory, the
/// nearest existing ancestor when it does not exist (it can be created),
/// or a file in it.
fn writable_reason(dir: &Path) -> Option<String> {
    if !dir.exists() {
        let anc = facts::existing_ancestor(dir)?;
        return facts::writable(&anc).then(|| format!("missing, creatable in {}", anc.display()));
    }
    if facts::writable(dir) {
        return Some("directory writable".into());
    }
    let rd = std::fs::read_dir(dir).ok()?;
    let files: Vec<String> = rd
        .filter_map(Result::ok)
        .filter(|e| facts::writable(&e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    (!files.is_empty()).then(|| format!("files writable: {}", shorten(&files, 3)))
}

fn writable_code_paths(server: &ServerPaths) -> Row {
    let c = Check::WritableCodePaths;
    let mut paths: Vec<(PathBuf, &str)> = Vec::new();
    if let Some(p) = &server.pkglibdir {
        paths.push((p.clone(), "pkglibdir"));
    }
    let ext_dir = server.sharedir.as_ref().map(|s| s.join("extension"));
    if let Some(p) = &ext_dir {
        paths.push((p.clone(), "sharedir/extension"));
    }
    if let Some(s) = &server.dynamic_library_path {
        for p in path_entries(s, "$libdir", server.pkglibdir.as_deref()) {
            paths.push((p, "dynamic_library_path"));
        }
    }
    if let Some(s) = &server.extension_control_path {
        for p in path_entries(s, "$system", ext_dir.as_deref()) {
            paths.push((p, "extension_control_path"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    paths.retain(|(p, _)| seen.insert(facts::resolve(p)));
    if paths.is_empty() {
        return Row::new(c, Status::Unknown, "no server paths known");
    }
    let (mut bad, mut good) = (Vec::new(), Vec::new());
    for (p, what) in &paths {
        match writable_reason(p) {
            Some(why) => bad.push(format!("{} ({what}): {why}", p.display())),
            None => good.push(format!("{} ({what})", p.display())),
        }
    }
    let mut obs = String::new();
    if !bad.is_empty() {
        obs.push_str(&format!("writable: {}", bad.join("; ")));
    }
    if !good.is_empty() {
        if !obs.is_empty() {
            obs.push_str("; ");
        }
        obs.push_str(&format!("not writable: {}", good.join(", ")));
    }
    let mut missing = Vec::new();
    if server.pkglibdir.is_none() {
        missing.push("pkglibdir");
    }
    if server.sharedir.is_none() {
        missing.push("sharedir");
    }
    if !missing.is_empty() {
        obs.push_str(&format!("; unknown: {}", missing.join(", ")));
    }
    let status = if !bad.is_empty() {
        Status::Violated
    } else if !missing.is_empty() {
        Status::Unknown
    } else {
        Status::Ok
    };
    Row::new(c, status, obs)
}

fn exec_data_dir(src: &Sources, server: &ServerPaths, mounts: Option<&[Mount]>) -> Row {
    let c = Check::ExecDataDir;
    let Some(mounts) = mounts else {
        return Row::new(c, Status::Unknown, "/proc/self/mountinfo not readable");
    };
    let mut dirs: Vec<(PathBuf, &str)> = Vec::new();
    if let Some(d) = &server.data_dir {
        dirs.push((d.clone(), "data directory"));
    }
    for d in &src.scratch_dirs {
        dirs.push((d.clone(), ""));
    }
    let mut bad = false;
    let mut parts = Vec::new();
    for (dir, label) in &dirs {
        let name = if label.is_empty() {
            dir.display().to_string()
        } else {
            format!("{label} {}", dir.display())
        };
        if !dir.exists() {
            parts.push(format!("{name}: absent"));
            continue;
        }
        let real = facts::resolve(dir);
        let Some(m) = facts::mount_of(mounts, &real) else {
            parts.push(format!("{name}: mount not found"));
            continue;
        };
        let w = facts::writable(dir);
        let noexec = m.has_option("noexec");
        bad |= w && !noexec;
        parts.push(format!(
            "{name}: {}, {} ({} on {})",
            if w { "writable" } else { "not writable" },
            if noexec { "noexec" } else { "exec" },
            m.fstype,
            m.mount_point.display()
        ));
    }
    let mut obs = parts.join("; ");
    let status = if bad {
        Status::Violated
    } else if server.data_dir.is_none() {
        obs.push_str("; data directory unknown");
        Status::Unknown
    } else {
        Status::Ok
    };
    Row::new(c, status, obs)
}

fn shell(src: &Sources) -> Row {
    let c = Check::Shell;
    let sh = facts::executable_file(&src.shell);
    let mut tools: Vec<String> = NETWORK_TOOLS
        .iter()
        .filter(|t| {
            src.tool_dirs
                .iter()
                .any(|d| facts::executable_file(&d.join(t)))
        })
        .map(|t| t.to_string())
        .collect();
    tools.dedup();
    let mut obs = format!(
        "{} {}",
        src.shell.display(),
        if sh { "present" } else { "absent" }
    );
    if tools.is_empty() {
        obs.push_str("; no network tools");
    } else {
        obs.push_str(&format!("; network tools: {}", tools.join(", ")));
    }
    Row::new(c, if sh { Status::Violated } else { Status::Ok }, obs)
}

/// The paths that exist, each file once (`/var/run` is often `/run`).
fn unique_existing(paths: &[PathBuf]) -> Vec<&PathBuf> {
    let mut seen = std::collections::HashSet::new();
    paths
        .iter()
        .filter(|p| std::fs::canonicalize(p).is_ok_and(|c| seen.insert(c)))
        .collect()
}

fn service_account_token(src: &Sources) -> Row {
    let c = Check::ServiceAccountToken;
    let (mut readable, mut other) = (Vec::new(), Vec::new());
    for p in unique_existing(&src.token_paths) {
        if facts::readable(p) {
            readable.push(p.display().to_string());
        } else if p.exists() {
            other.push(format!("{} (present, not readable)", p.display()));
        }
    }
    let mut all = readable.clone();
    all.extend(other);
    let obs = if all.is_empty() {
        "no token".to_string()
    } else if readable.is_empty() {
        all.join(", ")
    } else {
        format!("readable: {}", all.join(", "))
    };
    let status = if readable.is_empty() {
        Status::Ok
    } else {
        Status::Violated
    };
    Row::new(c, status, obs)
}

fn runtime_socket(src: &Sources) -> Row {
    use std::os::unix::fs::FileTypeExt;
    let c = Check::RuntimeSocket;
    let (mut reachable, mut other) = (Vec::new(), Vec::new());
    for p in unique_existing(&src.socket_paths) {
        let Ok(m) = std::fs::metadata(p) else {
            continue;
        };
        // connect(2) to a unix socket needs write permission on it
        if m.file_type().is_socket() && facts::writable(p) {
            reachable.push(p.display().to_string());
        } else {
            other.push(format!("{} (present, not a writable socket)", p.display()));
        }
    }
    let status = if reachable.is_empty() {
        Status::Ok
    } else {
        Status::Violated
    };
    let mut all = reachable;
    all.extend(other);
    let obs = if all.is_empty() {
        "no runtime socket".to_string()
    } else {
        all.join(", ")
    };
    Row::new(c, status, obs)
}

/// One resource limit and the files that hold it.
struct LimitSpec {
    name: &'static str,
    /// cgroup v2 file (`max` = unlimited).
    v2_file: &'static str,
    v1_controller: &'static str,
    v1_file: &'static str,
    /// Whether a cgroup v1 value is a limit.
    v1_limited: fn(&str) -> bool,
}

const LIMITS: [LimitSpec; 3] = [
    LimitSpec {
        name: "memory",
        v2_file: "memory.max",
        v1_controller: "memory",
        v1_file: "memory.limit_in_bytes",
        // the v1 "unlimited" value is near i64::MAX (page-rounded)
        v1_limited: |v| v.parse::<u64>().is_ok_and(|n| n < (1u64 << 62)),
    },
    LimitSpec {
        name: "pids",
        v2_file: "pids.max",
        v1_controller: "pids",
        v1_file: "pids.max",
        v1_limited: |v| v != "max",
    },
    LimitSpec {
        name: "cpu",
        v2_file: "cpu.max",
        v1_controller: "cpu",
        v1_file: "cpu.cfs_quota_us",
        v1_limited: |v| v.parse::<i64>().is_ok_and(|n| n > 0),
    },
];

/// The first file `name` at or above `dir` (up to `top`) whose value is
/// limited according to `limited`, or the nearest value otherwise.
fn walk_limit(
    dir: &Path,
    top: &Path,
    name: &str,
    limited: impl Fn(&str) -> bool,
) -> Option<(bool, String, PathBuf)> {
    let mut cur = Some(dir);
    let mut first: Option<(bool, String, PathBuf)> = None;
    while let Some(d) = cur {
        if !d.starts_with(top) {
            break;
        }
        let f = d.join(name);
        if let Ok(v) = std::fs::read_to_string(&f) {
            let v = v.trim().to_string();
            if limited(&v) {
                return Some((true, v, f));
            }
            first.get_or_insert((false, v, f));
        }
        cur = d.parent();
    }
    first
}

fn resource_limits(src: &Sources, mounts: Option<&[Mount]>) -> Row {
    let c = Check::ResourceLimits;
    let (Some(mounts), Ok(cg)) = (
        mounts,
        std::fs::read_to_string(src.proc_self.join("cgroup")),
    ) else {
        return Row::new(
            c,
            Status::Unknown,
            "/proc/self/cgroup or mountinfo not readable",
        );
    };
    let lines = facts::parse_cgroup(&cg);
    // cgroup v2: memory.max, pids.max, cpu.max ("quota period")
    let v2 = lines
        .iter()
        .find(|l| l.hierarchy == "0" && l.controllers.is_empty());
    let v2_dir = v2.and_then(|l| {
        mounts
            .iter()
            .rev()
            .filter(|m| m.fstype == "cgroup2")
            .find_map(|m| facts::cgroup_dir(m, &l.path).map(|d| (d, m.mount_point.clone())))
    });
    // cgroup v1: memory.limit_in_bytes, pids.max, cpu.cfs_quota_us
    let v1_dir = |controller: &str| {
        let l = lines
            .iter()
            .find(|l| l.controllers.iter().any(|c| c == controller))?;
        mounts
            .iter()
            .rev()
            .filter(|m| m.fstype == "cgroup" && m.super_options.iter().any(|o| o == controller))
            .find_map(|m| facts::cgroup_dir(m, &l.path).map(|d| (d, m.mount_point.clone())))
    };
    let not_max = |v: &str| v.split_whitespace().next().is_some_and(|q| q != "max");
    let mut parts = Vec::new();
    let mut all_set = true;
    for spec in &LIMITS {
        let mut found = v2_dir
            .as_ref()
            .and_then(|(d, top)| walk_limit(d, top, spec.v2_file, not_max));
        if found.as_ref().is_none_or(|f| !f.0) {
            let v1 = v1_dir(spec.v1_controller)
                .and_then(|(d, top)| walk_limit(&d, &top, spec.v1_file, spec.v1_limited));
            if let Some(v1) = v1.filter(|v1| v1.0 || found.is_none()) {
                found = Some(v1);
            }
        }
        let name = spec.name;
        parts.push(match &found {
            Some((true, v, f)) => format!("{name} {v} ({})", f.display()),
            Some((false, v, f)) => format!("{name} unlimited: {v} ({})", f.display()),
            None => format!("{name} unlimited: no limit file"),
        });
        all_set &= found.is_some_and(|f| f.0);
    }
    let any_source = v2_dir.is_some() || LIMITS.iter().any(|l| v1_dir(l.v1_controller).is_some());
    let status = if all_set {
        Status::Ok
    } else if !any_source {
        Status::Unknown
    } else {
        Status::Violated
    };
    Row::new(c, status, parts.join("; "))
}

#[cfg(test)]
mod tests;
