//! Property tests for span mapping: a function body with one
//! unqualified call at a random place, among random filler (comments, string
//! literals with quotes, newlines, unicode), quoted every way PostgreSQL
//! allows for a body, must report the call at exactly the bytes of the
//! name in the file. Plus a smoke property: arbitrary bytes never panic.
//!
//! Inputs come from a small generator with fixed seeds, so a failure names
//! the case and replays the same way every run.

#[allow(dead_code)]
mod fuzz_support;

use extguard_analyzer::{check_text, Config};

/// splitmix64: small, deterministic, good enough to pick among choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    /// True one time in `n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Characters for comment and literal text: quotes, backslashes, newlines,
/// multi-byte characters (never `$`, `%` or `*`/`/`, which would end or
/// change the surrounding construct).
const TEXT_CHARS: &[&str] = &[
    "a", "b", "z", "0", " ", "'", "''", "\"", "\\", "\n", "\t", "é", "ß", "日本", "🦀", ";", "(",
    ")", ",", "-", "x",
];

fn text(rng: &mut Rng) -> String {
    (0..rng.below(8)).map(|_| rng.pick(TEXT_CHARS)).collect()
}

/// A string literal as written inside a body (before the body is quoted).
/// `dollar` allows an inner `$$` literal (not inside a `$$`-quoted body).
fn literal(rng: &mut Rng, dollar: bool) -> String {
    let t = text(rng);
    match rng.below(if dollar { 3 } else { 2 }) {
        0 => format!("'{}'", t.replace('\'', "''")),
        1 => format!("E'{}'", t.replace('\\', "\\\\").replace('\'', "\\'")),
        _ => format!("$${t}$$"),
    }
}

/// Filler between tokens of a body: whitespace and comments.
fn filler(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(3) {
        match rng.below(6) {
            0 => s.push_str(" /* "),
            1 => s.push_str("\n-- "),
            2 => s.push_str("\r\n"),
            3 => s.push('\t'),
            _ => s.push(' '),
        }
        match s.chars().last() {
            Some(' ') if s.ends_with("/* ") => {
                s.push_str(&text(rng).replace('\n', " "));
                s.push_str(" */ ");
            }
            Some(' ') if s.ends_with("-- ") => {
                s.push_str(&text(rng).replace('\n', " "));
                s.push('\n');
            }
            _ => {}
        }
    }
    s.push(' ');
    s
}

fn name(rng: &mut Rng) -> String {
    let mut n = String::from(rng.pick(&["fz_", "f", "ünï_", "call_"]));
    for _ in 0..rng.below(12) {
        n.push_str(rng.pick(&["a", "q", "_", "7", "é", "x"]));
    }
    n
}

/// What kind of body surrounds the call.
#[derive(Clone, Copy, Debug)]
enum Body {
    Sql,
    Plpgsql,
}

/// A body in two halves around the unqualified name.
fn body(rng: &mut Rng, kind: Body, dollar: bool) -> (String, String) {
    let f = filler;
    match kind {
        Body::Sql => {
            let before = format!(
                "{}SELECT{}{}{},{}",
                f(rng),
                f(rng),
                literal(rng, dollar),
                f(rng),
                f(rng)
            );
            let after = format!(
                "{}({}{}){};{}SELECT {}{}",
                f(rng),
                f(rng),
                literal(rng, dollar),
                f(rng),
                f(rng),
                literal(rng, dollar),
                f(rng)
            );
            (before, after)
        }
        Body::Plpgsql => {
            let call_as = rng.below(3);
            let before = format!(
                "{}DECLARE{}x text;{}BEGIN{}RAISE NOTICE {};{}{}",
                f(rng),
                f(rng),
                f(rng),
                f(rng),
                literal(rng, dollar),
                f(rng),
                ["PERFORM ", "x := ", "IF x = "][call_as]
            );
            let after = format!(
                "({}){}{}x := {};{}END{}",
                literal(rng, dollar),
                ["; ", "; ", " THEN NULL; END IF; "][call_as],
                f(rng),
                literal(rng, dollar),
                f(rng),
                f(rng)
            );
            (before, after)
        }
    }
}

/// Ways to quote a body as a string constant.
#[derive(Clone, Copy, Debug)]
enum Quote {
    Dollar,
    Tagged,
    Single,
    Escape,
    Unicode,
    /// `U&'...' UESCAPE '!'`.
    UnicodeBang,
}

const QUOTES: [Quote; 6] = [
    Quote::Dollar,
    Quote::Tagged,
    Quote::Single,
    Quote::Escape,
    Quote::Unicode,
    Quote::UnicodeBang,
];

impl Quote {
    fn open(self) -> &'static str {
        match self {
            Quote::Dollar => "$$",
            Quote::Tagged => "$body_1$",
            Quote::Single => "'",
            Quote::Escape => "E'",
            Quote::Unicode | Quote::UnicodeBang => "U&'",
        }
    }
    fn close(self) -> &'static str {
        match self {
            Quote::Dollar => "$$",
            Quote::Tagged => "$body_1$",
            Quote::Single | Quote::Escape | Quote::Unicode => "'",
            Quote::UnicodeBang => "'\n  UESCAPE '!'",
        }
    }
    /// The body's text as it is written inside the quotes.
    fn escape(self, rng: &mut Rng, s: &str) -> String {
        match self {
            Quote::Dollar | Quote::Tagged => s.to_string(),
            Quote::Single => s.replace('\'', "''"),
            Quote::Escape => {
                let mut out = String::new();
                let mut chars = s.chars().peekable();
                while let Some(ch) = chars.next() {
                    let next_is_hex = chars.peek().is_none_or(char::is_ascii_hexdigit);
                    match ch {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str(if rng.one_in(2) { "''" } else { "\\'" }),
                        '\n' if rng.one_in(2) => out.push_str("\\n"),
                        '\t' if rng.one_in(2) => out.push_str("\\t"),
                        '\r' if rng.one_in(2) => out.push_str("\\r"),
                        c if c.is_ascii_alphanumeric() && rng.one_in(4) => match rng.below(2) {
                            0 => out.push_str(&format!("\\x{:02x}", c as u32)),
                            _ => out.push_str(&format!("\\{:03o}", c as u32)),
                        },
                        // A backslash before an ordinary character is that
                        // character; `\x` without hex digits is an `x`.
                        c if c.is_ascii_alphabetic()
                            && !"bfnrtuU01234567abcdefABCDEF".contains(c)
                            && (c != 'x' || !next_is_hex)
                            && rng.one_in(4) =>
                        {
                            out.push('\\');
                            out.push(c);
                        }
                        c if !c.is_ascii() && (c as u32) < 0x10000 && rng.one_in(2) => {
                            out.push_str(&format!("\\u{:04x}", c as u32))
                        }
                        // A character outside the BMP as a UTF-16 surrogate pair.
                        c if (c as u32) >= 0x10000 && rng.one_in(2) => {
                            let mut units = [0u16; 2];
                            for u in c.encode_utf16(&mut units) {
                                out.push_str(&format!("\\u{u:04X}"));
                            }
                        }
                        c if !c.is_ascii() && rng.one_in(2) => {
                            out.push_str(&format!("\\U{:08x}", c as u32))
                        }
                        c => out.push(c),
                    }
                }
                out
            }
            Quote::Unicode | Quote::UnicodeBang => {
                let esc = if matches!(self, Quote::Unicode) {
                    '\\'
                } else {
                    '!'
                };
                let mut out = String::new();
                for ch in s.chars() {
                    match ch {
                        c if c == esc => {
                            out.push(esc);
                            out.push(esc);
                        }
                        '\'' => out.push_str("''"),
                        c if !c.is_ascii() || (c.is_ascii_alphanumeric() && rng.one_in(4)) => {
                            match rng.below(4) {
                                0 if (c as u32) < 0x10000 => {
                                    out.push_str(&format!("{esc}{:04x}", c as u32))
                                }
                                1 => out.push_str(&format!("{esc}+{:06X}", c as u32)),
                                2 if (c as u32) >= 0x10000 => {
                                    let mut units = [0u16; 2];
                                    for u in c.encode_utf16(&mut units) {
                                        out.push_str(&format!("{esc}{u:04x}"));
                                    }
                                }
                                _ => out.push(c),
                            }
                        }
                        c => out.push(c),
                    }
                }
                out
            }
        }
    }
}

/// How the quoted body is put into a statement.
#[derive(Clone, Copy, Debug)]
enum Wrapper {
    Function,
    FunctionAsFirst,
    Procedure,
    Do,
    DoLanguage,
}

/// One generated file and where the name must be reported.
struct Case {
    sql: String,
    name: String,
    /// Where the name is written in the file (possibly with escapes).
    at: usize,
    end: usize,
    describe: String,
}

fn case(seed: u64) -> Case {
    let rng = &mut Rng(seed);
    let quote = rng.pick(&QUOTES);
    let wrapper = rng.pick(&[
        Wrapper::Function,
        Wrapper::FunctionAsFirst,
        Wrapper::Procedure,
        Wrapper::Do,
        Wrapper::DoLanguage,
    ]);
    let kind = match wrapper {
        Wrapper::Do | Wrapper::DoLanguage => Body::Plpgsql,
        _ => rng.pick(&[Body::Sql, Body::Plpgsql]),
    };
    let lang = match kind {
        Body::Sql => "sql",
        Body::Plpgsql => "plpgsql",
    };
    let name = name(rng);
    let (before, after) = body(rng, kind, !matches!(quote, Quote::Dollar));
    let mut file = String::new();
    if rng.one_in(8) {
        file.push('\u{feff}');
    }
    for _ in 0..rng.below(3) {
        file.push_str(rng.pick(&[
            "-- préambule ''\n",
            "SELECT 1;\r\n",
            "/* 日本 $$ ' */\n",
            "\n",
            "SET client_min_messages = warning;\n",
        ]));
    }
    let (head, tail) = match wrapper {
        Wrapper::Function => (
            format!("CREATE FUNCTION s.fz(a int) RETURNS void LANGUAGE {lang}\nAS "),
            ";\n".to_string(),
        ),
        Wrapper::FunctionAsFirst => (
            "CREATE OR REPLACE FUNCTION s.fz()\r\n  RETURNS void AS ".to_string(),
            format!(" LANGUAGE {lang};\n"),
        ),
        Wrapper::Procedure => (
            format!("CREATE PROCEDURE s.fz(text) LANGUAGE {lang} AS "),
            ";\n".to_string(),
        ),
        Wrapper::Do => ("DO ".to_string(), ";\n".to_string()),
        Wrapper::DoLanguage => ("DO LANGUAGE plpgsql ".to_string(), ";\n".to_string()),
    };
    file.push_str(&head);
    file.push_str(quote.open());
    file.push_str(&quote.escape(rng, &before));
    // The name may be written with escapes too: it is reported as written.
    let at = file.len();
    file.push_str(&quote.escape(rng, &name));
    let end = file.len();
    file.push_str(&quote.escape(rng, &after));
    file.push_str(quote.close());
    file.push_str(&tail);
    file.push_str("SELECT 2;\n");
    Case {
        describe: format!("seed {seed}: {wrapper:?} {kind:?} {quote:?}"),
        sql: file,
        name,
        at,
        end,
    }
}

/// 1-based line and column (in characters, a leading BOM not counted) of a byte offset.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_text = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let line_text = line_text.strip_prefix('\u{feff}').unwrap_or(line_text);
    (line, line_text.chars().count() + 1)
}

#[test]
fn every_quoted_body_maps_the_call_to_the_name_in_the_file() {
    let cfg = Config::default();
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..1500 {
        let c = case(seed);
        seen.insert(c.describe.split_once(": ").unwrap().1.to_string());
        let findings = check_text("p.sql", &c.sql, &cfg);
        let file = extguard_analyzer::SourceFile::new("p.sql", c.sql.as_bytes());
        fuzz_support::check_findings(&file, &findings);
        let calls: Vec<_> = findings.iter().filter(|f| f.code == "PS016").collect();
        assert_eq!(
            calls.len(),
            1,
            "{}: expected one PS016 for {}\n{}\n{findings:#?}",
            c.describe,
            c.name,
            c.sql
        );
        let f = calls[0];
        let end = c.end;
        let (line, column) = position(&c.sql, c.at);
        let (end_line, end_column) = position(&c.sql, end);
        assert_eq!(
            (
                f.span.start,
                f.span.end,
                f.line,
                f.column,
                f.end_line,
                f.end_column
            ),
            (c.at, end, line, column, end_line, end_column),
            "{}: {} reported at {:?}\n{}",
            c.describe,
            c.name,
            &c.sql[f.span.start.min(c.sql.len())..f.span.end.min(c.sql.len())],
            c.sql
        );
        assert_eq!(f.object.as_deref(), Some(c.name.as_str()), "{}", c.describe);
    }
    // Every combination of wrapper, body language and quoting was drawn.
    assert_eq!(seen.len(), (3 * 2 + 2) * QUOTES.len(), "{seen:?}");
}

/// Random bytes, biased towards the characters that open and close
/// constructs, never panic and give findings inside the file.
#[test]
fn arbitrary_bytes_never_panic() {
    const PIECES: &[&[u8]] = &[
        b"$$",
        b"$a$",
        b"'",
        b"E'",
        b"U&'",
        b"\\",
        b"\"",
        b"/*",
        b"*/",
        b"--",
        b"\n",
        b"\r\n",
        b";",
        b"(",
        b")",
        b"\0",
        b"\xff",
        b"\xef\xbb\xbf",
        b"\xc3",
        b"\xe6\x97\xa5",
        b"SELECT f() ",
        b"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS ",
        b"DO ",
        b"BEGIN ",
        b"END",
        b"@extschema@",
        b"\\i x\n",
        b"EXECUTE ",
        b"format(",
        b"SET search_path = ",
        b" = ",
        b"#",
        b"x",
        b"\0asm\x01\0\0\0",
        b"(module",
        b"(import \"a\" \"b\" (func))",
    ];
    let mut rng = Rng(0x5eed);
    for _ in 0..600 {
        let mut data = Vec::new();
        for _ in 0..rng.below(60) {
            if rng.one_in(3) {
                data.push(rng.next() as u8);
            } else {
                data.extend_from_slice(rng.pick(PIECES));
            }
        }
        for target in fuzz_support::TARGETS {
            fuzz_support::check(target, &data);
        }
    }
}
