//! Hide secrets in record texts (safe Rust, no server needed).
//!
//! Every text field of a record (`statement`, `top_query`, `detail`) goes
//! through [`redact`] before the record is formed, so no sink ever sees a
//! password. The texts are SQL, libpq connection strings, or SQL that
//! carries connection strings or further SQL inside its literals (dblink),
//! so the rules work on the raw text at any quoting depth:
//!
//! - a word ending in `password` (`PASSWORD`, `ENCRYPTED PASSWORD`,
//!   `sslpassword`, `"password"`), then optional blanks (or `\t`, `\n`,
//!   `\r` escapes of an `E''` string), an optional `=`
//!   and blanks, then a value: a quoted string in any form (`'…'`, `''…''`
//!   and `\'…\'` one quoting level down, `E'…'`, `U&'…'`, `$tag$…$tag$`,
//!   `"…"`) or, after `=`, a bare word. The value becomes `***`.
//! - a URI `postgres[ql]://user:secret@host`: the part after the colon.
//!
//! A password in a query parameter (`?password=x&…`) is the first rule.
//! Over-redaction (a column named `rolpassword` compared with `=` to a
//! literal) is accepted: a record must never carry a secret.

/// Replacement for a hidden value.
pub const HIDDEN: &str = "***";

/// `text` with every password value replaced by [`HIDDEN`].
pub fn redact(text: &str) -> String {
    if !might_hold_secret(text) {
        return text.to_string();
    }
    redact_uris(&redact_keywords(text))
}

/// Cheap pre-check: most texts mention neither a password nor a URI.
fn might_hold_secret(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("password") || lower.contains("://")
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Redact the values following words that end in `password`.
fn redact_keywords(text: &str) -> String {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // bytes of `text` already in `out`
    let mut search = 0;
    while let Some(rel) = lower[search..].find("password") {
        let kw_end = search + rel + "password".len();
        search = kw_end;
        // The keyword must end a word (`passwords` is not it); a closing
        // double quote of `"password"` is skipped.
        let mut i = kw_end;
        if bytes.get(i).is_some_and(|b| is_word_byte(*b)) {
            continue;
        }
        if bytes.get(i) == Some(&b'"') {
            i += 1;
        }
        // Blanks, also written as escapes inside an E'' string (`\t`).
        let skip_blanks = |mut i: usize| loop {
            if bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
                i += 1;
            } else if bytes.get(i) == Some(&b'\\')
                && bytes.get(i + 1).is_some_and(|b| b"tnr".contains(b))
            {
                i += 2;
            } else {
                return i;
            }
        };
        i = skip_blanks(i);
        let mut after_equals = false;
        if bytes.get(i) == Some(&b'=') {
            after_equals = true;
            i = skip_blanks(i + 1);
        }
        let Some((start, end)) = value_span(text, i, after_equals) else {
            continue;
        };
        if start < copied {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(HIDDEN);
        copied = end;
        search = end.max(search);
    }
    out.push_str(&text[copied..]);
    out
}

/// Byte span of the secret itself (without its quotes) of a value starting
/// at `i`, or None when no value follows.
fn value_span(text: &str, i: usize, after_equals: bool) -> Option<(usize, usize)> {
    let rest = &text[i..];
    let lower_rest = rest.to_ascii_lowercase();
    // Quote openers, longest first: one quoting level down (SQL inside a
    // literal, E'' strings), then plain.
    for (open, close) in [
        ("\\''", "\\''"),
        ("''", "''"),
        ("\\'", "\\'"),
        ("e'", "'"),
        ("u&'", "'"),
        ("'", "'"),
        ("\"", "\""),
    ] {
        if lower_rest.starts_with(open) {
            let start = i + open.len();
            let end = find_close(text, start, close).unwrap_or(text.len());
            return Some((start, end));
        }
    }
    if let Some(after_dollar) = rest.strip_prefix('$') {
        // $tag$ … $tag$
        let tag_len = after_dollar.find('$')? + 2;
        let tag = &rest[..tag_len];
        if !tag[1..tag_len - 1].bytes().all(is_word_byte) {
            return None;
        }
        let start = i + tag_len;
        let end = text[start..].find(tag).map_or(text.len(), |p| start + p);
        return Some((start, end));
    }
    if !after_equals {
        return None;
    }
    let end = rest
        .find(|c: char| c.is_whitespace() || "'\",);&\\".contains(c))
        .map_or(text.len(), |p| i + p);
    (end > i).then_some((i, end))
}

/// Where the closing quote `close` of a value starting at `from` is. For a
/// plain `'`, a doubled `''` is an escaped quote, not the end; for the
/// one-level-down forms the first occurrence closes.
fn find_close(text: &str, from: usize, close: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        let p = at + text.get(at..)?.find(close)?;
        if close == "'" {
            let escaped_by_backslash = p > from && bytes[p - 1] == b'\\';
            if escaped_by_backslash {
                at = p + 1;
                continue;
            }
            if bytes.get(p + 1) == Some(&b'\'') {
                // `''` inside the value: an escaped quote, unless the value
                // is quoted one level down and this is its end.
                at = p + 2;
                continue;
            }
        }
        return Some(p);
    }
}

/// Redact `user:secret@` in `postgres://` / `postgresql://` URIs.
fn redact_uris(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(rel) = lower[search..].find("://") {
        let scheme_end = search + rel;
        let auth_start = scheme_end + 3;
        search = auth_start;
        if !(lower[..scheme_end].ends_with("postgres")
            || lower[..scheme_end].ends_with("postgresql"))
        {
            continue;
        }
        // userinfo ends at '@' before any '/', '?', '#', blank or quote.
        let auth = &text[auth_start..];
        let stop = auth
            .find(|c: char| c.is_whitespace() || "/?#'\"".contains(c))
            .unwrap_or(auth.len());
        let Some(at) = auth[..stop].rfind('@') else {
            continue;
        };
        let Some(colon) = auth[..at].find(':') else {
            continue;
        };
        let start = auth_start + colon + 1;
        let end = auth_start + at;
        if start < copied {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(HIDDEN);
        copied = end;
        search = end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod unit {
    use super::redact;

    const S: &str = "s3cr3t";

    fn hidden(input: &str) -> String {
        let out = redact(input);
        assert!(!out.contains(S), "{input:?} -> {out:?}");
        assert!(!out.contains("p4ss"), "{input:?} -> {out:?}");
        out
    }

    #[test]
    fn role_passwords() {
        assert_eq!(
            hidden("CREATE ROLE a LOGIN PASSWORD 's3cr3t' VALID UNTIL 'infinity'"),
            "CREATE ROLE a LOGIN PASSWORD '***' VALID UNTIL 'infinity'"
        );
        hidden("alter user a with encrypted password 's3cr3t'");
        hidden("ALTER ROLE a PASSWORD 'it''s s3cr3t'");
        hidden("ALTER ROLE a PASSWORD E'it\\'s s3cr3t'");
        hidden("ALTER ROLE a PASSWORD $q$s3cr3t$q$");
        hidden("ALTER ROLE a PASSWORD $$s3cr3t$$");
        hidden("ALTER ROLE a PASSWORD U&'s3cr3t'");
        hidden("ALTER ROLE a PASSWORD\n\t's3cr3t'");
        assert_eq!(
            redact("ALTER ROLE a PASSWORD NULL"),
            "ALTER ROLE a PASSWORD NULL"
        );
    }

    #[test]
    fn option_lists() {
        assert_eq!(
            hidden("CREATE USER MAPPING FOR a SERVER s OPTIONS (user 'u', password 's3cr3t')"),
            "CREATE USER MAPPING FOR a SERVER s OPTIONS (user 'u', password '***')"
        );
        hidden("ALTER USER MAPPING FOR a SERVER s OPTIONS (SET \"password\" 's3cr3t')");
        hidden("OPTIONS (ADD sslpassword 's3cr3t', password_required 'false')");
    }

    #[test]
    fn connection_strings() {
        assert_eq!(
            hidden("host=x password=s3cr3t dbname=d"),
            "host=x password=*** dbname=d"
        );
        hidden("host=x password = s3cr3t");
        hidden("host=x\tpassword\t=\ts3cr3t");
        hidden("SELECT dblink_connect(E'host=x\\tpassword\\t=\\ts3cr3t')");
        hidden("host=x password='s3 cr3t'");
        hidden("host=x password='s3\\'cr3t'");
        hidden("host=x PASSWORD=s3cr3t");
        hidden("postgresql://u:s3cr3t@h:5432/d");
        hidden("postgres://u:s3cr3t@h/d?sslmode=require");
        hidden("postgresql://u@h/d?password=s3cr3t&sslmode=disable");
        hidden("postgresql:///d?host=/tmp&password=s3cr3t");
        assert_eq!(
            redact("postgresql://u:s3cr3t@h/d"),
            "postgresql://u:***@h/d"
        );
        assert_eq!(redact("postgresql://u@h/d"), "postgresql://u@h/d");
    }

    #[test]
    fn secrets_inside_sql_literals() {
        hidden("SELECT dblink_connect('host=x password=s3cr3t dbname=d')");
        hidden("SELECT dblink_connect('host=x password=''s3 cr3t'' dbname=d')");
        hidden("SELECT dblink_connect('host=x password = ''s3cr3t''')");
        hidden("SELECT dblink_exec('dbname=d', 'ALTER ROLE a PASSWORD ''s3cr3t''')");
        hidden("DO $$ BEGIN PERFORM dblink_exec('', 'ALTER ROLE a PASSWORD ''s3cr3t'''); END $$");
        hidden("SELECT dblink_exec(E'', E'ALTER ROLE a PASSWORD \\'s3cr3t\\'')");
        hidden("SELECT dblink('postgresql://u:s3cr3t@h/d', 'SELECT 1')");
        hidden("CREATE SUBSCRIPTION s CONNECTION 'host=h password=s3cr3t' PUBLICATION p");
        hidden("ALTER SUBSCRIPTION s CONNECTION 'host=h password=s3cr3t'");
        // one statement, several secrets
        let out = hidden(
            "CREATE ROLE a PASSWORD 's3cr3t'; CREATE ROLE b PASSWORD 'p4ss'; \
             SELECT dblink_connect('postgresql://u:s3cr3t@h/d')",
        );
        assert_eq!(out.matches("***").count(), 3, "{out}");
    }

    #[test]
    fn other_text_is_kept() {
        for s in [
            "SELECT 1",
            "COPY t TO PROGRAM 'cat'",
            "SELECT passwords FROM t",
            "http://example.com/x",
            "",
        ] {
            assert_eq!(redact(s), s);
        }
        // multibyte text around a secret stays valid
        assert_eq!(
            redact("ALTER ROLE \"é\" PASSWORD 'ü'; SELECT 'ö'"),
            "ALTER ROLE \"é\" PASSWORD '***'; SELECT 'ö'"
        );
    }
}
