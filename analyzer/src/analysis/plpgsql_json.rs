//! The JSON document libpg_query writes for a PL/pgSQL parse tree, read into
//! a small tree of its own.
//!
//! A general JSON value (serde_json's) keeps objects in ordered maps with an
//! owned key each; on real extension code reading those maps cost more than
//! the PL/pgSQL parse itself. libpg_query's objects are small and their keys
//! are its fixed field names, so here an object is a vector of pairs in
//! document order, and a known field name is a `&'static str` (no
//! allocation). Lookups compare the few keys of one object.

use std::borrow::Cow;
use std::sync::LazyLock;

/// How deeply arrays and objects may nest. The walk over the tree recurses
/// once per level, so this bounds its stack; deeper trees are reported as
/// too deep to analyse.
pub const MAX_DEPTH: usize = 127;

/// An object key: one of libpg_query's field names, or any other text.
pub type Key = Cow<'static, str>;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

impl Json {
    /// The value of `key` in an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(pairs) => pairs.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|i| u64::try_from(i).ok())
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The pairs of an object, in document order.
    pub fn as_object(&self) -> Option<&[(Key, Json)]> {
        match self {
            Json::Object(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The value, leaving `Null` in its place.
    pub fn take(&mut self) -> Json {
        std::mem::replace(self, Json::Null)
    }
}

/// Why a document could not be read, with the byte offset where reading stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: &'static str,
    pub offset: usize,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// Read one JSON document (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Json, Error> {
    let mut r = Reader {
        s: text,
        b: text.as_bytes(),
        i: 0,
    };
    let v = r.value(0)?;
    r.skip_ws();
    if r.i != text.len() {
        return Err(r.error("trailing characters"));
    }
    Ok(v)
}

/// The field names libpg_query writes for PL/pgSQL trees (anything else is
/// still read, as an owned key).
static KNOWN_KEYS: LazyLock<crate::FastMap<&'static [u8], &'static str>> = LazyLock::new(|| {
    const KEYS: &str = "
        action argquery body case_when_list chain cond condname conditions cursor_explicit_argrow
        cursor_explicit_expr cursor_options curvar datatype datums default_val diag_items
        direction dno dynquery elog_level else_body else_stmts elsif_list exc_list
        exceptions expr expr_list fieldname have_else how_many into is_call is_exit is_move
        is_stacked isconst kind label lineno lower message mod_stmt name new_varno notnull
        old_varno opt_type options params parseMode query recparentno refname
        returns_multiple_rows retvarno reverse slice sqlerrstate sqlstmt step stmts strict
        t_expr t_varno target then_body typname upper var varno fields new old found_varno
        PLpgSQL_function PLpgSQL_var PLpgSQL_row PLpgSQL_rec PLpgSQL_recfield PLpgSQL_type
        PLpgSQL_expr PLpgSQL_if_elsif PLpgSQL_case_when PLpgSQL_exception_block
        PLpgSQL_exception PLpgSQL_condition PLpgSQL_diag_item PLpgSQL_raise_option
        PLpgSQL_stmt_assert PLpgSQL_stmt_assign PLpgSQL_stmt_block PLpgSQL_stmt_call
        PLpgSQL_stmt_case PLpgSQL_stmt_close PLpgSQL_stmt_commit PLpgSQL_stmt_dynexecute
        PLpgSQL_stmt_dynfors PLpgSQL_stmt_execsql PLpgSQL_stmt_exit PLpgSQL_stmt_fetch
        PLpgSQL_stmt_forc PLpgSQL_stmt_foreach_a PLpgSQL_stmt_fori PLpgSQL_stmt_fors
        PLpgSQL_stmt_getdiag PLpgSQL_stmt_if PLpgSQL_stmt_loop PLpgSQL_stmt_open
        PLpgSQL_stmt_perform PLpgSQL_stmt_raise PLpgSQL_stmt_return PLpgSQL_stmt_return_next
        PLpgSQL_stmt_return_query PLpgSQL_stmt_rollback PLpgSQL_stmt_while
    ";
    KEYS.split_whitespace().map(|k| (k.as_bytes(), k)).collect()
});

struct Reader<'a> {
    /// The document, as text and as bytes: a string between two quotes (ASCII)
    /// of valid UTF-8 is valid UTF-8, so it is sliced without a check.
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn error(&self, message: &'static str) -> Error {
        Error {
            message,
            offset: self.i,
        }
    }

    fn skip_ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.b.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), Error> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error("unexpected character"))
        }
    }

    fn literal(&mut self, word: &[u8], v: Json) -> Result<Json, Error> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, Error> {
        match self.peek() {
            Some(b'{') => {
                let depth = self.deeper(depth)?;
                self.i += 1;
                let mut pairs = Vec::new();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Json::Object(pairs));
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a key"));
                    }
                    let key = self.key()?;
                    self.expect(b':')?;
                    pairs.push((key, self.value(depth)?));
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Object(pairs));
                        }
                        _ => return Err(self.error("expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                let depth = self.deeper(depth)?;
                self.i += 1;
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth)?);
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(self.error("expected `,` or `]`")),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?.into_owned().into_boxed_str())),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of the document")),
        }
    }

    fn deeper(&self, depth: usize) -> Result<usize, Error> {
        if depth >= MAX_DEPTH {
            Err(self.error("nested too deeply"))
        } else {
            Ok(depth + 1)
        }
    }

    fn key(&mut self) -> Result<Key, Error> {
        let s = self.string()?;
        Ok(match KNOWN_KEYS.get(s.as_bytes()) {
            Some(k) => Cow::Borrowed(*k),
            None => Cow::Owned(s.into_owned()),
        })
    }

    fn number(&mut self) -> Result<Json, Error> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let mut float = false;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'0'..=b'9' => {}
                b'.' | b'e' | b'E' | b'+' | b'-' => float = true,
                _ => break,
            }
            self.i += 1;
        }
        let text = &self.s[start..self.i];
        let bad = Error {
            message: "invalid number",
            offset: start,
        };
        if float {
            text.parse().map(Json::Float).map_err(|_| bad)
        } else {
            match text.parse::<i64>() {
                Ok(i) => Ok(Json::Int(i)),
                // beyond i64: kept as a number all the same
                Err(_) => text.parse().map(Json::Float).map_err(|_| bad),
            }
        }
    }

    /// A string at `self.b[self.i] == '"'`: borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'_, str>, Error> {
        self.i += 1;
        let start = self.i;
        let b = self.b;
        let Some(p) = memchr::memchr2(b'"', b'\\', &b[start..]) else {
            return Err(self.error("unterminated string"));
        };
        if b[start + p] == b'"' {
            self.i = start + p + 1;
            return Ok(Cow::Borrowed(&self.s[start..start + p]));
        }
        let mut out = String::with_capacity(p + 16);
        let mut i = start;
        loop {
            let Some(p) = memchr::memchr2(b'"', b'\\', &b[i..]) else {
                self.i = b.len();
                return Err(self.error("unterminated string"));
            };
            out.push_str(&self.s[i..i + p]);
            i += p;
            if b[i] == b'"' {
                self.i = i + 1;
                break;
            }
            let Some(&e) = b.get(i + 1) else {
                self.i = i;
                return Err(self.error("unterminated string"));
            };
            i += 2;
            let c = match e {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    self.i = i;
                    let c = self.unicode_escape()?;
                    i = self.i;
                    out.push(c);
                    continue;
                }
                _ => {
                    self.i = i - 1;
                    return Err(self.error("invalid escape"));
                }
            };
            out.push(c);
        }
        Ok(Cow::Owned(out))
    }

    /// The character of `\uXXXX` (with `self.i` after the `u`), a UTF-16
    /// surrogate pair taken together; a lone surrogate reads as U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.b[self.i..].starts_with(b"\\u") {
            let save = self.i;
            self.i += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.i = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.i += 4;
        Ok(digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads() {
        let docs = [
            r#"[{"PLpgSQL_function":{"datums":[{"PLpgSQL_var":{"refname":"found","datatype":{"PLpgSQL_type":{"typname":"UNKNOWN"}}}}],"action":{"PLpgSQL_stmt_block":{"lineno":1,"body":[{"PLpgSQL_stmt_return":{"lineno":2,"expr":{"PLpgSQL_expr":{"query":"x + 1","parseMode":2}}}}]}}}}]"#,
            r#"{"a":"q\"uote\\ back\/slash \b\f\n\r\t é \u00e9 \ud83d\ude00 \u0001","b":[true,false,null,-12,3.5,1e3,[]],"c":{}}"#,
            r#" { "spaced" : [ 1 , 2 ] } "#,
            r#""just a string""#,
            r#"{"big":123456789012345678901234567890}"#,
        ];
        for d in docs {
            let ours = parse(d).unwrap_or_else(|e| panic!("{d}: {e}"));
            let theirs: serde_json::Value = serde_json::from_str(d).unwrap();
            assert_eq!(to_serde(&ours), theirs, "{d}");
        }
    }

    fn to_serde(v: &Json) -> serde_json::Value {
        use serde_json::Value as V;
        match v {
            Json::Null => V::Null,
            Json::Bool(b) => V::Bool(*b),
            Json::Int(i) => V::from(*i),
            Json::Float(f) => V::from(*f),
            Json::Str(s) => V::from(s.to_string()),
            Json::Array(a) => V::Array(a.iter().map(to_serde).collect()),
            Json::Object(o) => V::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), to_serde(v)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn keys_keep_document_order_and_known_names_are_static() {
        let v = parse(r#"{"query":"a","zzz_unknown":1,"lineno":3}"#).unwrap();
        let o = v.as_object().unwrap();
        let keys: Vec<&str> = o.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["query", "zzz_unknown", "lineno"]);
        assert!(matches!(o[0].0, Cow::Borrowed(_)));
        assert!(matches!(o[1].0, Cow::Owned(_)));
        assert_eq!(v.get("lineno").and_then(Json::as_u64), Some(3));
        assert_eq!(v.get("missing"), None);
    }

    /// Every field name libpg_query writes for these statements is a known
    /// key (read without an allocation).
    #[test]
    fn libpg_query_field_names_are_known() {
        let sql = "CREATE FUNCTION f(a int, INOUT b text, c refcursor) RETURNS SETOF record
            LANGUAGE plpgsql AS $$
            DECLARE r record; c2 refcursor; v int := 1; k CONSTANT text := 'x'; cur CURSOR (p int) FOR SELECT p;
                    arr int[]; t pg_class%ROWTYPE;
            BEGIN
              <<outer>> LOOP EXIT outer WHEN v > 3; v := v + 1; CONTINUE; END LOOP;
              IF a > 0 THEN b := 'p'; ELSIF a < 0 THEN b := 'n'; ELSE NULL; END IF;
              CASE a WHEN 1, 2 THEN PERFORM 1; ELSE RAISE NOTICE 'x %', a USING HINT = 'h'; END CASE;
              CASE WHEN a IS NULL THEN RETURN; END CASE;
              FOR i IN REVERSE 10..1 BY 2 LOOP v := i; END LOOP;
              FOR r IN SELECT * FROM pg_class LOOP v := v + 1; END LOOP;
              FOR r IN EXECUTE 'SELECT 1' USING a LOOP NULL; END LOOP;
              FOREACH v SLICE 0 IN ARRAY arr LOOP NULL; END LOOP;
              FOR r IN cur(1) LOOP NULL; END LOOP;
              WHILE v < 10 LOOP v := v * 2; END LOOP;
              OPEN c2 FOR SELECT 1; FETCH c2 INTO v; MOVE c2; CLOSE c2;
              OPEN cur(2); CLOSE cur;
              EXECUTE format('SELECT %s', a) INTO STRICT v USING a;
              SELECT relname INTO r FROM pg_class LIMIT 1; v := r.relpages;
              INSERT INTO tab VALUES (1) RETURNING 1 INTO v;
              GET DIAGNOSTICS v = ROW_COUNT; GET STACKED DIAGNOSTICS b = MESSAGE_TEXT;
              ASSERT v > 0, 'message';
              CALL p(1); COMMIT; ROLLBACK;
              RETURN NEXT; RETURN QUERY SELECT 1; RETURN QUERY EXECUTE 'SELECT 1';
              RAISE EXCEPTION USING ERRCODE = '22000';
            EXCEPTION WHEN division_by_zero OR SQLSTATE '22012' THEN NULL;
              WHEN OTHERS THEN RAISE;
            END $$";
        let doc = crate::parse::parse_plpgsql(sql, |json| {
            String::from_utf8(json.to_vec()).expect("UTF-8")
        })
        .expect("parses");
        fn unknown(v: &Json, out: &mut Vec<String>) {
            match v {
                Json::Object(pairs) => {
                    for (k, v) in pairs {
                        if let Cow::Owned(k) = k {
                            out.push(k.clone());
                        }
                        unknown(v, out);
                    }
                }
                Json::Array(items) => items.iter().for_each(|v| unknown(v, out)),
                _ => {}
            }
        }
        let tree = parse(&doc).expect("libpg_query's JSON");
        let mut missing = Vec::new();
        unknown(&tree, &mut missing);
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "not in KNOWN_KEYS: {missing:?}");
        assert!(doc.contains("PLpgSQL_stmt_foreach_a") && doc.contains("PLpgSQL_stmt_getdiag"));
    }

    #[test]
    fn rejects_bad_documents_with_their_offset() {
        for (d, at) in [
            (r#"{"a":1"#, 6),
            (r#"{"a" 1}"#, 5),
            (r#"[1,]"#, 3),
            (r#""open"#, 1),
            (r#"{"a":"\x"}"#, 7),
            (r#"[1] 2"#, 4),
            (r#"tru"#, 0),
        ] {
            let e = parse(d).unwrap_err();
            assert_eq!(e.offset, at, "{d}: {e}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.message, "nested too deeply");
        // serde_json stops at the same depth
        assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
        assert!(serde_json::from_str::<serde_json::Value>(&ok).is_ok());
    }
}
