//! Regression guard over 40 real Debian extension packages: the number of
//! findings of `extguard scan` (extension-aware) per package and code must
//! equal the committed `corpus/debian-expected-counts.tsv`, and both parse
//! paths (libpg_query's C tree, its protobuf output) must give the same
//! trees on every text parsed.
//!
//! The packages are fetched (never installed) by the project's
//! `shared/corpus/fetch-debian.sh` into a directory of their own under /tmp;
//! the .deb cache is shared with other uses of the script. The test is
//! skipped, saying so, only when Debian's package registry is unreachable.
//!
//! Regenerate the file after an intended change:
//! `UPDATE_SNAPSHOTS=1 cargo test -p extguard-e2e --test debian_corpus`

use extguard_analyzer::parse::{self, ParsePath};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EXPECTED: &str = "corpus/debian-expected-counts.tsv";
const REGENERATE: &str = "UPDATE_SNAPSHOTS=1 cargo test -p extguard-e2e --test debian_corpus";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `package<TAB>code<TAB>count` lines, sorted, with a header.
fn counts(tree: &Path) -> String {
    let out = extguard_e2e::scan_debian_packages(tree);
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
    let Some(tree) = extguard_e2e::fetch_debian_corpus() else {
        return;
    };
    // Every parse of the scan goes through both parse paths (libpg_query's
    // C tree and its protobuf output): the trees must be identical on this
    // real code as well as the counts.
    parse::set_parse_path(ParsePath::Compare);
    let before = parse::compared_parses();
    let now = counts(&tree);
    let mismatches = parse::path_mismatches();
    assert!(parse::compared_parses() > before, "nothing was parsed");
    assert!(
        mismatches.is_empty(),
        "the C and protobuf parse paths differ on {} texts of the Debian corpus; the first:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
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
