//! `extguard check` on Wasm modules: imports are capabilities, every import
//! but `extguard.spi_query` is EG140, invalid modules are EG141, and a note lists the module's surface.

use std::path::Path;
use std::process::Command;

fn check(dir: &Path, file: &str) -> (i32, serde_json::Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_extguard"))
        .args(["check", "--format", "json", file])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        serde_json::from_slice(&o.stdout).unwrap(),
    )
}

fn codes(doc: &serde_json::Value) -> Vec<(String, u64, u64)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn wasm_text_and_binary_modules() {
    let d = tempfile::tempdir().unwrap();
    let clean = "(module (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))";
    std::fs::write(d.path().join("add.wat"), clean).unwrap();
    let (code, doc) = check(d.path(), "add.wat");
    assert_eq!(code, 0, "a module without imports is clean: {doc}");
    assert_eq!(codes(&doc), [("EG142".to_string(), 1, 1)]);
    assert!(doc["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("exports: add"));

    let hostile = ";; asks for files\n(module\n  (import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32 i32) (result i32)))\n  (import \"env\" \"mem\" (memory 1)))";
    std::fs::write(d.path().join("h.wat"), hostile).unwrap();
    let (code, doc) = check(d.path(), "h.wat");
    assert_eq!(code, 1);
    assert_eq!(
        codes(&doc),
        [
            ("EG142".into(), 1, 1),
            ("EG140".into(), 3, 3),
            ("EG140".into(), 4, 3)
        ]
    );

    // the SPI imports LANGUAGE wasm offers are listed, not flagged; the same
    // name as a memory, or another extguard name, is
    let spi = "(module\n  (import \"extguard\" \"spi_query\" (func (param i32 i32 i32 i32) (result i64)))\n  (import \"extguard\" \"spi_exec\" (func (param i32 i32 i32 i32) (result i64)))\n  (import \"extguard\" \"raise\" (func (param i32 i32 i32 i32 i32) (result i32)))\n  (import \"extguard\" \"exec\" (func)))";
    std::fs::write(d.path().join("spi.wat"), spi).unwrap();
    let (code, doc) = check(d.path(), "spi.wat");
    assert_eq!(code, 1);
    assert_eq!(
        codes(&doc),
        [("EG142".into(), 1, 1), ("EG140".into(), 5, 3)],
        "{doc}"
    );
    assert!(doc["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("extguard.spi_query"));

    // the same module as a binary
    std::fs::write(d.path().join("h.wasm"), wat::parse_str(hostile).unwrap()).unwrap();
    let (code, doc) = check(d.path(), "h.wasm");
    assert_eq!(code, 1);
    let imports: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["object"].as_str())
        .collect();
    assert_eq!(imports, ["wasi_snapshot_preview1.fd_write", "env.mem"]);

    // broken text, broken binary, and a directory holding them: the run goes on
    std::fs::write(d.path().join("bad.wat"), "(module\n  (func (result i32)))").unwrap();
    let (_, doc) = check(d.path(), "bad.wat");
    assert_eq!(codes(&doc)[0].0, "EG141");
    std::fs::write(d.path().join("trunc.wasm"), b"\0asm\x01\0\0\0\x01\xff").unwrap();
    let (_, doc) = check(d.path(), "trunc.wasm");
    assert_eq!(codes(&doc)[0].0, "EG141");
    let (code, doc) = check(d.path(), ".");
    assert_eq!(code, 1);
    assert_eq!(doc["files"].as_array().unwrap().len(), 6);
}
