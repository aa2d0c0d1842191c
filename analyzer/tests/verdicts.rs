//! Verdicts of the fixture extensions (tests/data/verdicts), EG122 for a
//! contradicted `trusted = true`, and policies: written from PostgreSQL's
//! extension directory, validated against docs/policy.schema.json, emitted
//! as each allow-list, and refused when malformed or of another version.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod cli_support;

fn extguard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_extguard"))
        .args(args)
        .output()
        .expect("extguard runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/verdicts")
        .join(name)
}

/// The JSON report of a scan of one fixture: its extension entry and all findings.
fn scan(name: &str) -> (Value, Vec<Value>) {
    let out = extguard(&["scan", fixture(name).to_str().unwrap(), "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let ext = doc["extensions"][0].clone();
    (ext, doc["findings"].as_array().unwrap().clone())
}

fn reason_codes(ext: &Value) -> Vec<String> {
    ext["verdict"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn each_fixture_gets_its_verdict_with_reasons() {
    let (safe, findings) = scan("safe");
    assert_eq!(safe["verdict"]["verdict"], "trusted-safe");
    assert!(reason_codes(&safe).is_empty());
    assert!(findings.iter().all(|f| f["code"] != "EG122"));

    let (deleg, findings) = scan("delegable");
    assert_eq!(deleg["verdict"]["verdict"], "delegable");
    assert_eq!(reason_codes(&deleg), ["base-type", "c-function"]);
    let r = &deleg["verdict"]["reasons"][0];
    assert!(r["path"].as_str().unwrap().ends_with("delegable--1.0.sql"));
    assert_eq!(r["line"], 6);
    // trusted = true, contradicted: one EG122 on the control file's trusted line
    let eg122: Vec<&Value> = findings.iter().filter(|f| f["code"] == "EG122").collect();
    assert_eq!(eg122.len(), 1, "{findings:#?}");
    assert!(eg122[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("delegable.control"));
    assert_eq!(eg122[0]["line"], 6);
    assert!(eg122[0]["message"].as_str().unwrap().contains("delegable"));

    let (su, _) = scan("superuser_only");
    assert_eq!(su["verdict"]["verdict"], "superuser-only");
    assert_eq!(reason_codes(&su), ["EG115"]);

    let (reject, _) = scan("reject");
    assert_eq!(reject["verdict"]["verdict"], "reject");
    let codes = reason_codes(&reject);
    // the install script's SECURITY DEFINER and the update script's COPY PROGRAM
    assert!(codes.contains(&"PS003".to_string()), "{codes:?}");
    assert!(codes.contains(&"EG101".to_string()), "{codes:?}");
}

#[test]
fn verdicts_are_in_every_format() {
    let dir = fixture("delegable");
    let dir = dir.to_str().unwrap();
    let human = extguard(&["scan", dir, "--format", "human", "--color", "never"]);
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains("verdict: delegable 1.0: delegable (base-type"),
        "{human}"
    );
    let jsonl = extguard(&["scan", dir, "--format", "jsonl"]);
    let line: Value = serde_json::from_slice(&jsonl.stdout).unwrap();
    assert_eq!(line["verdict"]["verdict"], "delegable");
    let sarif = extguard(&["scan", dir, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let v = &sarif["runs"][0]["properties"]["verdicts"][0];
    assert_eq!(v["extension"], "delegable");
    assert_eq!(v["verdict"]["verdict"], "delegable");
}

fn extension_dir() -> PathBuf {
    let out = Command::new("pg_config")
        .arg("--sharedir")
        .output()
        .expect("pg_config runs");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("extension")
}

fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_policy_of_contrib_is_valid_hashes_the_installed_files_and_emits_allow_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("policy.json");
    let dir = extension_dir();
    let out = extguard(&[
        "scan",
        dir.to_str().unwrap(),
        "--write-policy",
        file.to_str().unwrap(),
        "--format",
        "table",
    ]);
    assert!(file.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    let policy = cli_support::valid_policy(&file);

    let entries = policy["extensions"].as_array().unwrap();
    assert!(entries.len() > 30);
    // the digests are of the bytes installed, named relative to their directories
    let cube = entries.iter().find(|e| e["name"] == "cube").expect("cube");
    assert_eq!(cube["control"]["file"], "cube.control");
    assert_eq!(
        cube["control"]["sha256"],
        sha256_hex(&dir.join("cube.control"))
    );
    for s in cube["scripts"].as_array().unwrap() {
        let name = s["file"].as_str().unwrap();
        assert_eq!(s["sha256"], sha256_hex(&dir.join(name)), "{name}");
    }
    let lib = &cube["libraries"][0];
    assert_eq!(lib["file"], "cube.so");
    assert_eq!(lib["reference"], "$libdir/cube");
    let libdir = Command::new("pg_config")
        .arg("--pkglibdir")
        .output()
        .unwrap();
    let libdir = PathBuf::from(String::from_utf8(libdir.stdout).unwrap().trim());
    assert_eq!(lib["sha256"], sha256_hex(&libdir.join("cube.so")));

    let allowed: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter(|e| ["trusted-safe", "delegable"].contains(&e["verdict"].as_str().unwrap()))
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let refused: Vec<&str> = entries
        .iter()
        .filter(|e| !["trusted-safe", "delegable"].contains(&e["verdict"].as_str().unwrap()))
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(!refused.is_empty() && !allowed.is_empty());
    for (target, setting) in [
        ("supautils", "supautils.privileged_extensions"),
        ("pgextwlist", "extwlist.extensions"),
        ("rds", "rds.allowed_extensions"),
    ] {
        let out = extguard(&["policy", file.to_str().unwrap(), "--emit", target]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let settings: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(settings.len(), 1, "{text}");
        let value = settings[0]
            .strip_prefix(&format!("{setting} = '"))
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{text}"));
        let listed: std::collections::BTreeSet<&str> = value.split(',').collect();
        assert_eq!(listed, allowed, "{target}");
        // every extension, allowed or not, has its verdict and reason as a comment
        for e in entries {
            let head = format!("#   {} ", e["name"].as_str().unwrap());
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&head) && l.contains(e["verdict"].as_str().unwrap())),
                "{head} in {text}"
            );
        }
    }
}

#[test]
fn a_bad_or_old_policy_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    for (content, expected) in [
        ("{\"policy_version\": 99, \"extensions\": []}", "policy_version 99 is not supported"),
        ("{\"extensions\": []}", "not an extguard policy"),
        ("not json", "not JSON"),
        (
            "{\"policy_version\": 1, \"generator\": \"x\", \"hash\": \"sha256\", \"extensions\": [{\"name\": \"x\"}]}",
            "invalid policy",
        ),
    ] {
        let f = tmp.path().join("p.json");
        std::fs::write(&f, content).unwrap();
        let out = extguard(&["policy", f.to_str().unwrap(), "--emit", "rds"]);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success());
        assert!(err.contains("p.json") && err.contains(expected), "{err}");
    }
    // a version 1 policy written before package_libraries existed still reads
    let f = tmp.path().join("older.json");
    std::fs::write(
        &f,
        "{\"policy_version\": 1, \"generator\": \"x\", \"hash\": \"sha256\", \"extensions\": []}",
    )
    .unwrap();
    let out = extguard(&["policy", f.to_str().unwrap(), "--emit", "rds"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn write_policy_refuses_rules_turned_off() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("p.json");
    let out = extguard(&[
        "scan",
        fixture("reject").to_str().unwrap(),
        "--select",
        "PS016",
        "--write-policy",
        file.to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--write-policy needs every rule") && err.contains("EG101"),
        "{err}"
    );
    assert!(!file.exists());
}

/// The files of a fixture directory (name relative to it, bytes), sorted.
fn fixture_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn package_metadata_claims_the_scripts_contradict_are_eg123() {
    // a PGXN distribution of the fixtures (tests/data/claims), zipped here
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("claims-1.0.0.zip");
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
        for (name, data) in fixture_files(&fixture("../claims")) {
            z.start_file(
                format!("claims-1.0.0/{name}"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(&data).unwrap();
        }
        z.finish().unwrap();
    }
    let out = extguard(&["scan", zip.to_str().unwrap(), "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let meta = std::fs::read_to_string(fixture("../claims/META.json")).unwrap();
    let line_of = |needle: &str| 1 + meta.lines().position(|l| l.contains(needle)).unwrap();
    let mut eg123: Vec<(String, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "EG123")
        .map(|f| {
            assert!(
                f["path"]
                    .as_str()
                    .unwrap()
                    .ends_with("!/claims-1.0.0/META.json"),
                "{f}"
            );
            (
                f["object"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    eg123.sort();
    let objects: Vec<(&str, u64)> = eg123.iter().map(|(o, l, _)| (o.as_str(), *l)).collect();
    // tlesafe (SQL only, trusted-safe) and plain (preloaded, claims no trust) hold
    assert_eq!(
        objects,
        [
            ("hooked", line_of("\"src/hooked\"") as u64),
            ("tledefiner", line_of("\"tledefiner\": {") as u64),
            ("tlenative", line_of("\"tlenative\": {") as u64),
        ],
        "{eg123:#?}"
    );
    assert!(
        eg123[0].2.contains("trusted = true") && eg123[0].2.contains("shared_preload_libraries")
    );
    assert!(
        eg123[1]
            .2
            .contains("its verdict is reject: PS003 at tledefiner--1.0.sql:2"),
        "{}",
        eg123[1].2
    );
    assert!(
        eg123[2].2.contains("native code ($libdir/tlenative)"),
        "{}",
        eg123[2].2
    );
    // a claim is reported, it does not change the verdict
    let verdict = |name: &str| {
        doc["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["verdict"]["verdict"]
            .clone()
    };
    assert_eq!(verdict("tlesafe"), "trusted-safe");
    assert_eq!(verdict("hooked"), "trusted-safe");
    // a Trunk archive whose manifest says its library needs a restart (preload)
    let trunk = tmp.path().join("hooked-1.0-pg15.tar.gz");
    {
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&trunk).unwrap(),
            flate2::Compression::fast(),
        );
        let mut t = tar::Builder::new(gz);
        let manifest =
            br#"{"name":"hooked","extension_name":"hooked","version":"1.0","manifest_version":2,
  "loadable_libraries":[{"library_name":"hooked","requires_restart":true}]}"#;
        let dir = fixture("../claims");
        let files: [(&str, Vec<u8>); 3] = [
            ("manifest.json", manifest.to_vec()),
            (
                "extension/hooked.control",
                std::fs::read(dir.join("hooked.control")).unwrap(),
            ),
            (
                "extension/hooked--1.0.sql",
                std::fs::read(dir.join("hooked--1.0.sql")).unwrap(),
            ),
        ];
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            t.append_data(&mut h, name, &data[..]).unwrap();
        }
        t.into_inner().unwrap().finish().unwrap();
    }
    let out = extguard(&["scan", trunk.to_str().unwrap(), "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "EG123")
        .collect();
    assert_eq!(f.len(), 1, "{doc:#}");
    assert!(f[0]["path"].as_str().unwrap().ends_with("!/manifest.json"));
    assert_eq!(f[0]["line"], 2);
    // --ignore EG123 turns it off
    let out = extguard(&[
        "scan",
        zip.to_str().unwrap(),
        "--format",
        "json",
        "--ignore",
        "EG123",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["code"] != "EG123"));
}
