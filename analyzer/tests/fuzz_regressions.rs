//! Every input under `corpus/fuzz-regressions/TARGET/` goes through the
//! checks of fuzz target TARGET (no panic, spans and positions inside the
//! file, archives unpacked inside their root and within limits): what once
//! crashed a fuzzer stays fixed. (Target `sandbox` is replayed by the
//! sandbox crate's own `fuzz_regressions` test.)

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

/// The seeds of target `archive` (fuzz/seeds/make_archive_seeds.py) pass its
/// checks, and reach what they are meant to: the well-formed ones unpack
/// (with the fuzz target's small limits), the hostile ones are refused for
/// the reason they were built for.
#[test]
fn archive_seeds_unpack_or_are_refused_as_intended() {
    use extguard_analyzer::driver::archive;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/archive");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        fuzz_support::check_archive(&data);
        let (kind, _) = fuzz_support::archive_kind(data[0]);
        let scratch = tempfile::tempdir().unwrap();
        let input = scratch.path().join("input");
        std::fs::write(&input, &data[1..]).unwrap();
        let result =
            archive::unpack_in(&input, kind, &fuzz_support::ARCHIVE_LIMITS, scratch.path());
        let refused_for = match name.as_str() {
            "traversal.zip" => Some("'..'"),
            "link-out.tar.gz" => Some("points outside"),
            "bomb.tar.gz" => Some("compression ratio"),
            _ => None,
        };
        match (result, refused_for) {
            (Ok(u), None) => {
                let sql = walk_count(u.root(), "sql");
                assert!(sql >= 1, "{name}: no SQL file unpacked");
            }
            (Err(e), Some(why)) => assert!(e.contains(why), "{name}: {e}"),
            (Ok(_), Some(why)) => panic!("{name} unpacked; expected a refusal ({why})"),
            (Err(e), None) => panic!("{name} refused: {e}"),
        }
        seen += 1;
    }
    assert!(seen >= 8, "only {seen} archive seeds");
}

/// Files under `dir` with extension `ext`.
fn walk_count(dir: &Path, ext: &str) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                walk_count(&p, ext)
            } else {
                usize::from(p.extension().is_some_and(|e| e == ext))
            }
        })
        .sum()
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
