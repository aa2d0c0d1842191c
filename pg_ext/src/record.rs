//! One audit record and its JSON form (safe Rust).

use crate::vectors::Vector;
use serde_json::{json, Value};

/// Longest statement / query text kept in a record (bytes, cut on a char
/// boundary). Keeps a record inside one ring slot.
pub const MAX_TEXT: usize = 480;

/// Prefix of every server-log line, so a collector can grep for it.
pub const LOG_PREFIX: &str = "EXTGUARD_AUDIT ";

/// What happened to the action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded, then let through.
    Attempted,
    /// Recorded, then refused with an ERROR (`extguard.block`).
    Blocked,
    /// A fact, not an action (the isolation report at server start).
    Observed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Attempted => "attempted",
            Outcome::Blocked => "blocked",
            Outcome::Observed => "observed",
        }
    }
}

/// Session facts gathered by the FFI layer.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub database: String,
    pub session_user: String,
    pub current_user: String,
    pub superuser: bool,
    pub application_name: String,
    pub client_addr: Option<String>,
    pub pid: i32,
    pub nesting_level: i32,
    pub in_extension_script: bool,
}

/// Numbering and times stamped on a record when it is emitted.
#[derive(Clone, Debug, Default)]
pub struct Stamps {
    /// Cluster-wide sequence number (restarts at 1 with `seq_epoch`).
    pub seq: u64,
    /// When the sequence counter started (shared memory initialisation).
    pub seq_epoch: String,
    pub postmaster_start: String,
    pub time: String,
}

/// A record before it gets its sequence number.
#[derive(Clone, Debug)]
pub struct Record {
    pub vector: Vector,
    pub outcome: Outcome,
    /// Which hook saw it (`utility`, `function_execute`, `check_perms`, `setting`).
    pub hook: &'static str,
    /// Vector-specific facts: file name, program, setting name, function, ...
    pub detail: String,
    pub statement: String,
    pub top_query: String,
    pub session: Session,
}

/// Cut `s` to at most `max` bytes on a char boundary, marking the cut.
pub fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

impl Record {
    /// The JSON text written to all three sinks, at most `max_len` bytes
    /// when possible: texts are cut to [`MAX_TEXT`], and further (to 64
    /// bytes) if escaping made the record too long for a ring slot.
    pub fn to_json_bounded(&self, stamps: &Stamps, max_len: usize) -> String {
        let json = self.to_json(stamps, MAX_TEXT).to_string();
        if json.len() <= max_len {
            return json;
        }
        self.to_json(stamps, 64).to_string()
    }

    /// The JSON object, texts cut to `max_text` bytes.
    pub fn to_json(&self, stamps: &Stamps, max_text: usize) -> Value {
        let s = &self.session;
        json!({
            "seq": stamps.seq,
            "seq_epoch": stamps.seq_epoch,
            "postmaster_start": stamps.postmaster_start,
            "time": stamps.time,
            "vector": self.vector.id(),
            "severity": self.vector.severity().as_str(),
            "outcome": self.outcome.as_str(),
            "hook": self.hook,
            "detail": bounded(&self.detail, max_text),
            "statement": bounded(&self.statement, max_text),
            "top_query": bounded(&self.top_query, max_text),
            "database": s.database,
            "session_user": s.session_user,
            "current_user": s.current_user,
            "superuser": s.superuser,
            "application_name": bounded(&s.application_name, 64),
            "client_addr": s.client_addr,
            "pid": s.pid,
            "nesting_level": s.nesting_level,
            "in_extension_script": s.in_extension_script,
        })
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn bounded_cuts_on_char_boundary() {
        assert_eq!(bounded("abc", 5), "abc");
        assert_eq!(bounded("ééé", 3), "é...");
    }

    #[test]
    fn json_has_all_fields() {
        let r = Record {
            vector: Vector::Load,
            outcome: Outcome::Blocked,
            hook: "utility",
            detail: "x".into(),
            statement: "LOAD 'x'".into(),
            top_query: "LOAD 'x'".into(),
            session: Session::default(),
        };
        let stamps = Stamps {
            seq: 7,
            ..Default::default()
        };
        let j = r.to_json(&stamps, MAX_TEXT);
        assert_eq!(j["seq"], 7);
        assert_eq!(j["vector"], "load");
        assert_eq!(j["outcome"], "blocked");
        assert_eq!(j["severity"], "critical");
        for k in [
            "seq_epoch",
            "postmaster_start",
            "time",
            "database",
            "session_user",
            "current_user",
            "pid",
            "nesting_level",
        ] {
            assert!(j.get(k).is_some(), "{k}");
        }
    }

    #[test]
    fn escaped_text_is_cut_to_fit() {
        let r = Record {
            vector: Vector::CopyProgram,
            outcome: Outcome::Attempted,
            hook: "utility",
            detail: "\u{1}".repeat(2000),
            statement: "\"".repeat(2000),
            top_query: "x".repeat(2000),
            session: Session::default(),
        };
        let j = r.to_json_bounded(&Stamps::default(), 2040);
        assert!(j.len() <= 2040, "{}", j.len());
        let v: Value = serde_json::from_str(&j).unwrap();
        assert!(v["top_query"].as_str().unwrap().ends_with("..."));
    }
}
