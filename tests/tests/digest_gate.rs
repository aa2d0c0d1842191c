//! The digest gate (`extguard.policy_file`) on a real server: a policy
//! written by `extguard scan --write-policy` from the server's own
//! extension and library directories, then fixtures added or changed
//! after the scan and the attacks a tenant superuser would try.
//!
//! Runs with `EXTGUARD_E2E=1` (`make test-pg`, which builds the
//! `extguard` binary first). The fixture files written into the server's
//! extension and library directories (the version's copy under
//! /var/cache/extguard/pg, never the system PostgreSQL) are removed when
//! the test ends, also when it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use extguard_e2e::pg::Server;
use extguard_e2e::wasm::{environment, server};
use extguard_e2e::{pg_config, pg_major};

/// Files the test wrote; removed on drop (a failed assertion included).
struct Fixtures(Vec<PathBuf>);

impl Fixtures {
    fn write(&mut self, path: PathBuf, bytes: &[u8]) {
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if !self.0.contains(&path) {
            self.0.push(path);
        }
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Port of this test's server: 5570 + the major version (5585 on 15), apart
/// from the escape battery's (5482 + major) and the wasm tests' (5531...).
fn port() -> u16 {
    5570 + pg_major().expect("pg_config reports a version") as u16
}

/// The `extguard` binary cargo built (`make test-pg` builds it first).
fn extguard_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("EXTGUARD_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("extguard"))
        .filter(|p| p.is_file())
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("no extguard binary: cargo build -p extguard-analyzer --bin extguard")
}

/// `unvetted_code` records after `after`, as (outcome, detail).
fn unvetted(s: &Server, after: i64) -> Vec<(String, String)> {
    let out = s.sql(&format!(
        "SELECT r->>'outcome' || '|' || (r->>'detail') FROM extguard.audit_events() r \
         WHERE r->>'vector' = 'unvetted_code' AND (r->>'seq')::bigint > {after} \
         ORDER BY (r->>'seq')::bigint;"
    ));
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (o, d) = l.split_once('|').expect("outcome|detail");
            (o.to_string(), d.to_string())
        })
        .collect()
}

fn last_seq(s: &Server) -> i64 {
    s.sql("SELECT (extguard.audit_stats()->>'last_seq')::bigint;")
        .parse()
        .expect("last_seq")
}

fn set(s: &Server, setting: &str, value: &str) {
    s.sql(&format!(
        "ALTER SYSTEM SET {setting} = '{}'; SELECT pg_reload_conf();",
        value.replace('\'', "''")
    ));
    // a new session sees the reloaded value
    std::thread::sleep(std::time::Duration::from_millis(300));
}

/// psql's stderr for `sql` (which may fail) as `user`.
fn errors_of(s: &Server, user: &str, sql: &str) -> String {
    String::from_utf8_lossy(&s.psql(user, "postgres", sql).stderr).into_owned()
}

fn sha256(path: &Path) -> String {
    extguard_analyzer::policy::sha256_file(path).expect("hash")
}

#[test]
fn digest_gate_vets_extensions_and_libraries() {
    if environment().is_none() {
        return;
    }
    let major = pg_major().expect("version");
    let share = PathBuf::from(pg_config("--sharedir").expect("sharedir"));
    let ext = share.join("extension");
    let lib = PathBuf::from(pg_config("--pkglibdir").expect("pkglibdir"));
    let s = server(port(), &["wal_level=logical"], &[]);
    let scratch = s.scratch().to_path_buf();
    let mut fx = Fixtures(Vec::new());

    // Written before the scan: vetted. A library holding a copy of
    // fuzzystrmatch.so, an extension whose C function lives in it, one
    // whose script will change, one requiring an extension that will only
    // be written after the scan.
    fx.write(
        lib.join("eg_gate_lib.so"),
        &std::fs::read(lib.join("fuzzystrmatch.so")).expect("fuzzystrmatch.so"),
    );
    fx.write(
        ext.join("eg_gate_vetted.control"),
        b"default_version = '1.0'\nmodule_pathname = '$libdir/eg_gate_lib'\nrelocatable = true\n",
    );
    fx.write(
        ext.join("eg_gate_vetted--1.0.sql"),
        b"CREATE FUNCTION eg_gate_soundex(text) RETURNS text\n  AS 'MODULE_PATHNAME', 'soundex' LANGUAGE C IMMUTABLE STRICT;\n\
          CREATE FUNCTION eg_gate_soundex_sd(text) RETURNS text\n  AS 'MODULE_PATHNAME', 'soundex' LANGUAGE C STRICT SECURITY DEFINER;\n",
    );
    fx.write(
        ext.join("eg_gate_edit.control"),
        b"default_version = '1.0'\nrelocatable = true\n",
    );
    fx.write(
        ext.join("eg_gate_edit--1.0.sql"),
        b"CREATE FUNCTION eg_gate_edit() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
    );
    fx.write(
        ext.join("eg_gate_casc.control"),
        b"default_version = '1.0'\nrelocatable = true\nrequires = 'eg_gate_new'\n",
    );
    fx.write(
        ext.join("eg_gate_casc--1.0.sql"),
        b"CREATE FUNCTION eg_gate_casc() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
    );
    let policy = scratch.join("policy.json");
    let scan = Command::new(extguard_bin())
        .arg("scan")
        .arg(&ext)
        .arg("--libdir")
        .arg(&lib)
        .arg("--write-policy")
        .arg(&policy)
        .args(["--format", "json"])
        .output()
        .expect("extguard scan");
    assert!(
        matches!(scan.status.code(), Some(0 | 1)),
        "scan: {}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let policy_text = std::fs::read_to_string(&policy).expect("policy written");
    let _ = Command::new("chmod").arg("a+r").arg(&policy).status();

    // Written after the scan: an extension nobody vetted, its script in a
    // `directory` outside the extension directory; a one-byte change.
    let elsewhere = scratch.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let _ = Command::new("chmod").arg("a+rx").arg(&elsewhere).status();
    fx.write(
        ext.join("eg_gate_new.control"),
        format!(
            "default_version = '1.0'\nrelocatable = true\ndirectory = '{}'\n",
            elsewhere.display()
        )
        .as_bytes(),
    );
    fx.write(
        elsewhere.join("eg_gate_new--1.0.sql"),
        b"CREATE FUNCTION eg_gate_new() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
    );
    let edited = ext.join("eg_gate_edit--1.0.sql");
    let vetted_edit = sha256(&edited);
    fx.write(
        edited.clone(),
        b"CREATE FUNCTION eg_gate_edit() RETURNS int LANGUAGE sql AS 'SELECT 2';\n",
    );

    // The setting: only postgresql.conf / ALTER SYSTEM, never a session.
    for sql in [
        "SET extguard.policy_file = '';",
        "SELECT set_config('extguard.policy_file', '', false);",
    ] {
        let e = errors_of(&s, "postgres", sql);
        assert!(e.contains("cannot be changed now"), "{sql}: {e}");
    }
    set(&s, "extguard.policy_file", &policy.display().to_string());

    // Vetted: silent (CASCADE too: earthdistance requires cube).
    let start = last_seq(&s);
    s.sql(
        "CREATE EXTENSION earthdistance CASCADE; CREATE EXTENSION eg_gate_vetted;
         SELECT eg_gate_soundex('gate'); LOAD 'eg_gate_lib'; LOAD '$libdir/fuzzystrmatch';",
    );
    assert_eq!(unvetted(&s, start), vec![], "vetted code was recorded");

    // Audit mode: recorded, not refused. Re-cased statement; the script
    // found through the control file's `directory`.
    let seq = last_seq(&s);
    s.sql("create EXTENSION EG_GATE_NEW; DROP EXTENSION eg_gate_new;");
    let recs = unvetted(&s, seq);
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert!(recs.iter().all(|(o, _)| o == "attempted"), "{recs:?}");
    assert!(
        recs[0]
            .1
            .contains("eg_gate_new.control: not in policy; actual "),
        "{recs:?}"
    );
    assert!(
        recs[1].1.contains(&format!(
            "script {}: not in policy",
            elsewhere.join("eg_gate_new--1.0.sql").display()
        )),
        "{recs:?}"
    );

    // Block mode.
    set(&s, "extguard.block", "unvetted_code");
    // One byte changed after the scan: expected and actual digests.
    let seq = last_seq(&s);
    let e = errors_of(&s, "postgres", "CREATE EXTENSION eg_gate_edit;");
    assert!(e.contains("extguard: unvetted_code is blocked"), "{e}");
    let recs = unvetted(&s, seq);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0].0, "blocked");
    assert!(
        recs[0].1.contains(&format!(
            "script {}: expected sha256 {vetted_edit}; actual {}",
            edited.display(),
            sha256(&edited)
        )),
        "{recs:?}"
    );
    // CASCADE creates eg_gate_new without ProcessUtility: still checked.
    let seq = last_seq(&s);
    let e = errors_of(&s, "postgres", "CREATE EXTENSION eg_gate_casc CASCADE;");
    assert!(e.contains("unvetted_code is blocked"), "{e}");
    let recs = unvetted(&s, seq);
    assert!(
        recs.len() == 2
            && recs
                .iter()
                .all(|(_, d)| d.starts_with("extension eg_gate_new:")),
        "{recs:?}"
    );
    assert_eq!(
        s.sql("SELECT count(*) FROM pg_extension WHERE extname LIKE 'eg_gate_%';"),
        "1"
    );
    // An update script added after the scan: ALTER EXTENSION ... UPDATE.
    fx.write(
        ext.join("eg_gate_vetted--1.0--1.1.sql"),
        b"CREATE FUNCTION eg_gate_v11() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
    );
    let seq = last_seq(&s);
    let e = errors_of(
        &s,
        "postgres",
        "ALTER EXTENSION eg_gate_vetted UPDATE TO '1.1';",
    );
    assert!(e.contains("unvetted_code is blocked"), "{e}");
    let recs = unvetted(&s, seq);
    assert!(
        recs.len() == 1
            && recs[0]
                .1
                .contains("eg_gate_vetted--1.0--1.1.sql: not in policy"),
        "{recs:?}"
    );

    // A library outside $libdir, loaded by absolute path (a superuser can
    // write files into /tmp or the data directory): the bytes of a vetted
    // library under a name no entry lists.
    let evil = scratch.join("evil.so");
    std::fs::copy(lib.join("fuzzystrmatch.so"), &evil).unwrap();
    let _ = Command::new("chmod").arg("a+r").arg(&evil).status();
    let evil_name = evil.display().to_string();
    let seq = last_seq(&s);
    for sql in [
        format!("LOAD '{evil_name}';"),
        format!("LOAD '{}';", evil_name.trim_end_matches(".so")),
        format!(
            "CREATE FUNCTION public.ev(text) RETURNS text AS '{evil_name}', 'soundex' LANGUAGE C;"
        ),
        format!("CREATE FUNCTION public.ev(text) RETURNS text AS '{evil_name}', 'soundex' LANGUAGE \"c\";"),
        // a language handler is a C function too
        format!("CREATE FUNCTION public.evh() RETURNS language_handler AS '{evil_name}' LANGUAGE C;"),
    ] {
        let e = errors_of(&s, "postgres", &sql);
        assert!(e.contains("unvetted_code is blocked"), "{sql}: {e}");
    }
    // ... and found through dynamic_library_path.
    let e = errors_of(
        &s,
        "postgres",
        &format!(
            "SET dynamic_library_path = '{}:$libdir'; LOAD 'evil';",
            scratch.display()
        ),
    );
    assert!(e.contains("unvetted_code is blocked"), "{e}");
    let recs = unvetted(&s, seq);
    assert_eq!(recs.len(), 6, "{recs:?}");
    assert!(
        recs.iter()
            .all(|(_, d)| d.contains(&format!("library {evil_name}: not in policy"))),
        "{recs:?}"
    );

    // Logical decoding loads the output plugin a slot names: checked
    // before the slot is created (a PL/pgSQL variable is bound into the
    // plan; contrib's test_decoding is no extension's library, so not in a
    // policy of the extension directory); a plugin not known before the
    // call (a sub-select) cannot be vetted.
    let seq = last_seq(&s);
    for sql in [
        format!("SELECT pg_create_logical_replication_slot('gate_s1', '{evil_name}');"),
        "DO $$ DECLARE p name := 'test_decoding'; \
         BEGIN PERFORM pg_create_logical_replication_slot('gate_s2', p); END $$;"
            .to_string(),
        "SELECT pg_create_logical_replication_slot('gate_s3', (SELECT 'test_decoding'::name));"
            .to_string(),
    ] {
        let e = errors_of(&s, "postgres", &sql);
        assert!(e.contains("unvetted_code is blocked"), "{sql}: {e}");
    }
    let recs = unvetted(&s, seq);
    assert_eq!(recs.len(), 3, "{recs:?}");
    let plugin = "output plugin of pg_create_logical_replication_slot: ";
    assert!(
        recs[0]
            .1
            .starts_with(&format!("{plugin}library {evil_name}: not in policy")),
        "{recs:?}"
    );
    assert!(
        recs[1].1.starts_with(&format!(
            "{plugin}library {}: not in policy",
            lib.join("test_decoding.so").display()
        )),
        "{recs:?}"
    );
    assert_eq!(
        recs[2].1,
        format!("{plugin}not a constant, cannot be vetted before the call")
    );
    assert_eq!(s.sql("SELECT count(*) FROM pg_replication_slots;"), "0");

    // The vetted library swapped for another contrib library's bytes:
    // caught at LOAD and at the first call of its C function in a new
    // backend (before the library is loaded).
    let swapped = lib.join("eg_gate_lib.so");
    let vetted_lib = sha256(&swapped);
    fx.write(
        swapped.clone(),
        &std::fs::read(lib.join("tablefunc.so")).expect("tablefunc.so"),
    );
    let seq = last_seq(&s);
    let e = errors_of(&s, "postgres", "LOAD 'eg_gate_lib';");
    assert!(e.contains("unvetted_code is blocked"), "{e}");
    let e = errors_of(&s, "postgres", "SELECT eg_gate_soundex('gate');");
    assert!(e.contains("unvetted_code is blocked"), "{e}");
    // SECURITY DEFINER: fmgr_info defers its lookup past needs_fmgr_hook;
    // the executor's function-execute hook checks it first.
    let e = errors_of(
        &s,
        "postgres",
        "SELECT eg_gate_soundex_sd(relname::text) FROM pg_class LIMIT 1;",
    );
    assert!(e.contains("unvetted_code is blocked"), "{e}");
    let recs = unvetted(&s, seq);
    assert_eq!(recs.len(), 3, "{recs:?}");

    let want = format!(
        "library {}: expected sha256 {vetted_lib}; actual {}",
        swapped.display(),
        sha256(&swapped)
    );
    assert!(
        recs[0].1.starts_with("LOAD: ") && recs[0].1.contains(&want),
        "{recs:?}"
    );
    assert!(
        recs[1].1.starts_with("C function eg_gate_soundex: ") && recs[1].1.contains(&want),
        "{recs:?}"
    );
    assert!(
        recs[2].1.starts_with("C function eg_gate_soundex_sd: ") && recs[2].1.contains(&want),
        "{recs:?}"
    );

    // An exempt role's unvetted load is recorded, not refused.
    s.sql("CREATE ROLE gate_admin SUPERUSER LOGIN;");
    set(&s, "extguard.exempt_roles", "gate_admin");
    let seq = last_seq(&s);
    let out = s.psql("gate_admin", "postgres", &format!("LOAD '{evil_name}';"));
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    let recs = unvetted(&s, seq);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0].0, "attempted");

    // Libraries a login's settings preload: checked before they load,
    // the connection refused in block mode.
    s.sql(&format!(
        "CREATE ROLE gate_user LOGIN; ALTER ROLE gate_user SET session_preload_libraries = '{evil_name}';"
    ));
    let seq = last_seq(&s);
    let e = errors_of(&s, "gate_user", "SELECT 1;");
    assert!(
        e.contains("FATAL") && e.contains("unvetted_code is blocked"),
        "{e}"
    );
    let recs = unvetted(&s, seq);
    assert!(
        recs.len() == 1
            && recs[0].1.starts_with(&format!(
                "session_preload_libraries: library {evil_name}: not in policy"
            )),
        "{recs:?}"
    );

    // The configuration's own preload list, changed by ALTER SYSTEM and a
    // reload after the server started: checked at each login's
    // authentication; refused in block mode unless the login is exempt
    // (gate_admin, which then resets it).
    s.sql("CREATE ROLE gate_plain LOGIN;");
    // Configured by a non-exempt role: refused when it is configured, like
    // every setting naming libraries (archive_library: the archiver loads
    // it with no hook on the way).
    for setting in ["session_preload_libraries", "archive_library"] {
        let seq = last_seq(&s);
        let e = errors_of(
            &s,
            "postgres",
            &format!("ALTER SYSTEM SET {setting} = '{evil_name}';"),
        );
        assert!(e.contains("unvetted_code is blocked"), "{setting}: {e}");
        let recs = unvetted(&s, seq);
        assert!(
            recs.len() == 1
                && recs[0].0 == "blocked"
                && recs[0].1.starts_with(&format!(
                    "ALTER SYSTEM SET {setting}: library {evil_name}: not in policy"
                )),
            "{recs:?}"
        );
    }
    // Configured anyway (an exempt admin here; or the file edited directly).
    s.sql_as(
        "gate_admin",
        "postgres",
        &format!(
            "ALTER SYSTEM SET session_preload_libraries = '{evil_name}'; SELECT pg_reload_conf();"
        ),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let e = errors_of(&s, "gate_plain", "SELECT 1;");
    assert!(
        e.contains("FATAL") && e.contains("unvetted_code is blocked"),
        "{e}"
    );
    let recs = s.sql_as(
        "gate_admin",
        "postgres",
        "SELECT r->>'outcome' || '|' || (r->>'hook') || '|' || (r->>'session_user') || '|' || (r->>'detail') \
         FROM extguard.audit_events() r WHERE r->>'vector' = 'unvetted_code' \
         AND r->>'session_user' = 'gate_plain';",
    );
    assert!(
        recs.starts_with(&format!(
            "blocked|authentication|gate_plain|session_preload_libraries: library {evil_name}: not in policy"
        )),
        "{recs}"
    );
    s.sql_as(
        "gate_admin",
        "postgres",
        "ALTER SYSTEM RESET session_preload_libraries; SELECT pg_reload_conf();",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(errors_of(&s, "gate_plain", "SELECT 1;").is_empty());

    // A policy made invalid or of another version: a WARNING naming the
    // file and the problem, and everything counts as unvetted (vetted
    // cube.so is refused).
    for (text, problem) in [
        ("{\"policy_version\": 1, ".to_string(), "not JSON"),
        (
            policy_text.replacen("\"policy_version\": 1", "\"policy_version\": 2", 1),
            "policy_version 2 is not supported",
        ),
    ] {
        std::fs::write(&policy, text).unwrap();
        let e = errors_of(&s, "postgres", "LOAD '$libdir/cube';");
        assert!(
            e.contains(&format!(
                "policy file \"{}\" is not usable",
                policy.display()
            )) && e.contains(problem),
            "{e}"
        );
        assert!(e.contains("unvetted_code is blocked"), "{e}");
    }
    std::fs::write(&policy, &policy_text).unwrap();
    assert!(errors_of(&s, "postgres", "LOAD '$libdir/cube';").is_empty());

    // shared_preload_libraries: those after extguard in the list are not
    // loaded yet when extguard starts; with unvetted_code blocked, an
    // unvetted one stops the server from starting (the FATAL in the log is
    // the record). Those before extguard are already loaded: recorded at
    // start (observed), the server starts.
    let stop = s
        .command("pg_ctl")
        .arg("-D")
        .arg(s.data())
        .args(["-m", "fast", "-w", "stop"])
        .output()
        .expect("pg_ctl stop");
    assert!(stop.status.success(), "{stop:?}");
    let start_with = |preload: &str| {
        s.command("pg_ctl")
            .arg("-D")
            .arg(s.data())
            .arg("-l")
            .arg(s.log())
            .arg("-o")
            .arg(format!(
                "-c shared_preload_libraries={preload} -c wal_level=logical \
                 -c listen_addresses='' -k {} -p {} -c fsync=off",
                scratch.display(),
                port()
            ))
            .args(["-w", "-t", "60", "start"])
            .output()
            .expect("pg_ctl start")
    };
    let start = start_with(&format!("extguard,{evil_name}"));
    assert!(
        !start.status.success(),
        "started with an unvetted library after extguard: {start:?}"
    );
    let log = std::fs::read_to_string(s.log()).unwrap_or_default();
    let want = format!(
        "shared_preload_libraries: library {evil_name}: not in policy; actual {}",
        sha256(&evil)
    );
    assert!(
        log.contains("FATAL:  extguard: unvetted_code is blocked on this server")
            && log.contains(&want),
        "{}",
        log.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    let start = start_with(&format!("{evil_name},extguard"));
    assert!(start.status.success(), "{start:?}");
    let recs = s.sql(
        "SELECT r->>'outcome' || '|' || (r->>'hook') || '|' || (r->>'detail') \
         FROM extguard.audit_events() r WHERE r->>'vector' = 'unvetted_code';",
    );
    assert_eq!(recs, format!("observed|startup|{want}"));

    // PostgreSQL 18: control files found through extension_control_path.
    if major >= 18 {
        let ecp = scratch.join("ecp");
        std::fs::create_dir_all(ecp.join("extension")).unwrap();
        let _ = Command::new("chmod")
            .args(["-R", "a+rx"])
            .arg(&ecp)
            .status();
        fx.write(
            ecp.join("extension/eg_gate_ecp.control"),
            b"default_version = '1.0'\nrelocatable = true\n",
        );
        fx.write(
            ecp.join("extension/eg_gate_ecp--1.0.sql"),
            b"CREATE FUNCTION eg_gate_ecp() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
        );
        set(
            &s,
            "extension_control_path",
            &format!("{}:$system", ecp.display()),
        );
        let seq = last_seq(&s);
        let e = errors_of(&s, "postgres", "CREATE EXTENSION eg_gate_ecp;");
        assert!(e.contains("unvetted_code is blocked"), "{e}");
        let recs = unvetted(&s, seq);
        assert_eq!(recs.len(), 2, "{recs:?}");
        assert!(
            recs[0].1.contains(&format!(
                "control file {}: not in policy",
                ecp.join("extension/eg_gate_ecp.control").display()
            )),
            "{recs:?}"
        );
        // vetted contrib still found through $system
        s.sql("CREATE EXTENSION seg;");
    }
    drop(fx);
}
