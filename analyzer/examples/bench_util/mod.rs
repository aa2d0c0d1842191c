//! Shared by the bench examples.

use std::path::{Path, PathBuf};

/// Every `.sql` file under `dir`, recursively (the benchmarks' inputs are
/// trees they generated themselves: an unreadable one is a bug, so panic).
pub fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            sql_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "sql") {
            out.push(p);
        }
    }
}
