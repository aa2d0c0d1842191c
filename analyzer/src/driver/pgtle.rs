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
use crate::outcome::{file_result, Display, Fingerprint, UnitKind, UnitResult};
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

impl TlePackage {
    fn new(name: String, at: Span) -> TlePackage {
        TlePackage {
            name,
            at,
            description: None,
            default_version: None,
            requires: Vec::new(),
            schema: None,
            scripts: Vec::new(),
        }
    }
}

/// A quick test before reading a file as SQL: could its bytes hold pg_tle
/// calls (the name of its functions, in any case)?
pub fn may_hold_packages(bytes: &[u8]) -> bool {
    memmem_ci(bytes, b"pgtle")
}

/// Does `hay` hold `needle` (ASCII letters in any case)? Looks only where
/// `needle`'s first letter is, in either case.
fn memmem_ci(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), hay).any(|i| {
        hay.get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
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
            TlePackage::new(name.clone(), at)
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
        let (dir, scripts) = materialise(pkg, tmp)?;
        let found = extension::discover(dir.path());
        let Some(ext) = found.extensions.first() else {
            continue;
        };
        let rep = extension::analyze(ext, cfg);
        // the verdict, its reasons carried into the file as the findings are
        let mut verdict =
            crate::verdict::assess(ext.control.as_ref().ok(), &rep.files, &rep.findings);
        for r in &mut verdict.reasons {
            let at = match scripts.get(&r.path) {
                Some(&k) => {
                    let sql = &pkg.scripts[k].sql;
                    let start: usize = sql
                        .value
                        .split_inclusive('\n')
                        .take(r.line.saturating_sub(1))
                        .map(str::len)
                        .sum();
                    sql.map.get(start).copied().unwrap_or(pkg.at.start)
                }
                None => pkg.at.start,
            };
            r.line = file.line_col(at).0;
            r.path = display.show(&file.path);
        }
        // each finding with the fingerprint of its place in the script
        // itself: the carrying file's lines (a one-line JSON package) would
        // make every edit of the package a new finding
        let mut carried = Vec::new();
        for (f, fs) in rep.files.iter().zip(rep.findings) {
            let map = scripts.get(&f.path).map(|&k| &pkg.scripts[k].sql.map);
            carried.extend(fs.into_iter().map(|x| {
                let print = map
                    .filter(|_| cfg.detail.fingerprints)
                    .map(|_| crate::report::fingerprint::fingerprint(&x, &f.text));
                (carry(x, map, pkg.at, file), print)
            }));
        }
        carried.sort_by_key(|(f, _)| (f.span.start, f.span.end, f.code));
        let (findings, prints): (Vec<Finding>, Vec<Option<Fingerprint>>) =
            carried.into_iter().unzip();
        let chain = rep
            .install_chain
            .iter()
            .filter_map(|&i| scripts.get(&rep.files[i].path))
            .map(|&k| {
                let at = pkg.scripts[k].sql.map.first().copied().unwrap_or(0);
                format!("{}:{}", display.show(&file.path), file.line_col(at).0)
            })
            .collect();
        let mut result = file_result(file, findings, &[], display, cfg.detail);
        for (r, print) in result.findings.iter_mut().zip(prints) {
            if print.is_some() {
                r.fingerprint = print;
            }
        }
        let mut u = UnitResult::new(
            pkg.name.clone(),
            UnitKind::Extension,
            rep.default_version,
            label,
            package,
            vec![result],
            chain,
        );
        u.verdict = Some(verdict);
        units.push(u);
    }
    Ok(units)
}

/// Write `pkg` out as the extension pg_tle makes of it (a control file and
/// its scripts) in a new temporary directory under `tmp`; with, for each
/// script written (its path), its index in `pkg.scripts`.
pub fn materialise(
    pkg: &TlePackage,
    tmp: &Path,
) -> Result<(super::archive::TempDir, BTreeMap<String, usize>), String> {
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
    Ok((dir, scripts))
}

/// A span of a script carried through its literal's offset map (one file
/// offset per script byte, plus the end) into the file.
pub fn carry_span(span: Span, map: &[usize]) -> Span {
    if map.is_empty() {
        return span;
    }
    let to = |i: usize| map[i.min(map.len() - 1)];
    let start = to(span.start);
    let end = if span.end > span.start {
        to(span.end).max(to(span.end - 1) + 1)
    } else {
        start
    };
    Span::new(start, end)
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
        Some(m) if !m.is_empty() => carry_span(f.span, m),
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

/// A JSON value with the source position of every string byte.
#[derive(Debug)]
enum Json {
    Str(StringValue),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    Other,
}

impl Json {
    fn get(&self, keys: &[&str]) -> Option<&Json> {
        match self {
            Json::Obj(fields) => keys
                .iter()
                .find_map(|k| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v)),
            _ => None,
        }
    }

    fn text(&self, keys: &[&str]) -> Option<String> {
        match self.get(keys)? {
            Json::Str(v) => Some(v.value.clone()),
            _ => None,
        }
    }
}

/// Nesting deeper than this is not a package (and must not overflow the stack).
const MAX_JSON_DEPTH: usize = 64;

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_JSON_DEPTH {
            return Err(format!("nested more than {MAX_JSON_DEPTH} levels"));
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'"') => self.string().map(Json::Str),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(self.expected("',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return Err(self.expected("a key"));
                    }
                    let key = self.string()?.value;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err(self.expected("':'"));
                    }
                    self.i += 1;
                    fields.push((key, self.value(depth + 1)?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(fields));
                        }
                        _ => return Err(self.expected("',' or '}'")),
                    }
                }
            }
            Some(_) => {
                // numbers, true, false, null
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || b"+-.".contains(&self.s[self.i]))
                {
                    self.i += 1;
                }
                if self.i == start {
                    return Err(self.expected("a value"));
                }
                Ok(Json::Other)
            }
            None => Err("unexpected end of file".into()),
        }
    }

    fn expected(&self, what: &str) -> String {
        format!("expected {what} at byte {}", self.i)
    }

    /// A string at `self.i` (on its opening quote), decoded with its map.
    fn string(&mut self) -> Result<StringValue, String> {
        let mut value = Vec::new();
        let mut map = Vec::new();
        self.i += 1;
        loop {
            let at = self.i;
            match self.s.get(self.i) {
                None => return Err("unterminated string".into()),
                Some(b'"') => {
                    self.i += 1;
                    map.push(at);
                    let value =
                        String::from_utf8(value).map_err(|_| "invalid UTF-8".to_string())?;
                    return Ok(StringValue { value, map });
                }
                Some(b'\\') => {
                    let c = *self.s.get(self.i + 1).ok_or("unterminated string")?;
                    self.i += 2;
                    let ch = match c {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp)
                                && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                cp = 0x10000
                                    + ((cp - 0xd800) << 10)
                                    + (lo.wrapping_sub(0xdc00) & 0x3ff);
                            }
                            char::from_u32(cp).unwrap_or('\u{fffd}')
                        }
                        _ => return Err(format!("bad escape at byte {at}")),
                    };
                    let mut buf = [0u8; 4];
                    let bytes = ch.encode_utf8(&mut buf).as_bytes();
                    value.extend_from_slice(bytes);
                    map.extend(std::iter::repeat_n(at, bytes.len()));
                }
                Some(&b) => {
                    value.push(b);
                    map.push(at);
                    self.i += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| format!("bad \\u escape at byte {}", self.i))?;
        self.i += 4;
        Ok(h)
    }
}

/// Is this JSON text shaped like a database.dev package (a `sql` field
/// next to `package_name` or `name`)? A cheap test before parsing.
pub fn may_be_json_package(text: &str) -> bool {
    text.contains("\"sql\"") && (text.contains("\"package_name\"") || text.contains("\"name\""))
}

/// The pg_tle packages of a database.dev-style JSON file: objects with
/// `package_name` (or `name`), `version`, `sql`, `control_description`,
/// `control_requires` (install scripts) or `from_version`, `to_version`,
/// `sql` (update scripts), given as one object, an array of them, or an
/// object whose `package_versions`/`versions` and
/// `package_upgrades`/`upgrades` arrays hold them. `default_version` may
/// be given on any of them. An error names what is wrong with the JSON.
pub fn find_json_packages(text: &str) -> Result<Vec<TlePackage>, String> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        i: 0,
    };
    let root = p.value(0)?;
    p.ws();
    if p.i != text.len() {
        return Err(p.expected("the end of the file"));
    }
    let mut objects: Vec<&Json> = Vec::new();
    let mut outer_name = None;
    let keys = [
        "package_versions",
        "versions",
        "package_upgrades",
        "upgrades",
    ];
    if root.get(&keys).is_some() {
        outer_name = root.text(&["package_name", "name"]);
        for k in keys {
            if let Some(j) = root.get(&[k]) {
                members(j, &mut objects);
            }
        }
    } else {
        members(&root, &mut objects);
    }
    let mut by_name: BTreeMap<String, TlePackage> = BTreeMap::new();
    let mut explicit_default: BTreeMap<String, String> = BTreeMap::new();
    let mut order = Vec::new();
    for o in objects {
        let Some(name) = o.text(&["package_name", "name"]).or(outer_name.clone()) else {
            continue;
        };
        let Some(Json::Str(sql)) = o.get(&["sql"]) else {
            continue;
        };
        // the opening quote of the sql string
        let at = Span::new(sql.map[0].saturating_sub(1), sql.map[0]);
        let pkg = by_name.entry(name.clone()).or_insert_with(|| {
            order.push(name.clone());
            TlePackage::new(name.clone(), at)
        });
        if let Some(v) = o
            .text(&["default_version"])
            .or(root.text(&["default_version"]))
        {
            explicit_default.insert(name.clone(), v);
        }
        match (o.text(&["from_version"]), o.text(&["to_version"])) {
            (Some(a), Some(b)) => pkg.scripts.push(TleScript {
                from: Some(a),
                to: b,
                sql: sql.clone(),
            }),
            _ => {
                let Some(v) = o.text(&["version"]) else {
                    continue;
                };
                // the last install script is the default unless one is named
                pkg.default_version = Some(v.clone());
                if let Some(d) = o.text(&["control_description", "description"]) {
                    pkg.description = Some(d);
                }
                match o.get(&["control_requires", "requires"]) {
                    Some(Json::Arr(items)) => {
                        pkg.requires = items
                            .iter()
                            .filter_map(|i| match i {
                                Json::Str(s) => Some(s.value.clone()),
                                _ => None,
                            })
                            .collect()
                    }
                    Some(Json::Str(s)) => pkg.requires = Arg::Text(s.clone()).names(),
                    _ => {}
                }
                pkg.scripts.push(TleScript {
                    from: None,
                    to: v,
                    sql: sql.clone(),
                });
            }
        }
    }
    for (name, v) in explicit_default {
        if let Some(p) = by_name.get_mut(&name) {
            p.default_version = Some(v);
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|n| by_name.remove(&n))
        .filter(|p| !p.scripts.is_empty())
        .collect())
}

/// The objects of `j`: itself, or the items of an array.
fn members<'a>(j: &'a Json, out: &mut Vec<&'a Json>) {
    match j {
        Json::Arr(items) => out.extend(items.iter().filter(|i| matches!(i, Json::Obj(_)))),
        Json::Obj(_) => out.push(j),
        _ => {}
    }
}
