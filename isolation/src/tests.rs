//! Checks on files written into a temp dir (copies of what the kernel
//! shows in a hardened and an unconfined process), and on this machine's
//! own /proc.

use super::*;
use std::fs;

const UNCONFINED: &str = "Name:\tpostgres\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t0 \n\
CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n\
CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n\
Seccomp_filters:\t0\n";

const HARDENED: &str = "Name:\tpostgres\nUid:\t101\t101\t101\t101\nGid:\t104\t104\t104\t104\n\
Groups:\t104 \nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n\
CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\n\
NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n";

/// A fake /proc/self, /dev and friends under a temp dir.
struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new(status: &str, mountinfo: &str, uid_map: &str) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        fs::create_dir_all(p.join("proc")).unwrap();
        fs::create_dir_all(p.join("dev")).unwrap();
        fs::write(p.join("proc/status"), status).unwrap();
        fs::write(p.join("proc/mountinfo"), mountinfo).unwrap();
        fs::write(p.join("proc/uid_map"), uid_map).unwrap();
        fs::write(p.join("cap_last_cap"), "40\n").unwrap();
        Fake { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn sources(&self) -> Sources {
        Sources {
            proc_self: self.path("proc"),
            cap_last_cap: self.path("cap_last_cap"),
            dev: self.path("dev"),
            scratch_dirs: vec![],
            shell: self.path("bin/sh"),
            tool_dirs: vec![self.path("bin")],
            token_paths: vec![self.path("secrets/token")],
            socket_paths: vec![self.path("run/docker.sock")],
        }
    }

    fn row(&self, src: &Sources, server: &ServerPaths, check: Check) -> Row {
        evaluate(src, server)
            .into_iter()
            .find(|r| r.check == check)
            .unwrap()
    }
}

fn status_of(rows: &[Row], check: Check) -> Status {
    rows.iter().find(|r| r.check == check).unwrap().status
}

#[test]
fn ids_are_unique_and_round_trip() {
    let mut seen = std::collections::HashSet::new();
    for c in Check::ALL {
        assert!(seen.insert(c.id()), "{}", c.id());
        assert_eq!(Check::from_id(c.id()), Some(c));
        assert!(!c.expected().is_empty() && !c.reference().is_empty());
    }
    assert_eq!(Check::from_id("nope"), None);
}

#[test]
fn unconfined_process_violates_the_status_checks() {
    let f = Fake::new(
        UNCONFINED,
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n",
        "         0          0 4294967295\n",
    );
    let rows = evaluate(&f.sources(), &ServerPaths::default());
    assert_eq!(rows.len(), Check::ALL.len());
    for c in [
        Check::RunAsNonRoot,
        Check::NoNewPrivs,
        Check::Capabilities,
        Check::Seccomp,
        Check::ReadOnlyRoot,
    ] {
        assert_eq!(status_of(&rows, c), Status::Violated, "{}", c.id());
    }
    let r = &rows[0];
    assert!(r.observed.contains("uid 0 gid 0"), "{}", r.observed);
    assert!(r.observed.contains("no user namespace"), "{}", r.observed);
    let caps = &rows[2].observed;
    assert!(caps.contains("CapEff 000001ffffffffff (all 41)"), "{caps}");
    assert!(rows[4].observed.contains("rw,relatime"));
}

#[test]
fn hardened_process_passes_the_status_checks() {
    let f = Fake::new(
        HARDENED,
        "68 45 254:0 / / ro,nosuid,nodev - ext4 /dev/vda rw\n",
        "       101        0          1\n",
    );
    let rows = evaluate(&f.sources(), &ServerPaths::default());
    for c in [
        Check::RunAsNonRoot,
        Check::NoNewPrivs,
        Check::Capabilities,
        Check::Seccomp,
        Check::ReadOnlyRoot,
        Check::Shell,
        Check::ServiceAccountToken,
        Check::RuntimeSocket,
    ] {
        assert_eq!(status_of(&rows, c), Status::Ok, "{}", c.id());
    }
    let r = &rows[0].observed;
    assert!(
        r.contains("user namespace, uid_map 101->0 (1); uid 101 is 0 in the parent namespace"),
        "{r}"
    );
    // no server paths: the path checks cannot say ok
    assert_eq!(status_of(&rows, Check::WritableCodePaths), Status::Unknown);
    assert_eq!(status_of(&rows, Check::ExecDataDir), Status::Unknown);
}

#[test]
fn missing_or_old_status_fields_are_unknown() {
    let f = Fake::new("Name:\tx\n", "", "");
    let rows = evaluate(&f.sources(), &ServerPaths::default());
    for c in [
        Check::RunAsNonRoot,
        Check::NoNewPrivs,
        Check::Capabilities,
        Check::Seccomp,
        Check::ReadOnlyRoot,
        Check::ResourceLimits,
    ] {
        assert_eq!(status_of(&rows, c), Status::Unknown, "{}", c.id());
    }
    fs::remove_file(f.path("proc/status")).unwrap();
    let rows = evaluate(&f.sources(), &ServerPaths::default());
    assert_eq!(status_of(&rows, Check::NoNewPrivs), Status::Unknown);
    assert!(rows[1].observed.contains("not readable"));
}

#[test]
fn seccomp_mode_two_needs_a_filter() {
    let f = Fake::new(
        &HARDENED.replace("Seccomp_filters:\t1", "Seccomp_filters:\t0"),
        "",
        "",
    );
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::Seccomp);
    assert_eq!(r.status, Status::Violated);
    assert_eq!(r.observed, "Seccomp 2, Seccomp_filters 0");
}

#[test]
fn full_bounding_set_with_block_devices_looks_privileged() {
    let f = Fake::new(
        &UNCONFINED.replace("Uid:\t0\t0\t0\t0", "Uid:\t101\t101\t101\t101"),
        "",
        "",
    );
    // a real block device node cannot be made without CAP_MKNOD; use this
    // machine's /dev when it has one (it does in a VM or privileged pod)
    let mut src = f.sources();
    src.dev = PathBuf::from("/dev");
    let r = f.row(&src, &ServerPaths::default(), Check::Capabilities);
    assert_eq!(r.status, Status::Violated);
    if !block_devices(Path::new("/dev")).is_empty() {
        assert!(
            r.observed.contains("looks like a privileged container"),
            "{}",
            r.observed
        );
    }
    // no block devices in an empty /dev: no such hint
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::Capabilities);
    assert!(!r.observed.contains("privileged"), "{}", r.observed);
}

#[test]
fn writable_code_paths_reports_each_writable_entry() {
    let f = Fake::new(HARDENED, "", "");
    fs::create_dir_all(f.path("lib")).unwrap();
    fs::create_dir_all(f.path("share/extension")).unwrap();
    let server = ServerPaths {
        pkglibdir: Some(f.path("lib")),
        sharedir: Some(f.path("share")),
        dynamic_library_path: Some(format!("$libdir:{}:", f.path("plant/here").display())),
        extension_control_path: Some("$system".into()),
        data_dir: None,
    };
    let r = f.row(&f.sources(), &server, Check::WritableCodePaths);
    // the test owns the temp dir: everything in it is writable
    assert_eq!(r.status, Status::Violated);
    assert!(
        r.observed.contains("(pkglibdir): directory writable"),
        "{}",
        r.observed
    );
    assert!(
        r.observed
            .contains("plant/here (dynamic_library_path): missing, creatable in"),
        "{}",
        r.observed
    );
    // $libdir and $system are the same directories: listed once
    assert_eq!(
        r.observed.matches("(pkglibdir)").count(),
        1,
        "{}",
        r.observed
    );
    assert!(
        !r.observed.contains("extension_control_path"),
        "{}",
        r.observed
    );
    // paths the server does not report are unknown, not ok
    let r = f.row(
        &f.sources(),
        &ServerPaths::default(),
        Check::WritableCodePaths,
    );
    assert_eq!(r.status, Status::Unknown);
}

#[test]
fn exec_data_dir_follows_the_mount_options() {
    let f = Fake::new(HARDENED, "", "");
    let data = f.path("data");
    fs::create_dir_all(&data).unwrap();
    let real = fs::canonicalize(&data).unwrap();
    let mountinfo = |opts: &str| {
        format!(
            "27 1 254:0 / / rw - ext4 /dev/vda rw\n99 27 0:50 / {} {opts} - tmpfs tmpfs rw\n",
            real.display()
        )
    };
    let server = ServerPaths {
        data_dir: Some(data.clone()),
        ..Default::default()
    };
    fs::write(
        f.path("proc/mountinfo"),
        mountinfo("rw,nosuid,nodev,noexec"),
    )
    .unwrap();
    let r = f.row(&f.sources(), &server, Check::ExecDataDir);
    assert_eq!(r.status, Status::Ok, "{}", r.observed);
    assert!(
        r.observed.contains("writable, noexec (tmpfs on"),
        "{}",
        r.observed
    );
    fs::write(f.path("proc/mountinfo"), mountinfo("rw,nosuid,nodev")).unwrap();
    let r = f.row(&f.sources(), &server, Check::ExecDataDir);
    assert_eq!(r.status, Status::Violated, "{}", r.observed);
    assert!(
        r.observed.contains("writable, exec (tmpfs on"),
        "{}",
        r.observed
    );
}

#[test]
fn shell_and_network_tools() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fake::new(HARDENED, "", "");
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::Shell);
    assert_eq!(r.status, Status::Ok);
    assert!(
        r.observed.ends_with("absent; no network tools"),
        "{}",
        r.observed
    );
    fs::create_dir_all(f.path("bin")).unwrap();
    for t in ["sh", "curl", "perl"] {
        fs::write(f.path(&format!("bin/{t}")), "#!/bin/true\n").unwrap();
        fs::set_permissions(
            f.path(&format!("bin/{t}")),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    // not executable: not counted
    fs::write(f.path("bin/wget"), "").unwrap();
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::Shell);
    assert_eq!(r.status, Status::Violated);
    assert!(
        r.observed.ends_with("present; network tools: curl, perl"),
        "{}",
        r.observed
    );
}

#[test]
fn token_and_runtime_socket() {
    let f = Fake::new(HARDENED, "", "");
    fs::create_dir_all(f.path("secrets")).unwrap();
    fs::create_dir_all(f.path("run")).unwrap();
    // a regular file where the socket would be is not a way in
    fs::write(f.path("run/docker.sock"), "").unwrap();
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::RuntimeSocket);
    assert_eq!(r.status, Status::Ok);
    assert!(
        r.observed.contains("not a writable socket"),
        "{}",
        r.observed
    );
    fs::remove_file(f.path("run/docker.sock")).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(f.path("run/docker.sock")).unwrap();
    fs::write(f.path("secrets/token"), "eyJhbGciOi...").unwrap();
    // /var/run is a link to /run on most systems: one file, reported once
    std::os::unix::fs::symlink(f.path("secrets"), f.path("var-run-secrets")).unwrap();
    let mut src = f.sources();
    src.token_paths.push(f.path("var-run-secrets/token"));
    let rows = evaluate(&src, &ServerPaths::default());
    assert_eq!(status_of(&rows, Check::RuntimeSocket), Status::Violated);
    assert_eq!(
        status_of(&rows, Check::ServiceAccountToken),
        Status::Violated
    );
    assert_eq!(
        rows[8].observed,
        format!("readable: {}", f.path("secrets/token").display())
    );
}

/// A cgroup v2 tree: the container's cgroup limits memory and cpu, its
/// parent (the pod) the number of processes.
#[test]
fn cgroup_v2_limits_are_found_up_the_tree() {
    let f = Fake::new(HARDENED, "", "");
    let cg = f.path("cgroup");
    fs::create_dir_all(cg.join("pod/ctr")).unwrap();
    fs::write(cg.join("pod/ctr/memory.max"), "1073741824\n").unwrap();
    fs::write(cg.join("pod/ctr/cpu.max"), "max 100000\n").unwrap();
    fs::write(cg.join("pod/ctr/pids.max"), "max\n").unwrap();
    fs::write(cg.join("pod/pids.max"), "512\n").unwrap();
    fs::write(
        f.path("proc/mountinfo"),
        format!("41 31 0:38 / {} rw - cgroup2 cgroup2 rw\n", cg.display()),
    )
    .unwrap();
    fs::write(f.path("proc/cgroup"), "0::/pod/ctr\n").unwrap();
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::ResourceLimits);
    assert_eq!(r.status, Status::Violated, "{}", r.observed);
    assert!(r.observed.contains("memory 1073741824"), "{}", r.observed);
    assert!(r.observed.contains("pids 512"), "{}", r.observed);
    assert!(
        r.observed.contains("cpu unlimited: max 100000"),
        "{}",
        r.observed
    );
    fs::write(cg.join("pod/ctr/cpu.max"), "200000 100000\n").unwrap();
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::ResourceLimits);
    assert_eq!(r.status, Status::Ok, "{}", r.observed);
}

#[test]
fn cgroup_v1_limits() {
    let f = Fake::new(HARDENED, "", "");
    let cg = f.path("cg1");
    for c in ["memory", "pids", "cpu"] {
        fs::create_dir_all(cg.join(c).join("docker/abc")).unwrap();
    }
    fs::write(
        cg.join("memory/docker/abc/memory.limit_in_bytes"),
        "9223372036854771712\n",
    )
    .unwrap();
    fs::write(cg.join("pids/docker/abc/pids.max"), "100\n").unwrap();
    fs::write(cg.join("cpu/docker/abc/cpu.cfs_quota_us"), "50000\n").unwrap();
    let mut mi = String::new();
    for (i, c) in ["memory", "pids", "cpu"].iter().enumerate() {
        mi.push_str(&format!(
            "{} 31 0:3{i} /docker/abc {} rw - cgroup cgroup rw,{c}\n",
            40 + i,
            cg.join(c).join("docker/abc").display()
        ));
    }
    fs::write(f.path("proc/mountinfo"), mi).unwrap();
    fs::write(
        f.path("proc/cgroup"),
        "4:memory:/docker/abc\n8:pids:/docker/abc\n1:cpu,cpuacct:/docker/abc\n0::/\n",
    )
    .unwrap();
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::ResourceLimits);
    assert_eq!(r.status, Status::Violated, "{}", r.observed);
    assert!(
        r.observed.contains("memory unlimited: 9223372036854771712"),
        "{}",
        r.observed
    );
    assert!(r.observed.contains("pids 100") && r.observed.contains("cpu 50000"));
    fs::write(
        cg.join("memory/docker/abc/memory.limit_in_bytes"),
        "536870912\n",
    )
    .unwrap();
    let r = f.row(&f.sources(), &ServerPaths::default(), Check::ResourceLimits);
    assert_eq!(r.status, Status::Ok, "{}", r.observed);
}

/// This machine's own /proc: the report agrees with what the process can
/// find out by other means.
#[test]
fn this_process() {
    use std::os::unix::fs::MetadataExt;
    let d = tempfile::tempdir().unwrap();
    let probe = d.path().join("probe");
    fs::write(&probe, "").unwrap();
    let uid = fs::metadata(&probe).unwrap().uid();
    let server = ServerPaths {
        pkglibdir: Some(d.path().join("lib")),
        sharedir: Some(d.path().to_path_buf()),
        data_dir: Some(d.path().to_path_buf()),
        ..Default::default()
    };
    let rows = evaluate(&Sources::default(), &server);
    let run = &rows[0];
    assert!(
        run.observed.starts_with(&format!("uid {uid} ")),
        "{}",
        run.observed
    );
    assert_eq!(
        run.status == Status::Ok,
        uid != 0 && !run.observed.contains("gid 0 "),
        "{}",
        run.observed
    );
    // the temp dir is ours: a dynamic library planted there could be loaded
    assert_eq!(status_of(&rows, Check::WritableCodePaths), Status::Violated);
    for c in [
        Check::NoNewPrivs,
        Check::Capabilities,
        Check::Seccomp,
        Check::ReadOnlyRoot,
    ] {
        assert_ne!(status_of(&rows, c), Status::Unknown, "{}", c.id());
    }
    // the root mount as mountinfo shows it agrees with statvfs
    let ro = rustix::fs::statvfs("/")
        .unwrap()
        .f_flag
        .contains(rustix::fs::StatVfsMountFlags::RDONLY);
    assert_eq!(status_of(&rows, Check::ReadOnlyRoot) == Status::Ok, ro);
}
