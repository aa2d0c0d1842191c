//! Human output: each finding with its source lines, a caret under the
//! span and a label (codespan-reporting), grouped per extension; the
//! lines come from the finding's snippet, so `check` and `scan` render
//! alike without keeping whole files.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{Error, Files};
use codespan_reporting::term::{self, termcolor::WriteColor};

use super::table;
use crate::finding::Severity;
use crate::outcome::{Outcome, ReportedFinding, Summary, UnitKind};

/// The summary table first (`table`, unless `quiet`), every finding with
/// its source (under a heading per extension or group of files when there
/// is more than one, or an extension), then a summary line unless `quiet`.
pub fn write_human(
    o: &Outcome,
    out: &mut dyn WriteColor,
    quiet: bool,
    table: bool,
) -> std::io::Result<()> {
    if table && !quiet {
        write!(out, "{}", table::table(o))?;
        writeln!(out)?;
    }
    let headings = o.units.len() > 1 || o.units.iter().any(|u| u.kind == UnitKind::Extension);
    let config = term::Config::default();
    for u in &o.units {
        if u.findings().next().is_none() {
            continue;
        }
        if headings {
            let s = u.summary;
            writeln!(
                out,
                "=== {}{} ({}): {} error(s), {} warning(s)\n",
                u.name,
                u.version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default(),
                match (u.kind, u.files.first()) {
                    (UnitKind::Extension, Some(control)) => &control.path,
                    _ => &u.source,
                },
                s.errors + s.parse_errors,
                s.warnings
            )?;
        }
        for f in u.findings() {
            let file = SnippetFile::of(f);
            let fd = &f.finding;
            let d = match fd.severity {
                Severity::Error => Diagnostic::error(),
                Severity::Warning => Diagnostic::warning(),
                Severity::Info => Diagnostic::note(),
            };
            let label = fd.object.clone().unwrap_or_else(|| fd.title.to_string());
            let d = d
                .with_code(fd.code)
                .with_message(format!("{}: {}", fd.title, fd.message))
                .with_labels(vec![Label::primary((), file.span(f)).with_message(label)])
                .with_notes(vec![format!("see `extguard explain {}`", fd.code)]);
            term::emit(out, &config, &file, &d)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
    }
    if quiet {
        return Ok(());
    }
    for u in &o.units {
        if let Some(a) = &u.verdict {
            writeln!(
                out,
                "verdict: {}",
                crate::policy::verdict_line(&u.name, u.version.as_deref(), a)
            )?;
        }
    }
    let s = Summary::of(o.findings().map(|f| &f.finding));
    writeln!(
        out,
        "{} file(s): {} error(s), {} warning(s), {} parse error(s)",
        o.units.iter().map(|u| u.files.len()).sum::<usize>(),
        s.errors,
        s.warnings,
        s.parse_errors
    )
}

/// A finding's snippet as the one file codespan renders: its lines keep
/// their numbers in the real file.
struct SnippetFile<'a> {
    name: &'a str,
    text: String,
    /// Byte offset of each line in `text`.
    starts: Vec<usize>,
    first_line: usize,
    /// The snippet's `column_offset`.
    shift: usize,
}

impl<'a> SnippetFile<'a> {
    fn of(f: &'a ReportedFinding) -> SnippetFile<'a> {
        let mut text = String::new();
        let mut starts = Vec::new();
        let snippet = f.snippet.as_ref();
        for l in snippet.into_iter().flat_map(|s| s.lines()) {
            starts.push(text.len());
            text.push_str(l);
            text.push('\n');
        }
        if starts.is_empty() {
            // an empty file
            starts.push(0);
            text.push('\n');
        }
        SnippetFile {
            name: &f.finding.path,
            text,
            starts,
            first_line: snippet.map_or(f.finding.line, |s| s.start_line).max(1),
            shift: snippet.map_or(0, |s| s.column_offset),
        }
    }

    /// Byte offset in `text` of a 1-based line and column (in characters)
    /// of the real file, clamped to the snippet.
    fn offset(&self, line: usize, column: usize) -> usize {
        let Some(i) = line.checked_sub(self.first_line) else {
            return 0;
        };
        let Some(&start) = self.starts.get(i) else {
            return self.text.len() - 1;
        };
        let end = self.starts.get(i + 1).map_or(self.text.len(), |&e| e - 1);
        let line_text = &self.text[start..end];
        // with a shift, character 0 is the `…` standing for `shift` characters
        let index = match self.shift {
            0 => column.saturating_sub(1),
            s => (column.saturating_sub(1) + 1).saturating_sub(s),
        };
        start
            + line_text
                .char_indices()
                .nth(index)
                .map_or(line_text.len(), |(b, _)| b)
    }

    /// The finding's span in `text`.
    fn span(&self, f: &ReportedFinding) -> Range<usize> {
        let fd = &f.finding;
        let start = self.offset(fd.line, fd.column);
        let end = self
            .offset(fd.end_line.max(fd.line), fd.end_column)
            .max(start);
        start..end
    }
}

impl<'a> Files<'a> for SnippetFile<'_> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, _: ()) -> Result<&'a str, Error> {
        Ok(self.name)
    }

    fn source(&'a self, _: ()) -> Result<&'a str, Error> {
        Ok(&self.text)
    }

    fn line_index(&'a self, _: (), byte_index: usize) -> Result<usize, Error> {
        Ok(self
            .starts
            .partition_point(|&s| s <= byte_index)
            .saturating_sub(1))
    }

    fn line_number(&'a self, _: (), line_index: usize) -> Result<usize, Error> {
        Ok(self.first_line + line_index)
    }

    fn column_number(
        &'a self,
        id: (),
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, Error> {
        let range = self.line_range(id, line_index)?;
        let k = self.text[range.start..byte_index.clamp(range.start, range.end)]
            .chars()
            .count();
        Ok(match self.shift {
            0 => k + 1,
            s => k + s,
        })
    }

    fn line_range(&'a self, _: (), line_index: usize) -> Result<Range<usize>, Error> {
        let start = *self.starts.get(line_index).ok_or(Error::LineTooLarge {
            given: line_index,
            max: self.starts.len().saturating_sub(1),
        })?;
        let end = self
            .starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(self.text.len());
        Ok(start..end)
    }
}
