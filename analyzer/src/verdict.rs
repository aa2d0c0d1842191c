//! What an extension version may be trusted with: a [`Verdict`] derived
//! from its control file and every script CREATE EXTENSION or ALTER
//! EXTENSION UPDATE may run, with the reasons (findings and created
//! objects) that decided it.
//!
//! The verdicts, from the most to the least delegable:
//! - `trusted-safe`: may be marked `trusted` and installed by any user with
//!   CREATE on the database;
//! - `delegable`: needs a superuser to install (C or internal functions
//!   outside its own module, base types, event triggers, catalog writes,
//!   languages, install scripts a hostile search_path can hijack) but leaves
//!   nothing a user can escalate with afterwards;
//! - `superuser-only`: installs or leaves something that gives its user
//!   superuser-equivalent power (server file access, functions reaching
//!   outside the database, SECURITY DEFINER functions anyone may call);
//! - `reject`: contains an escape primitive (COPY PROGRAM, ALTER SYSTEM,
//!   LOAD, role attributes, ...), a hijackable SECURITY DEFINER path, or
//!   cannot be vetted (a script that does not parse).
//!
//! Each finding code maps to one verdict in [`class_of`], the one place
//! that decides; the objects no finding reports (base types, C functions
//! from another library) come from [`created_objects`].

use serde::{Deserialize, Serialize};

use crate::extension::Control;
use crate::finding::{Finding, Severity};
use crate::parse::names;
use crate::source::SourceFile;

/// How far an extension version may be trusted. Ordered: the worst reason decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    TrustedSafe,
    Delegable,
    SuperuserOnly,
    Reject,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::TrustedSafe,
        Verdict::Delegable,
        Verdict::SuperuserOnly,
        Verdict::Reject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TrustedSafe => "trusted-safe",
            Verdict::Delegable => "delegable",
            Verdict::SuperuserOnly => "superuser-only",
            Verdict::Reject => "reject",
        }
    }

    /// May a platform let a non-superuser create it (through an allow-list)?
    pub fn allowed(self) -> bool {
        self <= Verdict::Delegable
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a verdict is no better than `verdict`: a finding, or an object the
/// scripts create (`code` is then `base-type` or `c-function`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub verdict: Verdict,
    pub code: String,
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// The verdict of an extension version and its reasons, worst first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// The control file says `trusted = true`.
    pub trusted_claim: bool,
    /// The shared libraries the control file and scripts name, as written
    /// (`$libdir/cube`; `MODULE_PATHNAME` resolved).
    #[serde(skip)]
    pub libraries: Vec<String>,
}

/// The verdict a finding implies, or `None` when it says nothing about
/// privileges (style, SQL injection in ordinary functions, restatements).
pub fn class_of(f: &Finding) -> Option<Verdict> {
    use Verdict::*;
    let v = match f.code {
        // cannot be vetted
        "EG001" | "EG003" | "EG005" | "EG009" => Reject,
        // escape primitives
        "EG101" | "EG102" | "EG103" | "EG104" | "EG106" | "EG107" | "EG108" | "EG109" | "EG110"
        | "EG111" => Reject,
        // hijackable SECURITY DEFINER paths, grants of them to PUBLIC
        "PS003" | "PS004" | "EG116" | "EG118" | "EG130" => Reject,
        // left behind: reaches outside the database, or runs as its owner for anyone
        "EG105" | "EG117" => SuperuserOnly,
        "EG115" if f.severity == Severity::Error => SuperuserOnly,
        // needs a superuser to install, leaves nothing to escalate with
        "EG112" | "EG113" | "EG114" | "EG115" | "EG119" | "EG120" => Delegable,
        // install-time objects a hostile search_path can take over
        "PS001" | "PS002" | "PS006" | "PS007" | "PS008" | "PS009" | "PS010" | "PS011" | "PS012"
        | "PS013" | "PS014" | "PS015" | "PS016" | "PS017" | "PS018" => Delegable,
        _ => return None,
    };
    // an info-level search_path note does not make an install hijackable
    (f.severity >= Severity::Warning || f.code == "EG115").then_some(v)
}

/// Every finding code [`class_of`] reads: `--write-policy` needs them all enabled.
pub const CODES: &[&str] = &[
    "EG001", "EG003", "EG005", "EG009", "EG101", "EG102", "EG103", "EG104", "EG105", "EG106",
    "EG107", "EG108", "EG109", "EG110", "EG111", "EG112", "EG113", "EG114", "EG115", "EG116",
    "EG117", "EG118", "EG119", "EG120", "EG130", "PS001", "PS002", "PS003", "PS004", "PS006",
    "PS007", "PS008", "PS009", "PS010", "PS011", "PS012", "PS013", "PS014", "PS015", "PS016",
    "PS017", "PS018",
];

/// Assess an extension: `files` are its control file then its scripts,
/// `findings` theirs (same order).
pub fn assess(
    control: Option<&Control>,
    files: &[SourceFile],
    findings: &[Vec<Finding>],
) -> Assessment {
    let mut reasons: Vec<Reason> = findings
        .iter()
        .flatten()
        .filter_map(|f| {
            class_of(f).map(|verdict| Reason {
                verdict,
                code: f.code.to_string(),
                path: f.path.clone(),
                line: f.line,
                message: f.message.clone(),
            })
        })
        .collect();
    let module = control.and_then(|c| c.module_pathname.as_deref());
    let mut libraries: Vec<String> = module.iter().map(|m| m.to_string()).collect();
    for file in files.iter().skip(1) {
        created_objects(file, module, &mut reasons, &mut libraries);
    }
    // worst first, then in file order
    reasons.sort_by_key(|r| std::cmp::Reverse(r.verdict));
    Assessment {
        verdict: reasons
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::TrustedSafe),
        reasons,
        trusted_claim: control.is_some_and(|c| c.trusted),
        libraries,
    }
}

/// Objects the scripts create that need a superuser although no rule
/// reports them (base types: CREATE TYPE with an input function; C
/// functions loaded from a library other than the extension's own module),
/// and every shared library they name, into `libs` (`MODULE_PATHNAME`
/// resolved, as written: `$libdir/cube`). Only statements that can be such
/// are parsed.
fn created_objects(
    file: &SourceFile,
    module: Option<&str>,
    reasons: &mut Vec<Reason>,
    libs: &mut Vec<String>,
) {
    use pg_query::protobuf::ObjectType;
    use pg_query::NodeEnum;
    for s in &file.statements {
        let text = file.prepared(s.start, s.end);
        let lower = text.to_ascii_lowercase();
        let maybe_type = lower.contains("type") && lower.contains("input");
        if !lower.trim_start().starts_with("create") || !(maybe_type || language_c(&lower)) {
            continue;
        }
        let Ok(tree) = crate::parse::parse(&text) else {
            continue;
        };
        let line = file
            .line_col(s.start + (text.len() - text.trim_start().len()))
            .0;
        let reason = |message: String, code: &str| Reason {
            verdict: Verdict::Delegable,
            code: code.into(),
            path: file.path.clone(),
            line,
            message,
        };
        for raw in &tree.stmts {
            match raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
                Some(NodeEnum::DefineStmt(d))
                    if d.kind == ObjectType::ObjectType as i32 && !d.definition.is_empty() =>
                {
                    reasons.push(reason(
                        format!(
                            "creates the base type {}: only a superuser may",
                            names::dotted(&d.defnames)
                        ),
                        "base-type",
                    ));
                }
                Some(NodeEnum::CreateFunctionStmt(f)) => {
                    let Some(native) = crate::inventory::native_function(f, module) else {
                        continue;
                    };
                    if native.language != "c" || native.as_items.is_empty() {
                        continue;
                    }
                    if let Some(lib) = &native.library {
                        if !libs.contains(lib) {
                            libs.push(lib.clone());
                        }
                    }
                    if !native.own_module {
                        let lib = native.as_items.first().map(String::as_str).unwrap_or("");
                        reasons.push(reason(
                            format!(
                                "C function {} loads '{lib}', not the extension's own module{}",
                                names::dotted(&f.funcname),
                                module.map(|m| format!(" '{m}'")).unwrap_or_default()
                            ),
                            "c-function",
                        ));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Does this (lower-case) statement text say `language c` (the name
/// bare or quoted)? A cheap test before parsing.
fn language_c(lower: &str) -> bool {
    lower.match_indices("language").any(|(i, w)| {
        let rest = lower[i + w.len()..].trim_start();
        let rest = rest.strip_prefix(['\'', '"']).unwrap_or(rest);
        rest.starts_with('c')
            && !rest[1..].starts_with(|ch: char| ch.is_alphanumeric() || ch == '_')
    })
}
