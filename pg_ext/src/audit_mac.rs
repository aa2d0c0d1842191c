//! Verifiable records: each record carries `"mac"`, an HMAC-SHA256 under a
//! per-cluster key over the record's JSON text without the `mac` field.
//! The MACed text holds `seq_epoch` and `seq`, and sequence numbers are
//! contiguous within an epoch, so an investigator holding the key tells a
//! forged line (no valid MAC) and a removed one (a gap in `seq`) apart
//! from genuine records.
//!
//! Safe Rust with no PostgreSQL dependency: the extension seals records
//! with it and the `extguard verify-audit` command (analyzer crate, which
//! includes this file) checks them.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Key length in bytes (stored as 64 hex digits plus a newline).
pub const KEY_BYTES: usize = 32;

/// The text appended to a record's JSON before the MAC's hex digits.
const MAC_FIELD: &str = ",\"mac\":\"";
/// Length of the `,"mac":"<64 hex>"` suffix plus the closing brace.
pub const MAC_SUFFIX_LEN: usize = MAC_FIELD.len() + 64 + 2;

/// Marker before the JSON in server-log lines.
pub const LOG_MARKER: &str = "EXTGUARD_AUDIT ";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac_hex(key: &[u8], body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The key file's text for `key`.
pub fn key_to_text(key: &[u8; KEY_BYTES]) -> String {
    format!("{}\n", hex(key))
}

/// Parse a key file's text (64 hex digits, blanks around ignored).
pub fn key_from_text(text: &str) -> Result<[u8; KEY_BYTES], String> {
    let t = text.trim();
    if t.len() != 2 * KEY_BYTES || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "expected {} hex digits, found {} characters",
            2 * KEY_BYTES,
            t.len()
        ));
    }
    let mut key = [0u8; KEY_BYTES];
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(key)
}

/// `json` (one object, `{…}`) with the `mac` field appended as its last field.
pub fn seal(key: &[u8], json: &str) -> String {
    let body = json.strip_suffix('}').unwrap_or(json);
    format!("{body}{MAC_FIELD}{}\"}}", mac_hex(key, json))
}

/// Why a line is not a genuine record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoMac,
    BadMac,
    NotJson(String),
    NoSeq,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NoMac => write!(f, "no mac field (not written by extguard)"),
            Problem::BadMac => write!(f, "mac does not match (forged or altered)"),
            Problem::NotJson(e) => write!(f, "not a JSON record: {e}"),
            Problem::NoSeq => write!(f, "no seq / seq_epoch"),
        }
    }
}

/// Check one sealed record; its (seq_epoch, seq) when genuine.
pub fn verify_record(key: &[u8], line: &str) -> Result<(String, u64), Problem> {
    let line = line.trim_end();
    let Some(pos) = line.rfind(MAC_FIELD) else {
        return Err(Problem::NoMac);
    };
    let digits = &line[pos + MAC_FIELD.len()..];
    let Some(digits) = digits.strip_suffix("\"}") else {
        return Err(Problem::NoMac);
    };
    let body = format!("{}}}", &line[..pos]);
    if digits.len() != 64 || mac_hex(key, &body) != digits {
        return Err(Problem::BadMac);
    }
    let v: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| Problem::NotJson(e.to_string()))?;
    match (v["seq_epoch"].as_str(), v["seq"].as_u64()) {
        (Some(epoch), Some(seq)) => Ok((epoch.to_string(), seq)),
        _ => Err(Problem::NoSeq),
    }
}

/// Result of checking a whole file.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Genuine records per epoch: sequence numbers seen.
    pub epochs: BTreeMap<String, Vec<u64>>,
    /// (line number, problem) of every line that is not genuine.
    pub bad_lines: Vec<(usize, Problem)>,
    /// (epoch, first missing seq, last missing seq) between the first and
    /// last genuine record of the epoch.
    pub gaps: Vec<(String, u64, u64)>,
    /// (epoch, seq) seen more than once (a replayed line).
    pub duplicates: Vec<(String, u64)>,
}

impl Verdict {
    /// True when every record line is genuine, none is missing or repeated.
    pub fn ok(&self) -> bool {
        self.bad_lines.is_empty() && self.gaps.is_empty() && self.duplicates.is_empty()
    }
}

/// Check an audit file (JSON Lines) or a server log (lines containing
/// `EXTGUARD_AUDIT {…}`; other log lines are skipped). Line numbers are 1-based.
pub fn verify_lines<'a>(key: &[u8], lines: impl Iterator<Item = &'a str>) -> Verdict {
    let mut v = Verdict::default();
    for (n, line) in lines.enumerate() {
        let rec = match line.find(LOG_MARKER) {
            Some(p) => &line[p + LOG_MARKER.len()..],
            None if line.trim_start().starts_with('{') => line,
            None => continue,
        };
        match verify_record(key, rec) {
            Ok((epoch, seq)) => v.epochs.entry(epoch).or_default().push(seq),
            Err(p) => v.bad_lines.push((n + 1, p)),
        }
    }
    for (epoch, seqs) in &mut v.epochs {
        seqs.sort_unstable();
        for w in seqs.windows(2) {
            if w[0] == w[1] {
                v.duplicates.push((epoch.clone(), w[0]));
            } else if w[1] > w[0] + 1 {
                v.gaps.push((epoch.clone(), w[0] + 1, w[1] - 1));
            }
        }
        seqs.dedup();
    }
    v
}

#[cfg(test)]
mod unit {
    use super::*;

    const KEY: [u8; KEY_BYTES] = [7; KEY_BYTES];

    fn rec(seq: u64) -> String {
        seal(
            &KEY,
            &format!(r#"{{"seq":{seq},"seq_epoch":"e1","vector":"load","detail":"x}}y"}}"#),
        )
    }

    #[test]
    fn sealed_records_verify_and_keep_their_fields() {
        let r = rec(3);
        assert!(r.ends_with("\"}"), "{r}");
        let v: serde_json::Value = serde_json::from_str(&r).unwrap();
        assert_eq!(v["detail"], "x}y");
        assert_eq!(v["mac"].as_str().unwrap().len(), 64);
        assert_eq!(verify_record(&KEY, &r), Ok(("e1".into(), 3)));
        assert_eq!(seal(&KEY, "{}").len(), 2 + MAC_SUFFIX_LEN - 1);
    }

    #[test]
    fn forged_altered_and_wrong_key_are_detected() {
        let r = rec(3);
        assert_eq!(
            verify_record(&KEY, &r.replace("load", "lead")),
            Err(Problem::BadMac)
        );
        assert_eq!(verify_record(&[8; KEY_BYTES], &r), Err(Problem::BadMac));
        assert_eq!(
            verify_record(&KEY, r#"{"seq":4,"seq_epoch":"e1"}"#),
            Err(Problem::NoMac)
        );
    }

    #[test]
    fn files_and_logs() {
        let log = [
            "2026-12-04 LOG:  unrelated".to_string(),
            format!("2026-12-04 [1] LOG:  EXTGUARD_AUDIT {}", rec(1)),
            format!("2026-12-04 [1] LOG:  EXTGUARD_AUDIT {}", rec(2)),
            // a line any role can write with RAISE LOG
            r#"2026-12-04 [2] LOG:  EXTGUARD_AUDIT {"seq":3,"seq_epoch":"e1","mac":"00"}"#
                .to_string(),
            format!("2026-12-04 [1] LOG:  EXTGUARD_AUDIT {}", rec(5)),
            format!("2026-12-04 [1] LOG:  EXTGUARD_AUDIT {}", rec(5)),
        ];
        let v = verify_lines(&KEY, log.iter().map(String::as_str));
        assert!(!v.ok());
        assert_eq!(v.bad_lines, vec![(4, Problem::BadMac)]);
        assert_eq!(v.gaps, vec![("e1".to_string(), 3, 4)]);
        assert_eq!(v.duplicates, vec![("e1".to_string(), 5)]);
        let good: Vec<String> = (1..=3).map(rec).collect();
        assert!(verify_lines(&KEY, good.iter().map(String::as_str)).ok());
    }

    #[test]
    fn key_text_round_trips() {
        assert_eq!(key_from_text(&key_to_text(&KEY)).unwrap(), KEY);
        assert!(key_from_text("abc").is_err());
        assert!(key_from_text(&"zz".repeat(32)).is_err());
    }
}
