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

    /// `extguard SUBCOMMAND ARGS` run in the scratch directory with its own
    /// TMPDIR and no stdin.
    pub fn command(&self, subcommand: &str, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_extguard"));
        c.arg(subcommand)
            .args(args)
            .current_dir(self.dir.path())
            .env("TMPDIR", self.tmp())
            .stdin(std::process::Stdio::null());
        c
    }

    /// Run [`Scratch::command`] and check that it left no temporary directory behind.
    pub fn extguard(&self, subcommand: &str, args: &[&str]) -> Output {
        let out = self.command(subcommand, args).output().unwrap();
        self.assert_no_temp_left();
        out
    }

    /// `extguard scan ARGS` (see [`Scratch::extguard`]).
    pub fn scan(&self, args: &[&str]) -> Output {
        self.extguard("scan", args)
    }

    /// Fail if a run left anything in the scanner's TMPDIR.
    pub fn assert_no_temp_left(&self) {
        let left: Vec<_> = std::fs::read_dir(self.tmp()).unwrap().flatten().collect();
        assert!(left.is_empty(), "temporary files left behind: {left:?}");
    }
}

/// The units of `--format jsonl` output.
pub fn units(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The findings of `--format json` output.
pub fn json_findings(o: &Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
    doc["findings"].as_array().cloned().unwrap_or_default()
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

pub fn write_tree(root: &Path, files: &[(String, Vec<u8>)]) {
    for (name, data) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// A tar entry: a name written as raw bytes (so hostile names survive),
/// and either file data or a link.
pub enum Entry {
    File(Vec<u8>, Vec<u8>),
    Symlink(Vec<u8>, Vec<u8>),
    Hardlink(Vec<u8>, Vec<u8>),
}

pub fn tar_bytes(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_old();
        let (name, data, kind, link): (&[u8], &[u8], _, Option<&[u8]>) = match e {
            Entry::File(n, d) => (n, d, tar::EntryType::Regular, None),
            Entry::Symlink(n, t) => (n, b"", tar::EntryType::Symlink, Some(t)),
            Entry::Hardlink(n, t) => (n, b"", tar::EntryType::Link, Some(t)),
        };
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        if let Some(t) = link {
            h.as_old_mut().linkname[..t.len()].copy_from_slice(t);
        }
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn files_as_entries(files: &[(String, Vec<u8>)]) -> Vec<Entry> {
    files
        .iter()
        .map(|(n, d)| Entry::File(n.clone().into_bytes(), d.clone()))
        .collect()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A .deb: debian-binary, control.tar.gz, then `data` named `data_name`.
pub fn make_deb(path: &Path, data_name: &str, data: &[u8]) {
    let mut ar = ar::Builder::new(std::fs::File::create(path).unwrap());
    let members: [(&str, Vec<u8>); 3] = [
        ("debian-binary", b"2.0\n".to_vec()),
        (
            "control.tar.gz",
            gzip(&tar_bytes(&[Entry::File(
                b"./control".to_vec(),
                b"Package: postgresql-15-demo\n".to_vec(),
            )])),
        ),
        (data_name, data.to_vec()),
    ];
    for (name, bytes) in members {
        ar.append(
            &ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64),
            bytes.as_slice(),
        )
        .unwrap();
    }
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

/// Compare `actual` with the snapshot `tests/snapshots/NAME` (with
/// `UPDATE_SNAPSHOTS=1`, write it instead).
pub fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
    assert_eq!(
        expected, actual,
        "snapshot {name} differs (UPDATE_SNAPSHOTS=1 to accept)"
    );
}

/// `text` as SARIF, checked valid against the SARIF 2.1.0 schema.
pub fn valid_sarif(text: &str) -> serde_json::Value {
    let sarif: serde_json::Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    sarif
}

/// The policy file at `path`, checked valid against docs/policy.schema.json.
pub fn valid_policy(path: &Path) -> serde_json::Value {
    let policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/policy.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&policy)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    policy
}
