//! Shared by the tests that run the `extguard` binary over scratch trees and
//! archives (`scan.rs`, `panic_isolation.rs`). Each adds its own methods to
//! [`Scratch`].
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A scratch directory with its own TMPDIR for the scanner (`tmp/`),
/// checked empty after every run.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let s = Scratch {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(s.tmp()).unwrap();
        s
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn tmp(&self) -> PathBuf {
        self.path("tmp")
    }

    /// Fail if a run left anything in the scanner's TMPDIR.
    pub fn assert_no_temp_left(&self) {
        let left: Vec<_> = std::fs::read_dir(self.tmp()).unwrap().flatten().collect();
        assert!(left.is_empty(), "temporary files left behind: {left:?}");
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A deflated zip of `files` (name, data).
pub fn make_zip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

/// A validator of the SARIF 2.1.0 schema (tests/data, the version GitHub
/// code scanning documents).
pub fn sarif_validator() -> jsonschema::Validator {
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("../data/sarif-2.1.0-rtm.5.json")).unwrap();
    // The `language` pattern (of run and toolComponent) has a lone `]`, a literal in JavaScript's
    // regex dialect (Annex B) but an error for the validator's regex engine,
    // which then refuses the whole schema. Escape it: same meaning.
    fn escape_lone_bracket(v: &mut serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(m) => {
                let mut n = 0;
                for (k, v) in m.iter_mut() {
                    if k == "pattern" && v == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *v = serde_json::json!("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$");
                        n += 1;
                    } else {
                        n += escape_lone_bracket(v);
                    }
                }
                n
            }
            serde_json::Value::Array(a) => a.iter_mut().map(escape_lone_bracket).sum(),
            _ => 0,
        }
    }
    assert_eq!(escape_lone_bracket(&mut schema), 2);
    jsonschema::draft4::new(&schema).unwrap()
}
