//! Findings: what the analyzer reports.

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!(
                "unknown severity '{s}' (expected info, warning or error)"
            )),
        }
    }
}

/// One reported problem, with its exact place in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// The object concerned (function signature, relation, operator...), if any.
    pub object: Option<String>,
    #[serde(skip)]
    pub span: Span,
    /// The object as pgspot prints it, where that differs from `object`
    /// (`'=' in a = b` for PS001): set only when [`crate::Config::pgspot_text`] is.
    #[serde(skip)]
    pub pgspot_context: Option<String>,
}

impl Finding {
    /// A finding of `rule` (its code, title and default severity) on
    /// `span` of `file`, its line and column computed from the span.
    pub fn at(
        file: &crate::source::SourceFile,
        rule: &crate::rules::Rule,
        span: Span,
        message: String,
        object: Option<String>,
    ) -> Finding {
        let ((line, column), (end_line, end_column)) = file.span_line_cols(span.start, span.end);
        Finding {
            code: rule.code,
            severity: rule.severity,
            title: rule.title,
            message,
            path: file.path.clone(),
            line,
            column,
            end_line,
            end_column,
            object,
            span,
            pgspot_context: None,
        }
    }

    /// Is this one of the analyzer's own diagnostics about the input (syntax error, bad encoding, internal error)?
    pub fn is_parse_error(&self) -> bool {
        self.code == crate::rules::EG001.code
    }
}
