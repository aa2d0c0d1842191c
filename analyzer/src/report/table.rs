//! The summary table (`--format table`, and the head of `human` when there
//! are extensions): per unit, then totals per rule.

use crate::outcome::{top_codes, totals_per_rule, Outcome, Summary, UnitKind};

/// The summary table printed on stdout: per unit, then totals per rule.
pub fn table(o: &Outcome) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<32} {:>10} {:>5} {:>6} {:>8}  {:<24} source",
        "extension", "version", "files", "errors", "warnings", "top codes"
    );
    let mut all = Summary::default();
    for u in &o.units {
        let top: Vec<String> = top_codes(u, 3)
            .iter()
            .map(|(c, k)| format!("{c}x{k}"))
            .collect();
        let s = u.summary;
        all.errors += s.errors;
        all.warnings += s.warnings;
        all.parse_errors += s.parse_errors;
        let _ = writeln!(
            out,
            "{:<32} {:>10} {:>5} {:>6} {:>8}  {:<24} {}",
            u.name,
            u.version.as_deref().unwrap_or("-"),
            u.files.len(),
            s.errors + s.parse_errors,
            s.warnings,
            top.join(" "),
            u.source
        );
    }
    let totals: Vec<String> = totals_per_rule(&o.units)
        .iter()
        .map(|(c, k)| format!("{c}: {k}"))
        .collect();
    let _ = writeln!(
        out,
        "\n{} extension(s), {} unpackaged group(s), {} file(s): {} error(s), {} warning(s); {} input error(s)",
        o.units
            .iter()
            .filter(|u| u.kind == UnitKind::Extension)
            .count(),
        o.units
            .iter()
            .filter(|u| u.kind == UnitKind::Unpackaged)
            .count(),
        o.units.iter().map(|u| u.files.len()).sum::<usize>(),
        all.errors + all.parse_errors,
        all.warnings,
        o.errors.len()
    );
    let _ = writeln!(
        out,
        "totals per rule: {}",
        if totals.is_empty() {
            "none".to_string()
        } else {
            totals.join(", ")
        }
    );
    out
}
