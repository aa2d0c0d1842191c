//! The JSON document format (see README "JSON output"), for check and scan.

use serde_json::{json, Value};

use crate::outcome::{Outcome, Summary, UnitKind};

/// Version of the JSON document layout.
pub const JSON_VERSION: u32 = 1;

/// `{"version", "files", "findings", "extensions", "summary"}`.
pub fn json_document(o: &Outcome) -> Value {
    let files: Vec<&str> = o
        .units
        .iter()
        .flat_map(|u| &u.files)
        .map(|f| f.path.as_str())
        .collect();
    let findings: Vec<Value> = o
        .units
        .iter()
        .flat_map(|u| u.findings())
        .map(|f| {
            let mut v = json!(f.finding);
            v["fingerprint"] = json!(f.fingerprint);
            v
        })
        .collect();
    let extensions: Vec<Value> = o
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Extension)
        .map(|u| {
            json!({
                "name": u.name,
                "default_version": u.version,
                "control": u.files.first().map(|f| f.path.as_str()),
                "install_chain": u.install_chain,
                "scripts": u.files.iter().skip(1).map(|f| f.path.as_str()).collect::<Vec<_>>(),
                "summary": u.summary,
                "verdict": u.verdict,
            })
        })
        .collect();
    json!({
        "version": JSON_VERSION,
        "files": files,
        "findings": findings,
        "extensions": extensions,
        "summary": Summary::of(o.units.iter().flat_map(|u| u.findings()).map(|f| &f.finding)),
    })
}
