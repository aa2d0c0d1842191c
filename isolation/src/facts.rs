//! Parsers for the kernel's text files (`/proc/self/status`,
//! `/proc/self/mountinfo`, `/proc/self/cgroup`) and small filesystem
//! probes. Plain functions on text, so they are tested on copies.

use std::path::{Component, Path, PathBuf};

/// The value of `Key:` in a `/proc/<pid>/status` text, trimmed.
pub fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == key).then(|| v.trim())
    })
}

/// The whitespace-separated numbers of a status field (`Uid:`, `Groups:`).
pub fn status_ids(status: &str, key: &str) -> Option<Vec<u32>> {
    status_field(status, key)?
        .split_whitespace()
        .map(|s| s.parse().ok())
        .collect()
}

/// A capability mask as printed in `CapEff:` etc. (hex).
pub fn parse_cap_mask(s: &str) -> Option<u64> {
    u64::from_str_radix(s.trim(), 16).ok()
}

/// Capability names by bit number (linux/capability.h).
pub const CAP_NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

fn cap_name(bit: u32) -> String {
    CAP_NAMES
        .get(bit as usize)
        .map_or_else(|| format!("cap_{bit}"), |s| s.to_string())
}

/// A mask in words: `none`, the names when few, else `N capabilities,
/// all but ...` relative to `full` (every capability the kernel knows).
pub fn describe_caps(mask: u64, full: u64) -> String {
    if mask == 0 {
        return "none".to_string();
    }
    let n = mask.count_ones();
    if n <= 8 {
        let names: Vec<String> = (0..64)
            .filter(|b| mask & (1u64 << b) != 0)
            .map(cap_name)
            .collect();
        return names.join(",");
    }
    let missing = full & !mask;
    if missing == 0 {
        return format!("all {n}");
    }
    let names: Vec<String> = (0..64)
        .filter(|b| missing & (1u64 << b) != 0)
        .map(cap_name)
        .collect();
    if names.len() <= 8 {
        format!("{n}, all but {}", names.join(","))
    } else {
        format!("{n}")
    }
}

/// The mask with every capability up to `cap_last_cap` set.
pub fn full_cap_mask(cap_last_cap: u32) -> u64 {
    if cap_last_cap >= 63 {
        u64::MAX
    } else {
        (1u64 << (cap_last_cap + 1)) - 1
    }
}

/// One line of `/proc/<pid>/mountinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Mount id and parent mount id (fields 1 and 2).
    pub id: u32,
    pub parent: u32,
    /// Root of the mount within its filesystem (field 4).
    pub root: String,
    /// Where it is mounted, relative to the process's root (field 5).
    pub mount_point: PathBuf,
    /// Per-mount options (`ro`, `noexec`, `nosuid`, ...).
    pub options: Vec<String>,
    pub fstype: String,
    pub source: String,
    /// Per-superblock options (cgroup v1 controller names are here).
    pub super_options: Vec<String>,
}

impl Mount {
    pub fn has_option(&self, o: &str) -> bool {
        self.options.iter().any(|x| x == o)
    }
}

/// Undo the octal escapes of mountinfo (`\040` for a blank, ...).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse mountinfo; malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (pre, post) = line.split_once(" - ")?;
            let f: Vec<&str> = pre.split(' ').collect();
            if f.len() < 6 {
                return None;
            }
            let mut p = post.split(' ');
            let fstype = p.next()?.to_string();
            let source = unescape(p.next().unwrap_or(""));
            let super_options = p
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::to_string)
                .collect();
            Some(Mount {
                id: f[0].parse().ok()?,
                parent: f[1].parse().ok()?,
                root: unescape(f[3]),
                mount_point: PathBuf::from(unescape(f[4])),
                options: f[5].split(',').map(str::to_string).collect(),
                fstype,
                source,
                super_options,
            })
        })
        .collect()
}

/// The mount `path` (absolute, symlinks resolved) lies on, as the process
/// sees it: from the root mount down the mount tree (parent ids), always
/// to the mount stacked on top at the same point, else to the child mount
/// with the longest mount point containing `path`. A mount hidden by a
/// later one over a parent directory (bubblewrap's fresh /dev over the
/// host's /dev/shm) is not picked. Without a consistent tree, the longest
/// containing mount point, last one listed.
pub fn mount_of<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    tree_mount_of(mounts, path).or_else(|| {
        let mut best: Option<&Mount> = None;
        for m in mounts.iter().filter(|m| path.starts_with(&m.mount_point)) {
            if best.is_none_or(|b| depth(m) >= depth(b)) {
                best = Some(m);
            }
        }
        best
    })
}

fn depth(m: &Mount) -> usize {
    m.mount_point.components().count()
}

fn tree_mount_of<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    let at_root = |m: &&Mount| m.mount_point == Path::new("/");
    // the bottom root mount: its parent is not a root mount we can see
    let mut cur = mounts.iter().filter(at_root).rfind(|m| {
        !mounts
            .iter()
            .any(|p| p.id == m.parent && p.id != m.id && at_root(&p))
    })?;
    for _ in 0..=mounts.len() {
        let children = || {
            mounts
                .iter()
                .filter(|m| m.parent == cur.id && m.id != cur.id)
        };
        if let Some(top) = children().rfind(|m| m.mount_point == cur.mount_point) {
            cur = top;
            continue;
        }
        let mut next: Option<&Mount> = None;
        for m in children().filter(|m| path.starts_with(&m.mount_point)) {
            if next.is_none_or(|n| depth(m) >= depth(n)) {
                next = Some(m);
            }
        }
        match next {
            Some(n) => cur = n,
            None => return Some(cur),
        }
    }
    None
}

/// The visible root mount.
pub fn root_mount(mounts: &[Mount]) -> Option<&Mount> {
    mount_of(mounts, Path::new("/"))
}

/// `path` made absolute and free of `.`/`..` and symlinks where it exists;
/// a missing tail is appended as given.
pub fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let mut missing = Vec::new();
    let mut cur = path.to_path_buf();
    loop {
        if let Ok(p) = std::fs::canonicalize(&cur) {
            let mut out = p;
            for c in missing.iter().rev() {
                out.push(c);
            }
            return out;
        }
        match (cur.file_name().map(|s| s.to_os_string()), cur.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                cur = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// The nearest existing directory at or above `path`.
pub fn existing_ancestor(path: &Path) -> Option<PathBuf> {
    let mut cur = Some(path);
    while let Some(p) = cur {
        if p.exists() {
            return Some(p.to_path_buf());
        }
        cur = p.parent();
    }
    None
}

/// Whether this process may write `path` (access(2) with the effective
/// ids: permission bits, ACLs and read-only mounts all count).
pub fn writable(path: &Path) -> bool {
    use rustix::fs::{access, accessat, Access, AtFlags, CWD};
    match accessat(CWD, path, Access::WRITE_OK, AtFlags::EACCESS) {
        Ok(()) => true,
        // kernels without faccessat2: access(2) checks the real ids, which
        // are the effective ids for a server or probe that never setuid'd.
        Err(e) if e == rustix::io::Errno::NOSYS || e == rustix::io::Errno::INVAL => {
            access(path, Access::WRITE_OK).is_ok()
        }
        Err(_) => false,
    }
}

/// Whether this process may read `path`.
pub fn readable(path: &Path) -> bool {
    use rustix::fs::{access, accessat, Access, AtFlags, CWD};
    match accessat(CWD, path, Access::READ_OK, AtFlags::EACCESS) {
        Ok(()) => true,
        Err(e) if e == rustix::io::Errno::NOSYS || e == rustix::io::Errno::INVAL => {
            access(path, Access::READ_OK).is_ok()
        }
        Err(_) => false,
    }
}

/// Whether `path` is an executable regular file (symlinks followed).
pub fn executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One line of `/proc/<pid>/cgroup`: hierarchy id, controllers, path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupLine {
    pub hierarchy: String,
    pub controllers: Vec<String>,
    pub path: String,
}

pub fn parse_cgroup(text: &str) -> Vec<CgroupLine> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let hierarchy = it.next()?.to_string();
            let controllers = it
                .next()?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let path = it.next()?.to_string();
            Some(CgroupLine {
                hierarchy,
                controllers,
                path,
            })
        })
        .collect()
}

/// The directory of cgroup `path` under a cgroup filesystem `mount`
/// (whose own root within the hierarchy is `mount.root`).
pub fn cgroup_dir(mount: &Mount, path: &str) -> Option<PathBuf> {
    let rel = Path::new(path).strip_prefix(&mount.root).ok()?;
    if rel.components().any(|c| matches!(c, Component::ParentDir)) {
        return None;
    }
    Some(mount.mount_point.join(rel))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn status_fields() {
        let s = "Name:\tpostgres\nUid:\t101\t101\t101\t101\nGroups:\t104 110 \nNoNewPrivs:\t1\n";
        assert_eq!(status_field(s, "Name"), Some("postgres"));
        assert_eq!(status_ids(s, "Uid"), Some(vec![101; 4]));
        assert_eq!(status_ids(s, "Groups"), Some(vec![104, 110]));
        assert_eq!(status_field(s, "NoNewPrivs"), Some("1"));
        assert_eq!(status_field(s, "Seccomp"), None);
    }

    #[test]
    fn caps_in_words() {
        let full = full_cap_mask(40);
        assert_eq!(full, 0x1ff_ffff_ffff);
        assert_eq!(describe_caps(0, full), "none");
        assert_eq!(describe_caps(full, full), "all 41");
        assert_eq!(
            describe_caps(0x1ff_feff_ffff, full),
            "40, all but cap_sys_resource"
        );
        assert_eq!(
            describe_caps((1 << 10) | (1 << 21), full),
            "cap_net_bind_service,cap_sys_admin"
        );
    }

    #[test]
    fn mountinfo_lines() {
        // listed out of mount order, as on this VM: / comes after /dev
        let t = "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw\n\
                 30 24 0:27 / /dev/shm rw,nosuid,nodev,noexec - tmpfs tmpfs rw\n\
                 27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n\
                 98 27 254:0 /tmp/a\\040b /tmp/a\\040b rw - ext4 /dev/vda rw\n\
                 garbage\n";
        let m = parse_mountinfo(t);
        assert_eq!(m.len(), 4);
        assert_eq!(m[3].mount_point, Path::new("/tmp/a b"));
        assert!(root_mount(&m).unwrap().has_option("rw"));
        let shm = mount_of(&m, Path::new("/dev/shm/x")).unwrap();
        assert!(shm.has_option("noexec"));
        // "/tmp/a bc" is not under "/tmp/a b"
        assert_eq!(
            mount_of(&m, Path::new("/tmp/a bc")).unwrap().mount_point,
            Path::new("/")
        );
        assert_eq!(
            mount_of(&m, Path::new("/tmp/a b/c")).unwrap().mount_point,
            Path::new("/tmp/a b")
        );
    }

    /// mountinfo of a process in `bwrap --ro-bind / / --dev /dev` (taken on
    /// this VM): the host's /dev/shm is still listed but hidden by the
    /// fresh /dev; a mount stacked on / hides the mounts below it.
    #[test]
    fn hidden_mounts_are_not_picked() {
        let t = "68 45 254:0 / / ro,nosuid,nodev,relatime - ext4 /dev/vda rw\n\
                 83 68 0:6 / /dev ro,nosuid,nodev,relatime - devtmpfs devtmpfs rw\n\
                 84 83 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw\n\
                 85 84 0:27 / /dev/shm ro,nosuid,nodev,relatime - tmpfs tmpfs rw\n\
                 89 83 0:41 / /dev rw,nosuid,nodev,relatime - tmpfs tmpfs rw,mode=755\n\
                 96 89 0:42 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw\n\
                 97 68 0:43 / /tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw\n";
        let m = parse_mountinfo(t);
        assert_eq!(mount_of(&m, Path::new("/dev/shm")).unwrap().id, 89);
        assert_eq!(mount_of(&m, Path::new("/dev/pts/0")).unwrap().id, 96);
        assert_eq!(mount_of(&m, Path::new("/tmp/x")).unwrap().id, 97);
        assert_eq!(root_mount(&m).unwrap().id, 68);
        let stacked = format!("{t}99 68 254:0 / / rw - ext4 /dev/vda rw\n");
        let m = parse_mountinfo(&stacked);
        assert_eq!(mount_of(&m, Path::new("/tmp/x")).unwrap().id, 99);
        assert!(root_mount(&m).unwrap().has_option("rw"));
    }

    #[test]
    fn cgroup_paths() {
        let c = parse_cgroup("4:memory:/kubepods/pod1\n0::/kubepods/pod1/c\n");
        assert_eq!(c[0].controllers, vec!["memory"]);
        assert_eq!(c[1].hierarchy, "0");
        assert!(c[1].controllers.is_empty());
        let m = parse_mountinfo("41 31 0:38 /kubepods /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        assert_eq!(
            cgroup_dir(&m[0], "/kubepods/pod1/c").unwrap(),
            Path::new("/sys/fs/cgroup/pod1/c")
        );
        assert_eq!(cgroup_dir(&m[0], "/other"), None);
    }

    #[test]
    fn resolve_keeps_missing_tail() {
        let d = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(d.path()).unwrap();
        assert_eq!(resolve(&d.path().join("x/y")), real.join("x/y"));
        assert_eq!(existing_ancestor(&d.path().join("x/y")).unwrap(), d.path());
    }
}
