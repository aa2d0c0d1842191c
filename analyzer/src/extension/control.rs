//! `.control` files: the metadata CREATE EXTENSION reads.

use std::collections::BTreeMap;

/// A parsed control file. Unknown keys are kept in `other`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Control {
    pub default_version: Option<String>,
    pub directory: Option<String>,
    pub schema: Option<String>,
    pub relocatable: bool,
    pub trusted: bool,
    /// Defaults to true, as in PostgreSQL.
    pub superuser: bool,
    pub requires: Vec<String>,
    pub module_pathname: Option<String>,
    pub comment: Option<String>,
    pub encoding: Option<String>,
    pub no_relocate: Vec<String>,
    pub other: BTreeMap<String, String>,
}

/// A problem in a control file, with the byte offset of the offending line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError {
    pub offset: usize,
    pub message: String,
}

/// Parse a control file the way PostgreSQL's GUC-file parser does: `name = value`
/// lines (the `=` is optional), `#` comments, values quoted with single
/// quotes (`''` for a quote) or bare words, numbers and booleans.
pub fn parse(text: &str) -> Result<Control, ControlError> {
    let mut c = Control {
        superuser: true,
        ..Control::default()
    };
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let err = |message: String| ControlError {
            offset: line_start,
            message,
        };
        let (key, rest) = match line.find(|ch: char| ch == '=' || ch.is_whitespace()) {
            Some(i) => (&line[..i], line[i..].trim_start()),
            None => return Err(err(format!("syntax error: '{line}' has no value"))),
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.')
        {
            return Err(err(format!("syntax error: bad parameter name '{key}'")));
        }
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
        let value = parse_value(rest).map_err(err)?;
        let boolean = |v: &str| -> Result<bool, ControlError> {
            match v.to_ascii_lowercase().as_str() {
                "true" | "on" | "yes" | "1" | "t" | "y" => Ok(true),
                "false" | "off" | "no" | "0" | "f" | "n" => Ok(false),
                _ => Err(ControlError {
                    offset: line_start,
                    message: format!("parameter \"{key}\" requires a Boolean value, got '{v}'"),
                }),
            }
        };
        let list = |v: &str| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        match key.to_ascii_lowercase().as_str() {
            "default_version" => c.default_version = Some(value),
            "directory" => c.directory = Some(value),
            "schema" => c.schema = Some(value),
            "relocatable" => c.relocatable = boolean(&value)?,
            "trusted" => c.trusted = boolean(&value)?,
            "superuser" => c.superuser = boolean(&value)?,
            "requires" => c.requires = list(&value),
            "module_pathname" => c.module_pathname = Some(value),
            "comment" => c.comment = Some(value),
            "encoding" => c.encoding = Some(value),
            "no_relocate" => c.no_relocate = list(&value),
            other => {
                c.other.insert(other.to_string(), value);
            }
        }
    }
    Ok(c)
}

fn strip_comment(line: &str) -> &str {
    let mut in_quote = false;
    for (i, ch) in line.char_indices() {
        match ch {
            '\'' => in_quote = !in_quote,
            '#' if !in_quote => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_value(rest: &str) -> Result<String, String> {
    if let Some(q) = rest.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = q.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    out.push('\'');
                }
                '\'' => {
                    let tail: String = chars.collect();
                    if !tail.trim().is_empty() {
                        return Err(format!(
                            "syntax error: unexpected '{}' after quoted value",
                            tail.trim()
                        ));
                    }
                    return Ok(out);
                }
                '\\' => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                _ => out.push(ch),
            }
        }
        Err("unterminated quoted string".into())
    } else if rest.is_empty() {
        Err("syntax error: missing value".into())
    } else if rest.contains(char::is_whitespace) {
        Err(format!(
            "syntax error: unquoted value '{rest}' contains spaces"
        ))
    } else {
        Ok(rest.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contrib_style_files() {
        let c = parse("# cube extension\ncomment = 'data type for multidimensional cubes'\ndefault_version = '1.5'\nmodule_pathname = '$libdir/cube'\nrelocatable = true\ntrusted = true\nrequires = 'a, b'\n").unwrap();
        assert_eq!(c.default_version.as_deref(), Some("1.5"));
        assert!(c.relocatable && c.trusted && c.superuser);
        assert_eq!(c.requires, vec!["a", "b"]);
        assert_eq!(c.module_pathname.as_deref(), Some("$libdir/cube"));
    }

    #[test]
    fn reports_errors_with_their_line() {
        let e = parse("default_version = '1.0'\nrelocatable = maybe\n").unwrap_err();
        assert_eq!(e.offset, 24);
        assert!(e.message.contains("Boolean"));
        assert!(parse("comment = 'unterminated\n").is_err());
        assert!(parse("justaword\n").is_err());
    }
}
