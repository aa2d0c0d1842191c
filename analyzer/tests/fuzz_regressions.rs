//! Every input under `corpus/fuzz-regressions/TARGET/` goes through the
//! checks of fuzz target TARGET (no panic, spans and positions inside the
//! file): what once crashed a fuzzer stays fixed.

mod fuzz_support;

use std::path::Path;

use extguard_analyzer::{check_text, Config};

#[test]
fn fuzz_regressions_pass_their_target_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/fuzz-regressions");
    let mut replayed = 0;
    for target in fuzz_support::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let run = std::panic::catch_unwind(|| fuzz_support::check(target, &data));
            assert!(run.is_ok(), "{} fails target {target}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= 2, "only {replayed} regression inputs found");
}

/// The escaped bodies of `sql/escaped-bodies.sql` are analysed: each
/// unqualified call is reported at its name.
#[test]
fn escaped_bodies_keep_their_findings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/fuzz-regressions/sql/escaped-bodies.sql");
    let text = std::fs::read_to_string(path).unwrap();
    let found: Vec<_> = check_text("e.sql", &text, &Config::default())
        .into_iter()
        .filter(|f| f.code == "PS016")
        .map(|f| (f.object.unwrap(), &text[f.span.start..f.span.end]))
        .collect();
    let at = |name: &'static str, written: &'static str| (name.to_string(), written);
    assert_eq!(found, [at("f", "\\x66"), at("g", "g"), at("f", "!0066")]);
}
