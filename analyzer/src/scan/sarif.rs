//! SARIF 2.1.0 output, in the shape GitHub code scanning accepts: one run,
//! `tool.driver.rules` with every rule's documentation as help text, and
//! one result per finding with a physical location (artifact URI and a
//! region with start/end line and column). Input errors (rejected archives)
//! become tool execution notifications of the invocation.

use serde_json::{json, Value};

use super::{Outcome, UnitKind};
use crate::finding::Severity;
use crate::rules;

/// The `$schema` URI written in the document.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative URI reference for a displayed path: unreserved characters,
/// `/` and `!` are kept, everything else is percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF log of a scan.
pub fn document(o: &Outcome) -> Value {
    let rule_index = |code: &str| rules::ALL.iter().position(|r| r.code == code);
    let driver_rules: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            let doc = r.documentation();
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.title},
                "help": {"text": doc, "markdown": doc},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"tags": ["security", "postgresql"]},
            })
        })
        .collect();
    let mut results = Vec::new();
    for u in &o.units {
        for f in u.findings() {
            let f_ = &f.finding;
            let mut result = json!({
                "ruleId": f_.code,
                "level": level(f_.severity),
                "message": {"text": match &f_.object {
                    Some(obj) => format!("{}: {} ({obj})", f_.title, f_.message),
                    None => format!("{}: {}", f_.title, f_.message),
                }},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f_.path)},
                        "region": {
                            "startLine": f_.line.max(1),
                            "startColumn": f_.column.max(1),
                            "endLine": f_.end_line.max(f_.line).max(1),
                            "endColumn": f_.end_column.max(1),
                        },
                    },
                }],
                "properties": {
                    "extension": u.name,
                    "unpackaged": u.kind == UnitKind::Unpackaged,
                    "source": u.source,
                },
            });
            if let Some(i) = rule_index(f_.code) {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = o
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": e}}))
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "extguard",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": driver_rules,
            }},
            "invocations": [{
                "executionSuccessful": o.errors.is_empty() && !o.internal_error && !o.interrupted,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_keep_paths_and_encode_the_rest() {
        assert_eq!(super::uri("a/b-1.0.zip!/x y.sql"), "a/b-1.0.zip!/x%20y.sql");
        assert_eq!(super::uri("é"), "%C3%A9");
    }
}
