//! Trigger functions (ABI.md, "Triggers"): export
//! `extern "C" fn name(ptr: i32, len: i32) -> i64` for a SQL function
//! `name() RETURNS trigger`, read the event with [`Event::from_raw`] and
//! return [`skip`], [`unchanged`] or [`set`].

use crate::json::Json;

/// What fired the trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `INSERT`, `UPDATE`, `DELETE` or `TRUNCATE`.
    pub op: String,
    /// `BEFORE`, `AFTER` or `INSTEAD OF`.
    pub when: String,
    /// `ROW` or `STATEMENT`.
    pub level: String,
    /// The trigger's name.
    pub name: String,
    /// The table (or view).
    pub table: String,
    /// Its schema.
    pub schema: String,
    /// Arguments of `EXECUTE FUNCTION f('a', 'b')`.
    pub args: Vec<String>,
    /// OLD (UPDATE, DELETE row triggers): column name to text output.
    pub old: Option<Json>,
    /// NEW (INSERT, UPDATE row triggers).
    pub new: Option<Json>,
}

impl Event {
    /// Reads the event the host passed.
    ///
    /// # Safety
    /// `(ptr, len)` must be the trigger function's argument.
    pub unsafe fn from_raw(ptr: i32, len: i32) -> Event {
        // SAFETY: per the caller.
        Event::parse(unsafe { crate::args::text(ptr, len) })
    }

    /// Reads an event from its JSON text.
    pub fn parse(text: &str) -> Event {
        let json = Json::parse(text).unwrap_or(Json::Null);
        let s = |k: &str| json.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let row = |k: &str| json.get(k).filter(|v| !v.is_null()).cloned();
        Event {
            op: s("op"),
            when: s("when"),
            level: s("level"),
            name: s("name"),
            table: s("table"),
            schema: s("schema"),
            args: match json.get("args") {
                Some(Json::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().unwrap_or("").to_string())
                    .collect(),
                _ => Vec::new(),
            },
            old: row("old"),
            new: row("new"),
        }
    }
}

/// Skips the row (BEFORE / INSTEAD OF row triggers).
pub fn skip() -> i64 {
    crate::result::NULL
}

/// Goes on with the row as it is.
pub fn unchanged() -> i64 {
    0
}

/// Goes on with NEW changed in the columns `changes` (a JSON object)
/// names: strings are the columns' text input, `null` is NULL.
pub fn set(changes: &Json) -> i64 {
    crate::result::text(changes.to_string())
}
