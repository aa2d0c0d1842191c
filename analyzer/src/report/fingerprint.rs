//! Fingerprints of findings that do not change when lines move: SARIF's
//! `partialFingerprints` and the entries of a baseline file.
//!
//! The fingerprint hashes the rule code, the object and the text of the
//! source lines the finding spans with runs of whitespace collapsed, so
//! inserting lines above it, re-indenting it or reformatting its line
//! breaks within a line keeps it; editing the offending line itself makes a
//! new finding (for a pg_tle package's script, the lines of the script
//! itself, not of the file that carries it as a literal). The hash is
//! 64-bit FNV-1a, written as 16 hex digits (stable across versions and
//! platforms, unlike std's hasher).

use crate::finding::Finding;

/// A finding's fingerprint: written as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub u64);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The fingerprint of `f`, whose span indexes `text` (the file's text).
pub fn fingerprint(f: &Finding, text: &str) -> Fingerprint {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(f.span.start);
    let end = floor(f.span.end.max(start));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let lines = text.get(line_start..line_end).unwrap_or("");
    let mut h = Fnv::default();
    h.write(f.code.as_bytes());
    h.write(&[0]);
    h.write(f.object.as_deref().unwrap_or("").as_bytes());
    h.write(&[0]);
    for (i, word) in lines.split_whitespace().enumerate() {
        if i > 0 {
            h.write(b" ");
        }
        h.write(word.as_bytes());
    }
    Fingerprint(h.0)
}

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_text, Config};

    fn prints(sql: &str) -> Vec<String> {
        check_text("t.sql", sql, &Config::default())
            .iter()
            .map(|f| fingerprint(f, sql).to_string())
            .collect()
    }

    #[test]
    fn moving_lines_keeps_fingerprints_editing_them_does_not() {
        let a = prints("SELECT f(1);\nSELECT g(2);\n");
        let b = prints("-- a comment\n\n   SELECT f(1);\nSELECT    g(2);\n");
        assert_eq!(a, b);
        let c = prints("SELECT f(1);\nSELECT g(3);\n");
        assert_eq!(a[0], c[0]);
        assert_ne!(a[1], c[1]);
        assert_eq!(a[0].len(), 16);
    }
}
