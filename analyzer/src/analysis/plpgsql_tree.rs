//! The PL/pgSQL parse tree of a CREATE FUNCTION or DO statement.
//!
//! libpg_query's PL/pgSQL parser has no catalog. A variable is a record only
//! when its type is written `record` or with a schema other than pg_catalog,
//! and a cursor variable only when declared `refcursor` or `cursor` in the
//! body. Code PostgreSQL accepts is therefore rejected when it uses a field
//! of a variable of a composite type (`v.f := x`, `INTO v.f`, with `v t` or
//! `v t%ROWTYPE`), or a cursor held in a parameter. Each such error names the
//! variable: its declaration is rewritten (type `record`, a `refcursor`
//! shadowing the parameter) and the statement parsed again. Rewrites never
//! add or remove a line break in the body, so the tree's line numbers still
//! point into the body as written; expression texts are left untouched.

use std::borrow::Cow;

use crate::parse::json::Json;

use crate::parse::lexer::{self, Token, TokenKind};

/// How many rewrites are tried on one statement (each makes one variable a
/// record or a cursor).
const MAX_REWRITES: usize = 32;

/// The result of parsing a PL/pgSQL body.
#[derive(Debug)]
pub enum Outcome {
    Tree(Json),
    /// PostgreSQL rejects the body as well: `line` is the body line (from 1)
    /// where the parser stopped, when known.
    Syntax {
        message: String,
        line: Option<usize>,
    },
    /// The body cannot be analysed, though PostgreSQL may accept it (it
    /// needs the catalog to parse, or its tree is nested too deeply).
    Incomplete {
        message: String,
        line: Option<usize>,
    },
}

/// Parse the PL/pgSQL body of `stmt` (a CREATE FUNCTION or DO statement),
/// whose body literal is `stmt[literal.0..literal.1]` with the decoded text
/// `body`. With `check_syntax`, the SQL of every expression is parsed too,
/// as PostgreSQL does when it validates a body, and the first that does not
/// parse is the outcome's syntax error.
pub fn parse(stmt: &str, literal: (usize, usize), body: &str, check_syntax: bool) -> Outcome {
    let mut header: Cow<str> = Cow::Borrowed(&stmt[..literal.0]);
    let mut body: Cow<str> = Cow::Borrowed(body);
    let mut rewritten = false;
    let mut tried: Vec<String> = Vec::new();
    // A dollar-quoted body is its text as it stands: it is handed over apart
    // from the statement, whose literal becomes '' (the SQL parser need not
    // scan the body). A body decoded from a quoted string is handed over so
    // only once rewritten.
    let verbatim = stmt.as_bytes().get(literal.0) == Some(&b'$');
    loop {
        let (text, apart): (Cow<str>, Option<&str>) = if rewritten || verbatim {
            let text = format!("{header}''{}", &stmt[literal.1..]);
            (Cow::Owned(text), Some(&body))
        } else {
            (Cow::Borrowed(stmt), None)
        };
        let e = match crate::parse::parse_plpgsql(&text, apart, check_syntax) {
            Ok(tree) => {
                return match tree {
                    Ok(v) => Outcome::Tree(v),
                    Err(e) => Outcome::Incomplete {
                        message: format!("the PL/pgSQL body is nested too deeply to analyse ({e})"),
                        line: None,
                    },
                };
            }
            Err(e) => e,
        };
        let line = context_line(&e.context);
        let incomplete = |message: &str| Outcome::Incomplete {
            message: format!(
                "the PL/pgSQL body cannot be parsed without the database's catalog: {message}"
            ),
            line,
        };
        let syntax = |message: &str| Outcome::Syntax {
            message: format!("PL/pgSQL body does not parse: {message}"),
            line,
        };
        let target = field_of_unknown_variable(&e.message)
            .map(|n| (n, true))
            .or_else(|| non_cursor_variable(&e.message).map(|n| (n, false)));
        let Some((name, as_record)) = target else {
            return if needs_catalog(&e.message) {
                incomplete(&e.message)
            } else {
                syntax(&e.message)
            };
        };
        if tried.contains(&name) || tried.len() >= MAX_REWRITES {
            return incomplete(&e.message);
        }
        let fixed = if as_record {
            make_record(&mut header, &mut body, &name)
        } else {
            make_cursor(&header, &mut body, &name)
        };
        if !fixed {
            // a field of a variable declared nowhere: PostgreSQL rejects it too
            return if as_record {
                syntax(&e.message)
            } else {
                incomplete(&e.message)
            };
        }
        tried.push(name);
        rewritten = true;
    }
}

/// Errors of libpg_query's PL/pgSQL parser that depend on the types of
/// variables, which PostgreSQL looks up in its catalog.
fn needs_catalog(message: &str) -> bool {
    message.ends_with("is not a known variable")
        || message.ends_with("must be of type cursor or refcursor")
        || message.contains("is not a scalar variable")
        || message == "cursor variable must be a simple variable"
}

/// `"v.f" is not a known variable` -> `v` (a variable used as a record).
fn field_of_unknown_variable(message: &str) -> Option<String> {
    let name = message
        .strip_prefix('"')?
        .strip_suffix("\" is not a known variable")?;
    let (var, _) = name.split_once('.')?;
    (!var.is_empty()).then(|| var.to_string())
}

/// `variable "c" must be of type cursor or refcursor` -> `c`.
fn non_cursor_variable(message: &str) -> Option<String> {
    let name = message
        .strip_prefix("variable \"")?
        .strip_suffix("\" must be of type cursor or refcursor")?;
    (!name.is_empty() && !name.starts_with('$')).then(|| name.to_string())
}

/// "... near line N" of a PL/pgSQL compilation error context.
fn context_line(context: &str) -> Option<usize> {
    let rest = &context[context.find("near line ")? + "near line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// An identifier as PostgreSQL folds it: unquoted words to lower case.
fn ident(text: &str, t: &Token) -> Option<String> {
    let s = t.text(text);
    match t.kind {
        TokenKind::Word => Some(s.to_lowercase()),
        TokenKind::QuotedIdent if s.starts_with('"') && s.len() >= 2 => {
            Some(s[1..s.len() - 1].replace("\"\"", "\""))
        }
        _ => None,
    }
}

fn significant(text: &str) -> Vec<Token> {
    lexer::lex(text)
        .into_iter()
        .filter(|t| t.is_significant())
        .collect()
}

fn is_op(text: &str, t: &Token, op: &str) -> bool {
    matches!(t.kind, TokenKind::Punct | TokenKind::Operator) && t.text(text) == op
}

/// Replace `text[range]` with `with`, keeping the line breaks it contained.
fn replace_keeping_lines(text: &str, range: (usize, usize), with: &str) -> String {
    let breaks = "\n".repeat(text[range.0..range.1].matches('\n').count());
    format!("{}{with}{breaks}{}", &text[..range.0], &text[range.1..])
}

/// Byte ranges of the types of the variables named `name` declared in the
/// DECLARE sections of `body` (not aliases or bound cursors).
fn declared_types(body: &str, name: &str) -> Vec<(usize, usize)> {
    let toks = significant(body);
    let mut out = Vec::new();
    let mut in_declare = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.is_word(body, "declare") {
            in_declare = true;
            i += 1;
            continue;
        }
        if !in_declare {
            i += 1;
            continue;
        }
        if t.is_word(body, "begin") {
            in_declare = false;
            i += 1;
            continue;
        }
        if is_op(body, t, "<<") {
            // a label of the block whose DECLARE this is
            while i < toks.len() && !is_op(body, &toks[i], ">>") {
                i += 1;
            }
            i += 1;
            continue;
        }
        // one declaration: name [CONSTANT] type [COLLATE ...] [NOT NULL] [:= expr];
        let mut j = i + 1;
        if toks.get(j).is_some_and(|t| t.is_word(body, "constant")) {
            j += 1;
        }
        let not_a_type = toks.get(j).is_none_or(|t| {
            ["alias", "cursor", "no", "scroll"]
                .iter()
                .any(|w| t.is_word(body, w))
        });
        let mut k = j;
        let mut depth = 0i32;
        while let Some(t) = toks.get(k) {
            if depth == 0
                && (is_op(body, t, ";")
                    || is_op(body, t, ":=")
                    || is_op(body, t, "=")
                    || ["default", "not", "collate"]
                        .iter()
                        .any(|w| t.is_word(body, w)))
            {
                break;
            }
            if is_op(body, t, "(") {
                depth += 1;
            } else if is_op(body, t, ")") {
                depth -= 1;
            }
            k += 1;
        }
        if !not_a_type && k > j && ident(body, t).as_deref() == Some(name) {
            out.push((toks[j].start, toks[k - 1].end));
        }
        // on to the next declaration
        let mut depth = 0i32;
        while let Some(t) = toks.get(i) {
            if is_op(body, t, "(") {
                depth += 1;
            } else if is_op(body, t, ")") {
                depth -= 1;
            } else if depth <= 0 && is_op(body, t, ";") {
                break;
            }
            i += 1;
        }
        i += 1;
    }
    out
}

/// Byte range in `header` (a CREATE FUNCTION up to its body) of the type of
/// the parameter named `name`.
fn parameter_type(header: &str, name: &str) -> Option<(usize, usize)> {
    let toks = significant(header);
    let open = toks
        .iter()
        .position(|t| is_op(header, t, "("))
        .filter(|&p| {
            toks[..p]
                .iter()
                .any(|t| t.is_word(header, "function") || t.is_word(header, "procedure"))
        })?;
    let mode = |t: &Token| {
        ["in", "out", "inout", "variadic"]
            .iter()
            .any(|w| t.is_word(header, w))
    };
    let mut depth = 0i32;
    let mut arg_start = open + 1;
    for k in open..toks.len() {
        let t = &toks[k];
        let end_of_arg = if is_op(header, t, "(") {
            depth += 1;
            false
        } else if is_op(header, t, ")") {
            depth -= 1;
            depth == 0
        } else {
            depth == 1 && is_op(header, t, ",")
        };
        if !end_of_arg {
            continue;
        }
        let arg = &toks[arg_start..k];
        // [mode] name [mode] type [DEFAULT expr | = expr]
        let mut n = 0;
        if arg.len() >= 3 && mode(&arg[0]) {
            n = 1;
        }
        if arg.get(n).and_then(|t| ident(header, t)).as_deref() == Some(name) && arg.len() > n + 1 {
            let mut ty = n + 1;
            if arg.len() > ty + 1 && mode(&arg[ty]) {
                ty += 1;
            }
            let end = arg[ty..]
                .iter()
                .position(|t| is_op(header, t, "=") || t.is_word(header, "default"))
                .map_or(arg.len(), |p| ty + p);
            if end > ty {
                return Some((arg[ty].start, arg[end - 1].end));
            }
        }
        if depth == 0 {
            break;
        }
        arg_start = k + 1;
    }
    None
}

/// Give every variable `name` declared in the body the type `ty`; false
/// when none is declared there.
fn retype_declarations(body: &mut Cow<str>, name: &str, ty: &str) -> bool {
    let decls = declared_types(body, name);
    if decls.is_empty() {
        return false;
    }
    let mut b = body.to_string();
    for r in decls.into_iter().rev() {
        b = replace_keeping_lines(&b, r, ty);
    }
    *body = Cow::Owned(b);
    true
}

/// Make every variable `name` a record: its declarations in the body, or
/// the parameter of that name (given a schema-qualified type, which the
/// parser takes for a composite one).
fn make_record(header: &mut Cow<str>, body: &mut Cow<str>, name: &str) -> bool {
    if retype_declarations(body, name, "record") {
        return true;
    }
    match parameter_type(header, name) {
        Some(r) => {
            *header = Cow::Owned(replace_keeping_lines(header, r, "extguard.composite"));
            true
        }
        None => false,
    }
}

/// Make the variable `name` a cursor: its declarations in the body become
/// `refcursor`; a parameter is shadowed by a `refcursor` variable of the
/// same name declared on the body's first line.
fn make_cursor(header: &str, body: &mut Cow<str>, name: &str) -> bool {
    if retype_declarations(body, name, "refcursor") {
        return true;
    }
    if parameter_type(header, name).is_none() {
        return false;
    }
    let toks = significant(body);
    let mut i = 0;
    if toks.first().is_some_and(|t| is_op(body, t, "<<")) {
        while i < toks.len() && !is_op(body, &toks[i], ">>") {
            i += 1;
        }
        i += 1;
    }
    let Some(t) = toks.get(i) else { return false };
    let decl = format!("{} refcursor;", super::functions::quote_ident(name));
    let b = if t.is_word(body, "declare") {
        format!("{} {decl}{}", &body[..t.end], &body[t.end..])
    } else if t.is_word(body, "begin") {
        format!("{}DECLARE {decl} {}", &body[..t.start], &body[t.start..])
    } else {
        return false;
    };
    *body = Cow::Owned(b);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(stmt: &str) -> bool {
        let start = stmt.find("$$").unwrap();
        let end = stmt.rfind("$$").unwrap() + 2;
        let body = &stmt[start + 2..end - 2];
        matches!(parse(stmt, (start, end), body, true), Outcome::Tree(_))
    }

    #[test]
    fn composite_variables_and_parameters() {
        assert!(parses(
            "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n\
             DECLARE w t; r t%ROWTYPE;\nBEGIN\n  w.a := 'x';\n  SELECT 1 INTO r.b;\nEND $$"
        ));
        assert!(parses(
            "CREATE FUNCTION f(IN p t, q int DEFAULT 1) RETURNS void LANGUAGE plpgsql AS $$\n\
             BEGIN p.a := q; END $$"
        ));
        assert!(parses(
            "CREATE FUNCTION f(c refcursor) RETURNS void LANGUAGE plpgsql AS $$\n\
             BEGIN CLOSE c; END $$"
        ));
        assert!(parses(
            "DO $$ DECLARE c pg_catalog.refcursor; BEGIN OPEN c FOR SELECT 1; CLOSE c; END $$"
        ));
    }

    #[test]
    fn real_errors_stay_errors() {
        let stmt = "DO $$\nBEGIN\n  RAISE NOTICE 'a % b';\nEND $$";
        let s = stmt.find("$$").unwrap();
        let e = stmt.rfind("$$").unwrap() + 2;
        match parse(stmt, (s, e), &stmt[s + 2..e - 2], true) {
            Outcome::Syntax { line, .. } => assert_eq!(line, Some(3)),
            _ => panic!("expected a syntax error"),
        }
        // a field of something declared nowhere: PostgreSQL rejects it too
        let stmt = "DO $$\nBEGIN\n  nothing.a := 1;\nEND $$";
        let s = stmt.find("$$").unwrap();
        let e = stmt.rfind("$$").unwrap() + 2;
        let o = parse(stmt, (s, e), &stmt[s + 2..e - 2], true);
        assert!(matches!(o, Outcome::Syntax { .. }), "{o:?}");
        // a cursor in a positional parameter cannot be declared again
        let stmt = "CREATE FUNCTION f(refcursor) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  CLOSE $1;\nEND $$";
        let s = stmt.find("$$").unwrap();
        let e = stmt.rfind("$$").unwrap() + 2;
        assert!(matches!(
            parse(stmt, (s, e), &stmt[s + 2..e - 2], true),
            Outcome::Incomplete { .. }
        ));
    }
}
