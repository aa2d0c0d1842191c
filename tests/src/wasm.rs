//! Helpers for the `LANGUAGE wasm` end-to-end tests (`tests/wasm_*.rs`):
//! the environment check, a server with a non-superuser tenant, SQL for a
//! wasm function and the SQLSTATE of psql's verbose errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;

use crate::pg::{Server, Session};
use crate::{pg_config, pg_major};

/// First port of this version's wasm test servers: 5531 on 15, 10 more per
/// major version, so runs against different versions never share one.
/// `wasm_containment` uses +0 to +5, `wasm_types` +6, `wasm_sdk` +7,
/// `wasm_spi` +8, `wasm_rows` +9.
pub fn base_port() -> u16 {
    let major = pg_major().expect("pg_config reports a version");
    5531 + 10 * (major as u16).saturating_sub(15)
}

/// The server's bindir when `EXTGUARD_E2E=1` (and extguard is installed);
/// `None` (the test is skipped) otherwise.
pub fn environment() -> Option<PathBuf> {
    if std::env::var("EXTGUARD_E2E").map_or(true, |v| v != "1") {
        eprintln!("skipping wasm e2e tests: EXTGUARD_E2E is not 1 (run `make test-pg`)");
        return None;
    }
    let bindir = pg_config("--bindir").expect("EXTGUARD_E2E=1 but no pg_config");
    let pkglib = pg_config("--pkglibdir").expect("pg_config --pkglibdir");
    assert!(
        PathBuf::from(&pkglib).join("extguard.so").exists(),
        "EXTGUARD_E2E=1 but extguard.so is not installed"
    );
    Some(PathBuf::from(bindir))
}

/// A server with the extension, a `tenant` login role (no superuser) with
/// its own schema, and `other` / `third` roles.
pub fn server(port: u16, options: &[&str], env: &[(&str, &str)]) -> Server {
    let bindir = environment().expect("checked by the caller");
    let s = Server::start(&bindir, port, options, env);
    s.sql(
        "CREATE EXTENSION extguard;
         CREATE ROLE tenant LOGIN; CREATE ROLE other LOGIN; CREATE ROLE third LOGIN;
         GRANT tenant TO other;
         CREATE SCHEMA t AUTHORIZATION tenant;
         GRANT USAGE ON SCHEMA t TO PUBLIC;
         ALTER ROLE tenant SET search_path = t;
         ALTER ROLE other SET search_path = t;
         ALTER ROLE third SET search_path = t;",
    );
    s
}

/// `CREATE OR REPLACE FUNCTION <signature> LANGUAGE wasm AS '<body>';`
pub fn create_sql(signature: &str, body: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {signature} LANGUAGE wasm AS '{}';",
        body.replace('\'', "''")
    )
}

/// The SQLSTATE in psql's verbose error output (`ERROR:  54000: ...`).
pub fn sqlstate(errors: &str) -> Option<String> {
    errors
        .lines()
        .find_map(|l| l.split("ERROR:").nth(1))
        .map(|rest| rest.trim().chars().take(5).collect())
}

/// Runs `sql` in `s`; it must succeed. Returns its output, trimmed.
pub fn ok(s: &mut Session, sql: &str) -> String {
    let out = s.query(sql);
    let errors = s.new_errors();
    assert!(
        errors.is_empty(),
        "{}: {errors}",
        sql.chars().take(300).collect::<String>()
    );
    out.trim().to_string()
}

/// Runs `sql`, which must fail with `state` and a message containing `needle`.
pub fn expect_error(s: &mut Session, sql: &str, state: &str, needle: &str) {
    let out = s.query(sql);
    let errors = s.new_errors();
    assert_eq!(
        sqlstate(&errors).as_deref(),
        Some(state),
        "{sql}: out {out:?}, errors {errors}"
    );
    assert!(errors.contains(needle), "{sql}: {errors}");
}

/// Compiles the C SDK's `sdk/c/examples/<name>.c` with clang for wasm32
/// (wasm-ld from lld) into `out_dir` and returns the module as base64.
pub fn build_c_example(out_dir: &Path, name: &str) -> String {
    let sdk = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdk/c");
    let src = sdk.join("examples").join(format!("{name}.c"));
    let out = out_dir.join(format!("{name}.wasm"));
    let run = Command::new("clang")
        .args(["--target=wasm32", "-O2", "-nostdlib", "-Wall", "-Werror"])
        .args(["-Wl,--no-entry", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .expect("clang runs (make setup-test installs clang and lld)");
    assert!(
        run.status.success(),
        "clang {}: {}",
        src.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(&out).expect("module written");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Compiles the AssemblyScript SDK's examples (`sdk/assemblyscript/examples/*.ts`)
/// with its pinned compiler (`npm ci` there: `make setup-test`) into
/// `out_dir`, in one node process, and returns a function giving the module
/// of `name` as base64. A missing compiler is a failure, not a skip.
pub fn build_as_examples(out_dir: &Path) -> impl Fn(&str) -> String {
    let sdk = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdk/assemblyscript");
    assert!(
        sdk.join("node_modules/assemblyscript/package.json")
            .exists(),
        "the AssemblyScript compiler is not installed in {}: `make setup-test` \
         (or `npm ci` there) installs the version package-lock.json pins",
        sdk.display()
    );
    let run = Command::new("node")
        .arg(sdk.join("build.mjs"))
        .arg(out_dir)
        .output()
        .expect("node runs (make setup-test installs nodejs)");
    assert!(
        run.status.success(),
        "node sdk/assemblyscript/build.mjs: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let out_dir = out_dir.to_path_buf();
    move |name: &str| {
        let path = out_dir.join(format!("{name}.wasm"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}
