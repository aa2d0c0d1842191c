//! `extguard diff OLD NEW`: two versions of a fixture extension (a
//! directory against a PGXN zip), two versions of a PostgreSQL 15
//! contrib extension (pg_stat_statements 1.8 and 1.10, copied from the
//! local installation), and the fixtures of tests/data/diff (privileges,
//! a verdict change, a pg_tle package) in each output format against
//! snapshots in tests/snapshots (UPDATE_SNAPSHOTS=1 rewrites them).

use std::path::Path;
use std::process::Output;

mod cli_support;
use cli_support::{json_findings, make_zip, snapshot, stderr, stdout, valid_sarif, Scratch};

fn diff(s: &Scratch, args: &[&str]) -> Output {
    s.extguard("diff", args)
}

/// (code, severity, message, path, line) of every finding of `--format json`.
fn findings(o: &Output) -> Vec<(String, String, String, String, u64)> {
    json_findings(o)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

const OLD_CONTROL: &str = "default_version = '1.0'\nrelocatable = false\nschema = demo\n";
const NEW_CONTROL: &str =
    "default_version = '1.1'\nrelocatable = false\nschema = demo\ntrusted = true\n";

/// f: a definer done right; g: a definer without search_path (PS003).
const OLD_INSTALL: &str = "\
CREATE FUNCTION demo.f(x int) RETURNS int LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS 'SELECT x';
REVOKE EXECUTE ON FUNCTION demo.f(int) FROM PUBLIC;
CREATE FUNCTION demo.g() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION demo.g() FROM PUBLIC;
";

/// 1.1: f unchanged (lines moved), g fixed, and new: a definer h without
/// search_path, a C function, a grant to PUBLIC, an event trigger.
fn new_install() -> String {
    format!(
        "-- demo 1.1\n\n\n{}{}",
        OLD_INSTALL.replace(
            "SECURITY DEFINER AS 'SELECT 1'",
            "SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS 'SELECT 1'"
        ),
        "\
CREATE FUNCTION demo.h(t text) RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT t';
CREATE FUNCTION demo.native(int) RETURNS int AS '$libdir/demo', 'native' LANGUAGE c STRICT;
GRANT EXECUTE ON FUNCTION demo.h(text) TO PUBLIC;
CREATE FUNCTION demo.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER demo_ddl ON ddl_command_end EXECUTE FUNCTION demo.on_ddl();
"
    )
}

#[test]
fn two_versions_of_a_fixture_extension() {
    let s = Scratch::new();
    std::fs::create_dir(s.path("old")).unwrap();
    std::fs::write(s.path("old/demo.control"), OLD_CONTROL).unwrap();
    std::fs::write(s.path("old/demo--1.0.sql"), OLD_INSTALL).unwrap();
    make_zip(
        &s.path("demo-1.1.zip"),
        &[
            ("demo-1.1/demo.control".into(), NEW_CONTROL.into()),
            ("demo-1.1/demo--1.1.sql".into(), new_install().into_bytes()),
        ],
    );
    let o = diff(&s, &["old", "demo-1.1.zip", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let fs = findings(&o);
    let has = |code: &str, sev: &str, msg: &str, path: &str| {
        fs.iter()
            .any(|f| f.0 == code && f.1 == sev && f.2.contains(msg) && f.3 == path)
    };
    let script = "demo-1.1.zip!/demo-1.1/demo--1.1.sql";
    // new findings keep their codes; h's PS003 is one
    assert!(has("PS003", "error", "demo.h(t text)", script), "{fs:#?}");
    // what did not change is not reported, though its lines moved
    assert!(
        !fs.iter().any(|f| f.0 != "EG011" && f.2.contains("demo.f(")),
        "{fs:#?}"
    );
    // g's PS003 is gone, reported where it was
    assert!(
        has(
            "EG011",
            "info",
            "finding gone in the new version: PS003",
            "old/demo--1.0.sql"
        ),
        "{fs:#?}"
    );
    for msg in [
        "new security-definer: demo.h(t text)",
        "changed security-definer: demo.g()",
        "new c-function: demo.native(integer)",
        "new library: $libdir/demo",
        "new privilege: EXECUTE on function demo.h(text) to PUBLIC: granted",
        "new event-trigger: demo_ddl",
    ] {
        assert!(has("EG011", "warning", msg, script), "{msg}: {fs:#?}");
    }
    assert!(
        has(
            "EG011",
            "warning",
            "control file: trusted was false, is now true",
            "demo-1.1.zip!/demo-1.1/demo.control"
        ),
        "{fs:#?}"
    );
    // f is the same definer: no change reported
    assert!(!fs.iter().any(|f| f.2.contains("demo.f(")), "{fs:#?}");
    // the new event trigger's line in the new script
    let et = fs.iter().find(|f| f.2.contains("event-trigger")).unwrap();
    assert_eq!(et.4, 13);

    // SARIF through the same reporter as scan's, valid against the schema
    let o = diff(&s, &["old", "demo-1.1.zip", "--format", "sarif"]);
    let sarif = valid_sarif(&stdout(&o));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), fs.len());

    // human: each change with its source lines
    let o = diff(&s, &["old", "demo-1.1.zip"]);
    let text = stdout(&o);
    assert!(text.contains("new event-trigger: demo_ddl"), "{text}");
    assert!(
        text.contains("CREATE EVENT TRIGGER demo_ddl ON ddl_command_end"),
        "{text}"
    );

    // the same version twice: nothing to report
    let o = diff(&s, &["old", "old", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(findings(&o).is_empty());
}

#[test]
fn two_contrib_versions_of_pg_stat_statements() {
    let contrib = Path::new("/usr/share/postgresql/15/extension");
    assert!(
        contrib.join("pg_stat_statements.control").is_file(),
        "PostgreSQL 15 contrib (make setup installs postgresql-contrib)"
    );
    let s = Scratch::new();
    for side in ["old", "new"] {
        std::fs::create_dir(s.path(side)).unwrap();
        for e in std::fs::read_dir(contrib).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("pg_stat_statements") {
                std::fs::copy(e.path(), s.path(side).join(&name)).unwrap();
            }
        }
    }
    // the old version: the same files, 1.8 as the default
    let control = std::fs::read_to_string(s.path("old/pg_stat_statements.control")).unwrap();
    assert!(control.contains("default_version = '1.10'"), "{control}");
    std::fs::write(
        s.path("old/pg_stat_statements.control"),
        control.replace("'1.10'", "'1.8'"),
    )
    .unwrap();
    let o = diff(&s, &["old", "new", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let fs = findings(&o);
    let messages: Vec<String> = fs
        .iter()
        .map(|f| format!("{} {}:{} {}", f.1, f.3, f.4, f.2))
        .collect();
    // 1.9 adds pg_stat_statements_info() in C, readable by PUBLIC; 1.9 and
    // 1.10 replace pg_stat_statements(boolean) with new C symbols
    let has = |m: &str| messages.iter().any(|x| x.contains(m));
    assert!(
        has("warning new/pg_stat_statements--1.8--1.9.sql:7 new c-function: pg_stat_statements_info("),
        "{messages:#?}"
    );
    assert!(
        has("warning new/pg_stat_statements--1.8--1.9.sql:18 new privilege: SELECT on table pg_stat_statements_info to PUBLIC: granted"),
        "{messages:#?}"
    );
    assert!(
        has("warning new/pg_stat_statements--1.9--1.10.sql:15 changed c-function: pg_stat_statements(IN showtext boolean"),
        "{messages:#?}"
    );
    assert_eq!(messages.len(), 3, "{messages:#?}");
}

#[test]
fn verdict_changes_privileges_and_pg_tle_packages_in_every_format() {
    let s = Scratch::new();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff");
    let run = |format: &str| {
        let o = s
            .command("diff", &["old", "new", "--format", format])
            .current_dir(&data)
            .output()
            .unwrap();
        s.assert_no_temp_left();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        o
    };
    let o = run("json");
    let fs = findings(&o);
    let messages: Vec<String> = fs
        .iter()
        .filter(|f| f.0 == "EG011")
        .map(|f| format!("{} {}:{} {}", f.1, f.3, f.4, f.2))
        .collect();
    assert_eq!(
        messages,
        [
            "warning new/acl.control:1 verdict was trusted-safe, is now reject; new reasons: EG118 PUBLIC may execute the SECURITY DEFINER function acl.f (acl--1.1.sql:12)",
            "warning new/acl--1.1.sql:12 privilege changed: EXECUTE on function acl.f() to PUBLIC: was revoked, is now granted with grant option",
            "warning new/acl--1.1.sql:11 new privilege: SELECT on table acl.t to PUBLIC: granted",
            "info old/acl--1.0.sql:6 removed privilege statement: EXECUTE on function acl.f() to acl_reader (was granted)",
            // the pg_tle package: at the lines of the literal in the .sql file
            "warning new/tle.sql:15 new privilege: EXECUTE on function tle_whoami() to PUBLIC: granted",
            "warning new/tle.sql:11 new security-definer: tle_whoami()",
            "warning new/tle.sql:2 verdict was trusted-safe, is now reject; new reasons: EG118 PUBLIC may execute the SECURITY DEFINER function tle_whoami (tle.sql:15); EG117 SECURITY DEFINER function tle_whoami() stays executable by PUBLIC: the script never revokes EXECUTE from PUBLIC (tle.sql:12)",
        ]
        .map(String::from),
        "{fs:#?}"
    );
    // the REVOKE written another way and the unchanged column grant are no change
    assert!(!messages.iter().any(|m| m.contains("SELECT (id)")));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let acl = doc["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "acl")
        .unwrap();
    assert_eq!(acl["verdict"]["verdict"], "reject");
    snapshot("diff.json", &stdout(&o));

    snapshot("diff.human.txt", &stdout(&run("human")));

    let sarif = valid_sarif(&stdout(&run("sarif")));
    // the results and the verdicts (the rules' help texts are scan's)
    let run0 = &sarif["runs"][0];
    let part = serde_json::json!({"results": run0["results"], "properties": run0["properties"]});
    snapshot(
        "diff.sarif.json",
        &(serde_json::to_string_pretty(&part).unwrap() + "\n"),
    );
}

/// Two versions of a database.dev JSON package, each on one line: a
/// finding is matched by its place in the script, not by the JSON line,
/// so only what the new version adds is reported.
#[test]
fn json_packages_on_one_line_are_compared_by_their_scripts() {
    let s = Scratch::new();
    let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';";
    let package = |sql: &str| {
        serde_json::json!({"package_name": "dd", "package_versions": [{"version": "1.0", "sql": sql}]})
            .to_string()
    };
    std::fs::write(s.path("old.json"), package(sql)).unwrap();
    let grant = format!("{sql}\nGRANT EXECUTE ON FUNCTION f() TO PUBLIC;");
    std::fs::write(s.path("new.json"), package(&grant)).unwrap();
    let o = diff(&s, &["old.json", "new.json", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let got: Vec<(String, String)> = findings(&o).into_iter().map(|f| (f.0, f.2)).collect();
    assert_eq!(
        got,
        [
            (
                "EG118".to_string(),
                "PUBLIC may execute the SECURITY DEFINER function f".to_string()
            ),
            (
                "EG011".to_string(),
                "new privilege: EXECUTE on function f() to PUBLIC: granted".to_string()
            ),
        ]
    );
}
