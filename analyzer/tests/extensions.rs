//! Extension-aware analysis over corpus/extensions: control files, install
//! chains, the CREATE EXTENSION search_path, update scripts, EG005.

use std::path::Path;

use extguard_analyzer::{extension, Config};

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/extensions")
}

fn findings(
    name: &str,
) -> (
    extension::ExtensionReport,
    Vec<(String, String, usize, usize)>,
) {
    let d = extension::discover(&corpus());
    let e = d
        .extensions
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("extension {name} not discovered"));
    let r = extension::analyze(e, &Config::default());
    let mut v = Vec::new();
    for (file, fs) in r.files.iter().zip(&r.findings) {
        let base = Path::new(&file.path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for f in fs {
            v.push((base.clone(), f.code.to_string(), f.line, f.column));
        }
    }
    (r, v)
}

#[test]
fn discovery_groups_scripts_by_control_file() {
    let d = extension::discover(&corpus());
    let names: Vec<&str> = d.extensions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "broken",
            "definer",
            "fixedschema",
            "good",
            "nopath",
            "trustme"
        ]
    );
    let good = &d.extensions[3];
    assert_eq!(good.scripts.len(), 2);
    assert!(d.loose_sql.is_empty(), "{:?}", d.loose_sql);
}

#[test]
fn install_chain_runs_with_the_create_extension_search_path() {
    let (r, f) = findings("good");
    let chain: Vec<String> = r
        .install_chain
        .iter()
        .map(|&i| {
            Path::new(&r.files[i].path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(chain, ["good--1.0.sql", "good--1.0--1.1.sql"]);
    // top-level CREATE TABLE / CREATE OPERATOR / unqualified names: nothing;
    // the body of get() in 1.0 runs under its caller's path: PS005, PS017, PS001;
    // the 1.1 update fixes it (and OR REPLACE of a function the chain created is fine).
    assert_eq!(
        f,
        vec![
            ("good--1.0.sql".into(), "PS005".into(), 7, 17),
            ("good--1.0.sql".into(), "PS017".into(), 7, 77),
            ("good--1.0.sql".into(), "PS001".into(), 7, 94),
        ]
    );
}

#[test]
fn broken_control_files_are_reported_where_they_are_wrong() {
    let (_, f) = findings("broken");
    assert_eq!(f, vec![("broken.control".into(), "EG005".into(), 2, 1)]);
    let (_, f) = findings("nopath");
    assert_eq!(f, vec![("nopath.control".into(), "EG005".into(), 1, 1)]);
}

#[test]
fn end_of_script_checks_run_at_the_end_of_the_install_chain() {
    // a() is revoked from PUBLIC by the update script, b() never: EG117 for
    // b() only, reported in the base script where b() is created.
    let (_, f) = findings("definer");
    assert_eq!(f, vec![("definer--1.0.sql".into(), "EG117".into(), 3, 46)]);
}

#[test]
fn the_control_files_schema_belongs_to_the_extension() {
    // CREATE OR REPLACE VIEW in the control file's schema is not PS015;
    // in another schema it is
    let (_, f) = findings("fixedschema");
    assert_eq!(
        f,
        vec![("fixedschema--1.0.sql".into(), "PS015".into(), 7, 11)]
    );
}

#[test]
fn trusted_extensions_get_eg121_for_superuser_only_parts() {
    let (_, f) = findings("trustme");
    let f: Vec<(String, usize, usize)> = f.into_iter().map(|(_, c, l, col)| (c, l, col)).collect();
    assert_eq!(
        f,
        vec![
            ("EG121".into(), 3, 63), // SECURITY DEFINER, even with a secure search_path and REVOKE
            ("EG115".into(), 6, 62), // C code from /tmp
            ("EG121".into(), 6, 62),
            ("EG101".into(), 7, 20), // COPY ... PROGRAM
            ("EG121".into(), 7, 20),
        ]
    );
    // the same scripts in an extension that is not trusted: no EG121
    let d = extension::discover(&corpus());
    let mut e = d
        .extensions
        .into_iter()
        .find(|e| e.name == "trustme")
        .unwrap();
    if let Ok(c) = &mut e.control {
        c.trusted = false;
    }
    let r = extension::analyze(&e, &Config::default());
    assert!(r.findings.iter().flatten().all(|f| f.code != "EG121"));
}
