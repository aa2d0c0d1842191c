//! pgspot 0.9.4's text format, for scripts that parse its output.
//!
//! `CODE: Title: context at line N` per finding, then ` Errors: E Warnings: W
//! Unknown: U ` per file; with several files each starts with `path: ` and a
//! `TOTAL:` line ends the output. Unknown languages print as pgspot's
//! "Unknown function language: X" lines. This format prints every rule
//! (EG findings too); `extguard pgspot` is pgspot's whole command line.

use std::io::Write;

use crate::finding::{Finding, Severity};
use crate::outcome::Outcome;
use crate::rules;

#[derive(Default)]
struct Counts {
    errors: usize,
    warnings: usize,
    unknowns: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Errors: {} Warnings: {} Unknown: {}",
            self.errors, self.warnings, self.unknowns
        )
    }
}

fn line(out: &mut String, f: &Finding, c: &mut Counts) {
    use std::fmt::Write as _;
    // writing into a String cannot fail
    if f.code == rules::EG004.code {
        c.unknowns += 1;
        let _ = writeln!(out, "{}", f.message);
        return;
    }
    if f.code.starts_with("EG0") {
        // the analyzer's diagnostics are pgspot's fatals: counted as errors
        // here, printed with their message (rules beyond pgspot's, EG1xx and
        // up, print like PS rules)
        c.errors += 1;
        let _ = writeln!(out, "{}: {} at line {}", f.title, f.message, f.line);
        return;
    }
    match f.severity {
        Severity::Error => c.errors += 1,
        _ => c.warnings += 1,
    }
    let _ = writeln!(out, "{}", FindingLine(f));
}

/// `CODE: Title: object at line N`, the object as pgspot prints it.
pub fn finding_line(f: &Finding) -> String {
    FindingLine(f).to_string()
}

struct FindingLine<'a>(&'a Finding);

impl std::fmt::Display for FindingLine<'_> {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let f = self.0;
        let context = f
            .pgspot_context
            .as_deref()
            .or(f.object.as_deref())
            .unwrap_or_default();
        // piece by piece: a format string costs more than the pieces here
        for piece in [f.code, ": ", f.title, ": ", context, " at line "] {
            out.write_str(piece)?;
        }
        write!(out, "{}", f.line)
    }
}

pub fn write_pgspot(o: &Outcome, out: &mut dyn Write) -> std::io::Result<()> {
    let files: Vec<_> = o.units.iter().flat_map(|u| &u.files).collect();
    let many = files.len() > 1;
    let mut total = Counts::default();
    for file in files {
        if many {
            writeln!(out, "{}: ", file.path)?;
        }
        let mut c = Counts::default();
        // lines are formatted into one buffer and written whole: formatting
        // straight into the writer writes each piece on its own
        let mut buf = String::new();
        for f in &file.findings {
            buf.clear();
            line(&mut buf, &f.finding, &mut c);
            out.write_all(buf.as_bytes())?;
        }
        writeln!(out, "\n {c} \n")?;
        total.errors += c.errors;
        total.warnings += c.warnings;
        total.unknowns += c.unknowns;
    }
    if many {
        writeln!(out, "TOTAL: {total}")?;
    }
    Ok(())
}
