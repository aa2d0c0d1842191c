//! SARIF 2.1.0 output, in the shape GitHub code scanning accepts: one run,
//! `tool.driver.rules` with every rule's documentation as help text, and
//! one result per finding with a physical location (artifact URI and a
//! region with start/end line and column). Input errors (rejected archives)
//! become tool execution notifications of the invocation.

use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};

use crate::finding::Severity;
use crate::outcome::{Fingerprint, Outcome, ReportedFinding, UnitKind, UnitResult};
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

/// GitHub code scanning refuses a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// Where the rules' documentation is published by default: `docs/rules.md`
/// of the repository named in Cargo.toml. `--help-uri-base` (or
/// `EXTGUARD_HELP_URI_BASE`) replaces it for a fork or a mirror; the GitHub
/// Action passes its own repository and ref. A rule's `helpUri` is this
/// with `#` and [`rules::anchor`] appended.
pub const DEFAULT_HELP_BASE: &str =
    concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules.md");

/// The `helpUri` of a rule: its section of the rules' documentation.
pub fn help_uri(base: &str, code: &str) -> String {
    format!("{base}#{}", rules::anchor(code))
}

/// GitHub's `security-severity` (a CVSS-like score: 7.0 and up is high).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "7.5",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    }
}

/// A SARIF log, and how many results were left out to stay within [`MAX_RESULTS`].
pub struct Sarif {
    pub log: Value,
    pub left_out: Option<usize>,
}

/// A displayed path relative to `base` (absolute), as a URI reference:
/// `None` when it lies outside `base` (then the absolute path is used).
fn relative_uri(path: &str, base: &Path) -> (String, bool) {
    match relative_path(path, base) {
        Ok(rel) => (uri(&rel), true),
        Err(abs) => (format!("file://{}", uri(&abs)), false),
    }
}

/// A displayed path (relative to the current directory, or absolute)
/// relative to `base` (absolute), or the absolute path when it lies
/// outside `base`. `archive.zip!/member.sql`: the archive's path decides.
pub fn relative_path(path: &str, base: &Path) -> Result<String, String> {
    let (file, member) = match path.find("!/") {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, ""),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let abs = normalise(&cwd.join(file));
    match abs.strip_prefix(normalise(base)) {
        Ok(rel) => Ok(format!("{}{member}", rel.display())),
        Err(_) => Err(format!("{}{member}", abs.display())),
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// The SARIF log of an outcome, artifact URIs relative to `base` (the
/// repository root: `originalUriBaseIds.SRCROOT`), at most [`MAX_RESULTS`]
/// results (the most severe first when some must be left out).
pub fn document_at(o: &Outcome, base: &Path, help_base: &str) -> Sarif {
    let rule_index = |code: &str| rules::ALL.iter().position(|r| r.code == code);
    let driver_rules: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            let doc = r.documentation();
            let origin = if r.code.starts_with("PS") {
                "pgspot"
            } else {
                "extguard"
            };
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.title},
                "help": {"text": doc, "markdown": doc},
                "helpUri": help_uri(help_base, r.code),
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "tags": ["security", "postgresql", origin],
                    "security-severity": security_severity(r.severity),
                    "precision": "high",
                },
            })
        })
        .collect();
    let all: Vec<(&UnitResult, &ReportedFinding)> = o
        .units
        .iter()
        .flat_map(|u| u.findings().map(move |f| (u, f)))
        .collect();
    let mut keep: Vec<usize> = (0..all.len()).collect();
    let left_out = (all.len() > MAX_RESULTS).then(|| all.len() - MAX_RESULTS);
    if left_out.is_some() {
        keep.sort_by_key(|&i| std::cmp::Reverse(all[i].1.finding.severity));
        keep.truncate(MAX_RESULTS);
        keep.sort_unstable();
    }
    // the same fingerprint twice in a file gets an occurrence number
    let mut seen: std::collections::HashMap<(&str, Option<Fingerprint>), usize> =
        Default::default();
    let mut results = Vec::with_capacity(keep.len());
    for i in keep {
        let (u, f) = all[i];
        let f_ = &f.finding;
        let n = seen.entry((&f_.path, f.fingerprint)).or_insert(0);
        *n += 1;
        let (uri, inside) = relative_uri(&f_.path, base);
        let mut artifact = json!({"uri": uri});
        if inside {
            artifact["uriBaseId"] = json!("SRCROOT");
        }
        let mut result = json!({
            "ruleId": f_.code,
            "level": level(f_.severity),
            "message": {"text": match &f_.object {
                Some(obj) => format!("{}: {} ({obj})", f_.title, f_.message),
                None => format!("{}: {}", f_.title, f_.message),
            }},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {
                        "startLine": f_.line.max(1),
                        "startColumn": f_.column.max(1),
                        "endLine": f_.end_line.max(f_.line).max(1),
                        "endColumn": f_.end_column.max(1),
                    },
                },
            }],
            "partialFingerprints": {
                "extguardFindingHash/v1": format!("{}:{n}", f.fingerprint.map_or(String::new(), |p| p.to_string())),
            },
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
    let mut notifications: Vec<Value> = o
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": e}}))
        .collect();
    if let Some(n) = left_out {
        notifications.push(json!({"level": "warning", "message": {"text": format!(
            "{n} of {} results left out: GitHub code scanning accepts at most {MAX_RESULTS} per run; the most severe are kept",
            all.len()
        )}}));
    }
    let base_uri = format!(
        "file://{}/",
        uri(&normalise(base).display().to_string()).trim_end_matches('/')
    );
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "extguard",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": help_base,
                "rules": driver_rules,
            }},
            "invocations": [{
                "executionSuccessful": o.errors.is_empty() && !o.internal_error && !o.interrupted,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {"SRCROOT": {"uri": base_uri}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "resultsLeftOut": left_out.unwrap_or(0),
                "resultsTotal": all.len(),
                "verdicts": o.units.iter().filter_map(|u| u.verdict.as_ref().map(|a| json!({
                    "extension": u.name,
                    "version": u.version,
                    "source": u.source,
                    "verdict": a,
                }))).collect::<Vec<_>>(),
            },
        }],
    });
    Sarif { log, left_out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_keep_paths_and_encode_the_rest() {
        assert_eq!(super::uri("a/b-1.0.zip!/x y.sql"), "a/b-1.0.zip!/x%20y.sql");
        assert_eq!(super::uri("é"), "%C3%A9");
    }
}
