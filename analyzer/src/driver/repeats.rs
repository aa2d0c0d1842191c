//! Files of one group with the same bytes are analysed once.
//!
//! Packages repeat whole files: an update script identical to another
//! (`ext--1.1--1.2.sql` and `ext--1.2--1.3.sql` that only re-create the same
//! functions), a data script shipped under several version names. On the
//! 40 Debian packages of the corpus 81 of 395 files are byte-identical
//! copies of another, 16 % of the CPU time of a `check` of all of them.
//!
//! A file analysed from a fresh state (every file of a group, unless
//! `--append` carries one state through them) has findings that depend on
//! its bytes and the options only: its path is never read by a rule. So
//! the second copy takes the first one's findings, with its own path. Only
//! files whose size another file of the group shares are hashed (SHA-256,
//! so a package cannot make two different files collide), and a copy is
//! scheduled after every file of another size, when the first is done.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::finding::Finding;

/// What the first file with some bytes found: its path and findings
/// (`None` if its analysis panicked: every copy then runs on its own).
type Kept = OnceLock<Option<(String, Vec<Finding>)>>;

/// The files of one group analysed so far, by content.
pub(super) struct Repeats {
    /// Sizes of more than one file of the group.
    shared: HashSet<u64>,
    seen: Mutex<HashMap<[u8; 32], Arc<Kept>>>,
}

/// A file whose size another file of the group shares: where its findings
/// are kept for the copies, or found.
pub(super) struct Slot(Arc<Kept>);

impl Repeats {
    /// For a group of files of these sizes.
    pub(super) fn new(sizes: &[u64]) -> Repeats {
        let mut once = HashSet::new();
        let shared = sizes
            .iter()
            .filter(|&&s| s > 0 && !once.insert(s))
            .copied()
            .collect();
        Repeats {
            shared,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The weight to schedule each file by (largest first): its size, or 0
    /// for a file of the same size as one before it (a possible copy runs
    /// after the rest).
    pub(super) fn weights(&self, sizes: &[u64]) -> Vec<u64> {
        let mut first = HashSet::new();
        sizes
            .iter()
            .map(|&s| {
                if self.shared.contains(&s) && !first.insert(s) {
                    0
                } else {
                    s
                }
            })
            .collect()
    }

    /// The slot of a file with these bytes, if another file of the group
    /// has its size.
    pub(super) fn slot(&self, bytes: &[u8]) -> Option<Slot> {
        if !self.shared.contains(&(bytes.len() as u64)) {
            return None;
        }
        let key: [u8; 32] = Sha256::digest(bytes).into();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        Some(Slot(seen.entry(key).or_default().clone()))
    }
}

impl Slot {
    /// The findings of the file shown as `path`: `analyse`'s (`Err` for a
    /// panic's finding, not kept), or those of the first file with the same
    /// bytes, moved to `path`. A copy that comes while the first is still
    /// being analysed waits for it.
    pub(super) fn findings(
        &self,
        path: &str,
        analyse: impl FnOnce() -> Result<Vec<Finding>, Vec<Finding>>,
    ) -> Vec<Finding> {
        let mut analyse = Some(analyse);
        let mut own = None;
        let kept = self.0.get_or_init(|| match analyse.take().map(|a| a()) {
            None => None,
            Some(Ok(fs)) => {
                own = Some(fs.clone());
                Some((path.to_string(), fs))
            }
            Some(Err(fs)) => {
                own = Some(fs);
                None
            }
        });
        if let Some(fs) = own {
            return fs;
        }
        match kept {
            Some((first, fs)) => fs
                .iter()
                .map(|f| {
                    let mut f = f.clone();
                    if f.path == *first {
                        f.path = path.to_string();
                    }
                    f
                })
                .collect(),
            // the first panicked: this copy runs on its own
            None => analyse
                .take()
                .map(|a| a().unwrap_or_else(|fs| fs))
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(path: &str, message: &str) -> Finding {
        super::super::at_file_start(&crate::rules::EG005, path, message.to_string())
    }

    #[test]
    fn a_copy_takes_the_first_files_findings_with_its_own_path() {
        let a = b"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';".to_vec();
        let other = b"CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1';".to_vec();
        let sizes = [a.len() as u64, 7, other.len() as u64, a.len() as u64];
        let r = Repeats::new(&sizes);
        // the first of a size keeps its weight; later ones of that size run last
        assert_eq!(r.weights(&sizes), [a.len() as u64, 7, 0, 0]);
        assert!(r.slot(b"1234567").is_none(), "a size no other file has");

        let first = r.slot(&a).unwrap().findings("x/a.sql", || {
            Ok(vec![
                finding("x/a.sql", "one"),
                finding("elsewhere.sql", "two"),
            ])
        });
        assert_eq!(first[0].path, "x/a.sql");
        let copy = r
            .slot(&a)
            .unwrap()
            .findings("y/b.sql", || panic!("a copy is not analysed again"));
        let shown: Vec<(&str, &str)> = copy
            .iter()
            .map(|f| (f.path.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(shown, [("y/b.sql", "one"), ("elsewhere.sql", "two")]);
        // same size, other bytes: analysed on its own
        let mut ran = false;
        r.slot(&other).unwrap().findings("z.sql", || {
            ran = true;
            Ok(Vec::new())
        });
        assert!(ran);
    }

    #[test]
    fn a_panic_is_not_handed_on() {
        let bytes = b"SELECT 1;";
        let r = Repeats::new(&[9, 9]);
        let panicked = r
            .slot(bytes)
            .unwrap()
            .findings("a.sql", || Err(vec![finding("a.sql", "internal error")]));
        assert_eq!(panicked[0].message, "internal error");
        let copy = r
            .slot(bytes)
            .unwrap()
            .findings("b.sql", || Ok(vec![finding("b.sql", "own")]));
        assert_eq!(copy[0].message, "own");
        assert_eq!(copy[0].path, "b.sql");
    }
}
