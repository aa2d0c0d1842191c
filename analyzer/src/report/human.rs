//! Human output: the source line, a caret under the span, and a label.

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::WriteColor};

use super::{Report, Summary};
use crate::finding::Severity;

/// Every finding with its source; then a summary line unless `quiet`.
pub fn write_human(r: &Report, out: &mut dyn WriteColor, quiet: bool) -> std::io::Result<()> {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = r
        .files
        .iter()
        .map(|f| files.add(f.path.clone(), f.text.clone()))
        .collect();
    let config = term::Config::default();
    for (i, fs) in r.findings.iter().enumerate() {
        for f in fs {
            let d = match f.severity {
                Severity::Error => Diagnostic::error(),
                Severity::Warning => Diagnostic::warning(),
                Severity::Info => Diagnostic::note(),
            };
            let end = f.span.end.max(f.span.start).min(r.files[i].text.len());
            let start = f.span.start.min(end);
            let label = f.object.clone().unwrap_or_else(|| f.title.to_string());
            let d = d
                .with_code(f.code)
                .with_message(format!("{}: {}", f.title, f.message))
                .with_labels(vec![Label::primary(ids[i], start..end).with_message(label)])
                .with_notes(vec![format!("see `extguard explain {}`", f.code)]);
            term::emit(out, &config, &files, &d)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
    }
    if quiet {
        return Ok(());
    }
    let s = Summary::of(r.findings.iter().flatten());
    writeln!(
        out,
        "{} file(s): {} error(s), {} warning(s), {} parse error(s)",
        r.files.len(),
        s.errors,
        s.warnings,
        s.parse_errors
    )
}
