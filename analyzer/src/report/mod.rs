//! Output formats: `human` (codespan-reporting), `json` and `pgspot`.

mod human;
mod json;
mod pgspot;

use crate::finding::{Finding, Severity};
use crate::source::SourceFile;

pub use human::write_human;
pub use json::{json_document, JSON_VERSION};
pub use pgspot::write_pgspot;

/// The files of a run and their findings, in input order.
pub struct Report<'a> {
    pub files: &'a [SourceFile],
    /// Findings per file, same order as `files`.
    pub findings: &'a [Vec<Finding>],
}

/// Counts for summaries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub parse_errors: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            if f.is_parse_error() {
                s.parse_errors += 1;
            } else if f.severity == Severity::Error {
                s.errors += 1;
            } else if f.severity == Severity::Warning {
                s.warnings += 1;
            }
        }
        s
    }
}
