//! The JSON document format (see README "JSON output").

use serde_json::{json, Value};

use super::{Report, Summary};

/// Version of the JSON document layout.
pub const JSON_VERSION: u32 = 1;

/// `{"version", "files", "findings", "summary"}`.
pub fn json_document(r: &Report) -> Value {
    let findings: Vec<&crate::Finding> = r.findings.iter().flatten().collect();
    json!({
        "version": JSON_VERSION,
        "files": r.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        "findings": findings,
        "summary": Summary::of(findings.iter().copied()),
    })
}
