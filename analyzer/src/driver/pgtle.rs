//! pg_tle packages: extensions whose scripts are data, the string
//! arguments of `pgtle.install_extension(name, version, description, sql
//! [, requires [, schema]])`, `pgtle.install_extension_version_sql(name,
//! version, sql)`, `pgtle.install_update_path(name, from, to, sql)` and
//! `pgtle.set_default_version(name, version)` calls in a SQL file.
//!
//! Each package is written out as the extension pg_tle makes of it (a
//! control file and `NAME--V.sql` / `NAME--A--B.sql` scripts) in a
//! temporary directory and analysed as any extension; every finding is
//! then carried back into the string literal it came from, so its line and
//! column are those of the SQL file that holds the calls.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::Config;
use crate::extension;
use crate::finding::Finding;
use crate::outcome::{file_result, Display, UnitKind, UnitResult};
use crate::parse::lexer::{decode_string, lex, StringValue, Token, TokenKind};
use crate::source::SourceFile;
use crate::span::Span;

/// One script of a package: its SQL and where each byte of it sits in the file.
#[derive(Debug, Clone)]
pub struct TleScript {
    pub from: Option<String>,
    pub to: String,
    pub sql: StringValue,
}

/// An extension defined through pg_tle calls.
#[derive(Debug, Clone)]
pub struct TlePackage {
    pub name: String,
    /// Where the first call naming it starts (control-file findings land there).
    pub at: Span,
    pub description: Option<String>,
    pub default_version: Option<String>,
    pub requires: Vec<String>,
    pub schema: Option<String>,
    pub scripts: Vec<TleScript>,
}

/// A quick test before lexing: could `text` hold pg_tle calls?
pub fn may_hold_packages(text: &str) -> bool {
    memmem_ci(text.as_bytes(), b"pgtle")
}

fn memmem_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// One argument of a call: a text value (string constant, possibly cast),
/// a list of texts (`ARRAY['a', 'b']`, `'{a,b}'`), or anything else.
#[derive(Debug)]
enum Arg {
    Text(StringValue),
    List(Vec<String>),
    Null,
    Other,
}

impl Arg {
    fn text(&self) -> Option<&str> {
        match self {
            Arg::Text(v) => Some(&v.value),
            _ => None,
        }
    }

    /// `requires`: an array of names, or one text (`'{a,b}'` or `a`).
    fn names(&self) -> Vec<String> {
        match self {
            Arg::List(v) => v.clone(),
            Arg::Text(v) => v
                .value
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The pg_tle packages defined by calls in `text`, in the order of their first call.
pub fn find_packages(text: &str) -> Vec<TlePackage> {
    let toks: Vec<Token> = lex(text)
        .into_iter()
        .filter(|t| t.is_significant())
        .collect();
    let mut by_name: BTreeMap<String, TlePackage> = BTreeMap::new();
    let mut order = Vec::new();
    let mut i = 0;
    while i + 3 < toks.len() {
        let schema_ok =
            ident(text, &toks[i]).is_some_and(|s| s == "pgtle") && toks[i + 1].is_punct(text, '.');
        let func = ident(text, &toks[i + 2]);
        if !(schema_ok && toks[i + 3].is_punct(text, '(')) {
            i += 1;
            continue;
        }
        let Some(func) = func else {
            i += 1;
            continue;
        };
        let (args, next) = arguments(text, &toks, i + 4);
        let at = Span::new(toks[i].start, toks[i + 2].end);
        i = next;
        let Some(name) = args.first().and_then(Arg::text).map(str::to_string) else {
            continue;
        };
        let pkg = by_name.entry(name.clone()).or_insert_with(|| {
            order.push(name.clone());
            TlePackage {
                name: name.clone(),
                at,
                description: None,
                default_version: None,
                requires: Vec::new(),
                schema: None,
                scripts: Vec::new(),
            }
        });
        let text_at = |k: usize| args.get(k).and_then(Arg::text).map(str::to_string);
        let sql_at = |k: usize| match args.get(k) {
            Some(Arg::Text(v)) => Some(v.clone()),
            _ => None,
        };
        match func.as_str() {
            "install_extension" => {
                if let (Some(v), Some(sql)) = (text_at(1), sql_at(3)) {
                    pkg.default_version = Some(v.clone());
                    pkg.scripts.push(TleScript {
                        from: None,
                        to: v,
                        sql,
                    });
                }
                pkg.description = text_at(2);
                if let Some(r) = args.get(4) {
                    pkg.requires = r.names();
                }
                pkg.schema = text_at(5);
            }
            "install_extension_version_sql" => {
                if let (Some(v), Some(sql)) = (text_at(1), sql_at(2)) {
                    pkg.scripts.push(TleScript {
                        from: None,
                        to: v,
                        sql,
                    });
                }
            }
            "install_update_path" => {
                if let (Some(a), Some(b), Some(sql)) = (text_at(1), text_at(2), sql_at(3)) {
                    pkg.scripts.push(TleScript {
                        from: Some(a),
                        to: b,
                        sql,
                    });
                }
            }
            "set_default_version" => {
                pkg.default_version = text_at(1).or(pkg.default_version.take())
            }
            _ => {}
        }
    }
    order
        .into_iter()
        .filter_map(|n| by_name.remove(&n))
        .filter(|p| !p.scripts.is_empty())
        .collect()
}

/// A bare or quoted identifier, folded as PostgreSQL folds it.
fn ident(text: &str, t: &Token) -> Option<String> {
    match t.kind {
        TokenKind::Word => Some(t.text(text).to_ascii_lowercase()),
        TokenKind::QuotedIdent => {
            let s = t.text(text);
            Some(s.get(1..s.len().saturating_sub(1))?.replace("\"\"", "\""))
        }
        _ => None,
    }
}

/// The arguments of a call whose `(` precedes `toks[start]`, and the index
/// after its `)`. Named arguments (`name => value`) are taken in order.
fn arguments(text: &str, toks: &[Token], start: usize) -> (Vec<Arg>, usize) {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut cur: Vec<Token> = Vec::new();
    let mut i = start;
    while i < toks.len() {
        let t = toks[i];
        i += 1;
        if t.is_punct(text, '(') || t.is_punct(text, '[') {
            depth += 1;
        } else if t.is_punct(text, ')') || t.is_punct(text, ']') {
            if depth == 0 {
                args.push(argument(text, &cur));
                return (args, i);
            }
            depth -= 1;
        } else if t.is_punct(text, ',') && depth == 0 {
            args.push(argument(text, &std::mem::take(&mut cur)));
            continue;
        } else if t.is_punct(text, ';') {
            break;
        }
        cur.push(t);
    }
    (args, i)
}

fn argument(text: &str, toks: &[Token]) -> Arg {
    let mut toks = toks;
    // `name => value`
    if toks.len() > 2
        && toks[0].kind == TokenKind::Word
        && toks[1].kind == TokenKind::Operator
        && toks[1].text(text) == "=>"
    {
        toks = &toks[2..];
    }
    let Some(first) = toks.first() else {
        return Arg::Other;
    };
    if first.is_word(text, "null") {
        return Arg::Null;
    }
    if first.is_word(text, "array") {
        return Arg::List(
            toks.iter()
                .filter_map(|t| decode_string(text, t))
                .map(|v| v.value)
                .collect(),
        );
    }
    // a constant, possibly cast (`'...'::text`): nothing else may follow
    let rest_is_cast = toks[1..]
        .first()
        .is_none_or(|t| t.kind == TokenKind::Operator && t.text(text) == "::");
    match decode_string(text, first) {
        Some(v) if rest_is_cast => Arg::Text(v),
        _ => Arg::Other,
    }
}

/// Analyse the packages of `file` (found by [`find_packages`]): one unit
/// per package, its findings on `file`. Temporary files go under `tmp`.
pub fn analyse(
    file: &SourceFile,
    packages: &[TlePackage],
    label: &str,
    package: &Option<super::Package>,
    display: &Display,
    cfg: &Config,
    tmp: &Path,
) -> Result<Vec<UnitResult>, String> {
    let mut units = Vec::new();
    for pkg in packages {
        let dir = super::archive::TempDir::new_in(tmp)
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let safe: String = pkg
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut control = String::new();
        if let Some(v) = &pkg.default_version {
            control.push_str(&format!("default_version = '{}'\n", quote(v)));
        }
        if let Some(d) = &pkg.description {
            control.push_str(&format!("comment = '{}'\n", quote(d)));
        }
        if !pkg.requires.is_empty() {
            control.push_str(&format!(
                "requires = '{}'\n",
                quote(&pkg.requires.join(", "))
            ));
        }
        if let Some(s) = &pkg.schema {
            control.push_str(&format!("schema = '{}'\n", quote(s)));
        }
        // what pg_tle writes for every extension it installs
        control.push_str("relocatable = false\nsuperuser = false\ntrusted = false\n");
        let write = |name: &str, data: &str| {
            std::fs::write(dir.path().join(name), data).map_err(|e| format!("{name}: {e}"))
        };
        write(&format!("{safe}.control"), &control)?;
        // script file name -> index in pkg.scripts (a later call for the same version wins)
        let mut scripts: BTreeMap<String, usize> = BTreeMap::new();
        for (k, s) in pkg.scripts.iter().enumerate() {
            let name = match &s.from {
                Some(a) => format!("{safe}--{}--{}.sql", fname(a), fname(&s.to)),
                None => format!("{safe}--{}.sql", fname(&s.to)),
            };
            write(&name, &s.sql.value)?;
            scripts.insert(dir.path().join(&name).display().to_string(), k);
        }
        let found = extension::discover(dir.path());
        let Some(ext) = found.extensions.first() else {
            continue;
        };
        let rep = extension::analyze(ext, cfg);
        let mut findings = Vec::new();
        for (f, fs) in rep.files.iter().zip(rep.findings) {
            let map = scripts.get(&f.path).map(|&k| &pkg.scripts[k].sql.map);
            findings.extend(fs.into_iter().map(|x| carry(x, map, pkg.at, file)));
        }
        findings.sort_by_key(|f| (f.span.start, f.span.end, f.code));
        let chain = rep
            .install_chain
            .iter()
            .filter_map(|&i| scripts.get(&rep.files[i].path))
            .map(|&k| {
                let at = pkg.scripts[k].sql.map.first().copied().unwrap_or(0);
                format!("{}:{}", display.show(&file.path), file.line_col(at).0)
            })
            .collect();
        units.push(UnitResult::new(
            pkg.name.clone(),
            UnitKind::Extension,
            rep.default_version,
            label,
            package,
            vec![file_result(file, findings, &[], display)],
            chain,
        ));
    }
    Ok(units)
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// A version as it may appear in a file name.
fn fname(v: &str) -> String {
    v.replace(['/', '\0'], "_").replace("--", "_")
}

/// A finding on a written-out script (or control file: `map` is `None`)
/// carried back into `file`.
fn carry(mut f: Finding, map: Option<&Vec<usize>>, at: Span, file: &SourceFile) -> Finding {
    f.span = match map {
        Some(m) if !m.is_empty() => {
            let to = |i: usize| m[i.min(m.len() - 1)];
            let start = to(f.span.start);
            let end = if f.span.end > f.span.start {
                to(f.span.end).max(to(f.span.end - 1) + 1)
            } else {
                start
            };
            Span::new(start, end)
        }
        _ => at,
    };
    (f.line, f.column) = file.line_col(f.span.start);
    (f.end_line, f.end_column) = file.line_col(f.span.end);
    f.path = file.path.clone();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_with_dollar_quotes_plain_literals_arrays_and_named_arguments() {
        let text = "SELECT pgtle.install_extension('x', '1.0', 'demo', $_pgtle_$CREATE TABLE t();$_pgtle_$, ARRAY['a', 'b']);\n\
                    SELECT \"pgtle\".install_update_path(name => 'x', fromvers => '1.0', tovers => '1.1', ext => 'SELECT ''it''''s'';');\n\
                    SELECT pgtle.set_default_version('x', '1.1');\n\
                    -- SELECT pgtle.install_extension('y', '1', 'in a comment', 'SELECT 1');\n";
        let p = find_packages(text);
        assert_eq!(p.len(), 1);
        let p = &p[0];
        assert_eq!(p.name, "x");
        assert_eq!(p.requires, ["a", "b"]);
        assert_eq!(p.default_version.as_deref(), Some("1.1"));
        assert_eq!(p.scripts.len(), 2);
        assert_eq!(p.scripts[0].sql.value, "CREATE TABLE t();");
        assert_eq!(&text[p.scripts[0].sql.map[0]..][..6], "CREATE");
        assert_eq!(p.scripts[1].from.as_deref(), Some("1.0"));
        assert_eq!(p.scripts[1].sql.value, "SELECT 'it''s';");
        // `'it` starts after `SELECT ''` in the file
        let q = p.scripts[1].sql.map[7];
        assert_eq!(&text[q..q + 2], "''");
    }
}
