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
    /// Process type (`client backend`, `parallel worker`, `walsender`,
    /// `autovacuum worker`, a background worker's own type such as
    /// `logical replication worker`, ...).
    pub backend_type: String,
    /// Pid of the leader when this process is a parallel worker.
    pub leader_pid: Option<i32>,
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

/// SQL text as a record shows it: leading blanks and comments dropped (an
/// attacker can put hundreds of them before the command); when still
/// longer than `max`, runs of blanks and comments outside quotes are
/// squeezed to one space, and what is still too long keeps its head and
/// its tail (where the target of a long command usually is).
pub fn bounded_sql(s: &str, max: usize) -> String {
    let s = skip_blanks_and_comments(s);
    if max < 16 {
        return bounded(s, max);
    }
    if s.len() <= max {
        return s.to_string();
    }
    let squeezed = squeeze_sql(s);
    if squeezed.len() <= max {
        return squeezed;
    }
    let tail_len = max / 3;
    let mut head_end = max.saturating_sub(tail_len + 5);
    while !squeezed.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = squeezed.len() - tail_len;
    while !squeezed.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!("{} ... {}", &squeezed[..head_end], &squeezed[tail_start..])
}

/// `s` without leading whitespace, `-- ...` lines and `/* ... */` comments
/// (nested, as PostgreSQL allows).
fn skip_blanks_and_comments(mut s: &str) -> &str {
    loop {
        let t = s.trim_start();
        if let Some(rest) = t.strip_prefix("--") {
            s = rest.find('\n').map_or("", |i| &rest[i + 1..]);
        } else if t.starts_with("/*") {
            s = &t[block_comment_len(t)..];
        } else {
            return t.trim_end();
        }
    }
}

/// Length in bytes of the (possibly nested) block comment `s` starts with.
fn block_comment_len(s: &str) -> usize {
    let b = s.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Squeeze runs of whitespace and comments outside quoted text ('...',
/// "...", $tag$...$tag$) to one space.
fn squeeze_sql(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut pending_space = false;
    while i < b.len() {
        let c = b[i];
        let gap = if c.is_ascii_whitespace() {
            1
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            b[i..]
                .iter()
                .position(|&x| x == b'\n')
                .unwrap_or(b.len() - i)
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            block_comment_len(&s[i..])
        } else {
            0
        };
        if gap > 0 {
            pending_space = true;
            i += gap;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(b' ');
        }
        pending_space = false;
        let end = match c {
            b'\'' | b'"' => b[i + 1..]
                .iter()
                .position(|&x| x == c)
                .map_or(b.len(), |p| i + 1 + p + 1),
            b'$' => dollar_quote_end(s, i).unwrap_or(i + 1),
            _ => i + 1,
        };
        out.extend_from_slice(&b[i..end]);
        i = end;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// End of a dollar-quoted string starting at `start` (`$tag$ ... $tag$`).
fn dollar_quote_end(s: &str, start: usize) -> Option<usize> {
    let rest = &s[start + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    if !tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let delim = format!("${tag}$");
    let body = start + 1 + tag_len + 1;
    Some(
        s[body..]
            .find(&delim)
            .map_or(s.len(), |p| body + p + delim.len()),
    )
}

impl Record {
    /// The JSON text written to all three sinks, at most `max_len` bytes:
    /// texts are cut to [`MAX_TEXT`], further (to 64 bytes) if escaping
    /// made the record too long for a ring slot, and as a last resort
    /// emptied, so a record always keeps its vector and key fields.
    pub fn to_json_bounded(&self, stamps: &Stamps, max_len: usize) -> String {
        for max_text in [MAX_TEXT, 64, 0] {
            let json = self.to_json(stamps, max_text).to_string();
            if json.len() <= max_len || max_text == 0 {
                return json;
            }
        }
        unreachable!("the last round returns")
    }

    /// The JSON object, texts cut to `max_text` bytes.
    pub fn to_json(&self, stamps: &Stamps, max_text: usize) -> Value {
        let s = &self.session;
        // Names are at most 63 bytes, but escaping can make them 6 times
        // longer: the last round keeps 16 bytes of each.
        let name_max = if max_text == 0 { 16 } else { 64 };
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
            "statement": bounded_sql(&self.statement, max_text),
            "top_query": bounded_sql(&self.top_query, max_text),
            "database": bounded(&s.database, name_max),
            "session_user": bounded(&s.session_user, name_max),
            "current_user": bounded(&s.current_user, name_max),
            "superuser": s.superuser,
            "application_name": bounded(&s.application_name, name_max),
            "client_addr": s.client_addr.as_deref().map(|a| bounded(a, name_max)),
            "pid": s.pid,
            "nesting_level": s.nesting_level,
            "in_extension_script": s.in_extension_script,
            "backend_type": s.backend_type,
            "leader_pid": s.leader_pid,
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
        let top = v["top_query"].as_str().unwrap();
        assert!(top.len() < 2000 && top.contains("..."), "{top}");
    }

    #[test]
    fn oversized_record_keeps_vector_and_key_fields() {
        let evil = "\u{1}".repeat(63);
        let r = Record {
            vector: Vector::CopyProgram,
            outcome: Outcome::Attempted,
            hook: "utility",
            detail: "\u{1}".repeat(2000),
            statement: "\u{1}".repeat(2000),
            top_query: "\u{1}".repeat(2000),
            session: Session {
                database: evil.clone(),
                session_user: evil.clone(),
                current_user: evil.clone(),
                application_name: evil.clone(),
                client_addr: Some(evil),
                ..Session::default()
            },
        };
        let j = r.to_json_bounded(&Stamps::default(), 2040);
        assert!(j.len() <= 2040, "{}", j.len());
        let v: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["vector"], "copy_program");
        assert_eq!(v["outcome"], "attempted");
    }

    #[test]
    fn hidden_command_is_shown() {
        let padded = format!(
            "{}/* {} */ -- x\n COPY t TO PROGRAM 'id'",
            " ".repeat(900),
            "c".repeat(900)
        );
        assert_eq!(bounded_sql(&padded, 480), "COPY t TO PROGRAM 'id'");
        let inner = format!(
            "COPY (SELECT 1 {} ) TO PROGRAM 'sh -c  x'",
            "/* pad */ ".repeat(200)
        );
        assert_eq!(
            bounded_sql(&inner, 480),
            "COPY (SELECT 1 ) TO PROGRAM 'sh -c  x'"
        );
        let long = format!("SELECT '{}', pg_read_file('/etc/shadow')", "a".repeat(2000));
        let shown = bounded_sql(&long, 480);
        assert!(shown.len() <= 490, "{}", shown.len());
        assert!(shown.starts_with("SELECT 'aaa"), "{shown}");
        assert!(shown.ends_with("pg_read_file('/etc/shadow')"), "{shown}");
        let dollar = format!("DO $x$ {} $x$", "y  ".repeat(300));
        assert!(bounded_sql(&dollar, 480).contains("y  y"));
    }
}
