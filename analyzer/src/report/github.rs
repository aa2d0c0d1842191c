//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice`
//! line per finding, which the runner shows as an annotation on the line
//! in the pull request.

use std::io::Write;
use std::path::Path;

use crate::finding::Severity;
use crate::outcome::Outcome;

/// Escape a message (`%`, CR and LF) as the runner expects.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Paths are relative to `base` (the repository root, as the runner
/// wants them) when they lie inside it.
pub fn write_github(o: &Outcome, base: &Path, out: &mut dyn Write) -> std::io::Result<()> {
    for f in o.findings() {
        let f = &f.finding;
        let path = super::sarif::relative_path(&f.path, base).unwrap_or_else(|abs| abs);
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let message = match &f.object {
            Some(obj) => format!("{} ({obj})", f.message),
            None => f.message.clone(),
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&path),
            f.line.max(1),
            f.column.max(1),
            f.end_line.max(f.line).max(1),
            f.end_column.max(1),
            property(&format!("{} {}", f.code, f.title)),
            data(&message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_escaped() {
        assert_eq!(super::property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(super::data("a:b,c"), "a:b,c");
    }
}
