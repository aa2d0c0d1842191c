//! Regression guard over 40 real Debian extension packages: the number of
//! findings of `extguard scan` (extension-aware) per package and code must
//! equal the committed `corpus/debian-expected-counts.tsv`.
//!
//! The packages are fetched (never installed) by the project's
//! `shared/corpus/fetch-debian.sh` into a directory of their own under /tmp;
//! the .deb cache is shared with other uses of the script. The test is
//! skipped, saying so, only when Debian's package registry is unreachable.
//!
//! Regenerate the file after an intended change:
//! `UPDATE_SNAPSHOTS=1 cargo test -p extguard-e2e --test debian_corpus`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use extguard_analyzer::driver::{self, Mode, Options};
use extguard_analyzer::Config;

const EXPECTED: &str = "corpus/debian-expected-counts.tsv";
const REGENERATE: &str = "UPDATE_SNAPSHOTS=1 cargo test -p extguard-e2e --test debian_corpus";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `shared/corpus/fetch-debian.sh` beside the checkout (CI: `../shared`
/// from the repository root) or beside one of its parent directories
/// (worktrees); `EXTGUARD_FETCH_DEBIAN` overrides.
fn fetch_script() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EXTGUARD_FETCH_DEBIAN") {
        return Some(PathBuf::from(p));
    }
    let root = repo_root().canonicalize().ok()?;
    root.ancestors()
        .map(|a| a.join("shared/corpus/fetch-debian.sh"))
        .find(|p| p.is_file())
}

/// Can Debian's package registry be reached at all?
fn registry_reachable() -> bool {
    use std::net::{TcpStream, ToSocketAddrs};
    let Ok(addrs) = ("deb.debian.org", 80).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, std::time::Duration::from_secs(5)).is_ok())
}

/// `package<TAB>code<TAB>count` lines, sorted, with a header.
fn counts(tree: &Path) -> String {
    let mut packages: Vec<PathBuf> = std::fs::read_dir(tree)
        .unwrap_or_else(|e| panic!("{}: {e}", tree.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    packages.sort();
    assert!(
        packages.len() >= 40,
        "{}: only {} packages",
        tree.display(),
        packages.len()
    );
    let opts = Options::new(Config::default(), Mode::Scan);
    let out = driver::run(&packages, &opts).expect("worker threads");
    assert!(out.errors.is_empty(), "scan errors: {:?}", out.errors);
    let mut n: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for u in &out.units {
        let package = Path::new(&u.source)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        for f in u.findings() {
            *n.entry((package.clone(), f.finding.code)).or_default() += 1;
        }
    }
    let mut s = String::from("package\tcode\tfindings\n");
    for ((p, c), k) in n {
        s.push_str(&format!("{p}\t{c}\t{k}\n"));
    }
    s
}

#[test]
fn debian_corpus_counts_match_the_committed_file() {
    let Some(script) = fetch_script() else {
        panic!("shared/corpus/fetch-debian.sh not found beside the checkout (set EXTGUARD_FETCH_DEBIAN)");
    };
    let tree = std::env::temp_dir().join("extguard-debian-test/tree");
    let fetched = Command::new("bash")
        .arg(&script)
        .arg(&tree)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    if !fetched.status.success() {
        let stderr = String::from_utf8_lossy(&fetched.stderr);
        if !registry_reachable() {
            eprintln!(
                "SKIPPED: Debian's package registry (deb.debian.org) is unreachable; \
                 {} failed: {stderr}",
                script.display()
            );
            return;
        }
        panic!("{} failed: {stderr}", script.display());
    }
    let now = counts(&tree);
    let path = repo_root().join(EXPECTED);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != now {
        let parse = |s: &str| -> BTreeMap<(String, String), String> {
            s.lines()
                .skip(1)
                .filter_map(|l| {
                    let mut f = l.split('\t');
                    Some((
                        (f.next()?.to_string(), f.next()?.to_string()),
                        f.next()?.to_string(),
                    ))
                })
                .collect()
        };
        let (exp, cur) = (parse(&expected), parse(&now));
        let mut diff = Vec::new();
        for k in exp
            .keys()
            .chain(cur.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (a, b) = (exp.get(k), cur.get(k));
            if a != b {
                diff.push(format!(
                    "  {}\t{}\texpected {}\tnow {}",
                    k.0,
                    k.1,
                    a.map_or("0", String::as_str),
                    b.map_or("0", String::as_str)
                ));
            }
        }
        panic!(
            "findings on the Debian corpus changed ({} package/code counts differ):\n{}\n\
             If the change is intended, regenerate {EXPECTED} with:\n  {REGENERATE}",
            diff.len(),
            diff.join("\n")
        );
    }
}
