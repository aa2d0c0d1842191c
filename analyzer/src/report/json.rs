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
        "extensions": r.extensions.iter().map(|e| json!({
            "name": e.name,
            "default_version": e.default_version,
            "control": r.files[e.files.start].path,
            "install_chain": e.install_chain.iter().map(|&i| r.files[i].path.as_str()).collect::<Vec<_>>(),
            "scripts": r.files[e.files.start + 1..e.files.end].iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            "summary": Summary::of(r.findings[e.files.clone()].iter().flatten()),
        })).collect::<Vec<_>>(),
        "summary": Summary::of(findings.iter().copied()),
    })
}
