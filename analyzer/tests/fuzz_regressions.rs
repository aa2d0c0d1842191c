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

/// The checks of the targets of the newer readers pass on their seeds and
/// on well-formed packages built here (a `.trunk` with a wrong digest, a
/// two-layer image with whiteouts), so the targets are known to run.
#[test]
fn new_reader_targets_pass_on_seeds_and_built_packages() {
    use std::io::Write;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/pgtle");
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        fuzz_support::check_pgtle(&std::fs::read(entry.unwrap().path()).unwrap());
        seeds += 1;
    }
    assert!(seeds >= 2);

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in [
        ("trunk.json", "{\"package\":{\"name\":\"x\"}}"),
        (
            "digests",
            &format!("{}  pgsql/share/extension/x.control\n", "0".repeat(64)),
        ),
        ("pgsql/share/extension/x.control", "default_version = '1'\n"),
    ] {
        zip.start_file(name, opts).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    fuzz_support::check_trunk(&zip.finish().unwrap().into_inner());

    let tar = |files: &[(&str, &[u8])]| {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    };
    let l1 = tar(&[
        ("usr/share/postgresql/15/extension/a.control", b"x"),
        ("usr/share/postgresql/15/extension/b.control", b"y"),
    ]);
    let l2 = tar(&[("usr/share/postgresql/15/extension/.wh.b.control", b"")]);
    let manifest =
        br#"[{"Config":"c.json","RepoTags":["t"],"Layers":["1/layer.tar","2/layer.tar"]}]"#;
    let image = tar(&[
        ("manifest.json", manifest),
        ("c.json", b"{}"),
        ("1/layer.tar", &l1),
        ("2/layer.tar", &l2),
    ]);
    fuzz_support::check_archive_of(
        extguard_analyzer::driver::archive::ArchiveKind::Tar,
        "tar",
        &image,
    );

    // hostile variants of both: cut at many lengths, one byte changed at
    // many places, each through the same checks
    let trunk = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("trunk.json", opts).unwrap();
        zip.write_all(b"{}").unwrap();
        zip.start_file("pgsql/share/extension/x.control", opts)
            .unwrap();
        zip.write_all(b"default_version = '1'").unwrap();
        zip.finish().unwrap().into_inner()
    };
    let mut variants = 0;
    for (bytes, check) in [
        (&trunk, fuzz_support::check_trunk as fn(&[u8])),
        (&image, |d: &[u8]| {
            fuzz_support::check_archive_of(
                extguard_analyzer::driver::archive::ArchiveKind::Tar,
                "tar",
                d,
            )
        }),
    ] {
        let n = bytes.len();
        for i in (0..n).step_by((n / 40).max(1)) {
            check(&bytes[..i]);
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            check(&flipped);
            variants += 2;
        }
    }
    assert!(variants >= 120, "{variants}");
}

/// The seeds of targets `rpm` (rpmbuild packages with bzip2 and lzma
/// payloads) and `image` (a multi-platform OCI layout) pass their checks
/// and unpack with the fuzz limits: the fuzzers start from inputs that
/// reach those decoders and the platform index.
#[test]
fn rpm_and_image_seeds_pass_their_checks_and_unpack() {
    use extguard_analyzer::driver::archive::{self, ArchiveKind};
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut seen = Vec::new();
    for (target, kind, ext) in [
        ("rpm", ArchiveKind::Rpm, "rpm"),
        ("image", ArchiveKind::Tar, "tar"),
    ] {
        for entry in std::fs::read_dir(seeds.join(target)).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            fuzz_support::check_archive_of(kind, ext, &data);
            let scratch = tempfile::tempdir().unwrap();
            let u = archive::unpack_in(&path, kind, &fuzz_support::ARCHIVE_LIMITS, scratch.path())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut files = Vec::new();
            extguard_analyzer::driver::trunk::files_under(u.root(), Path::new(""), &mut files);
            assert!(
                files.iter().any(|f| f.ends_with("seed.control")),
                "{}: {files:?}",
                path.display()
            );
            seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    seen.sort();
    assert_eq!(seen, ["bzip2.rpm", "lzma.rpm", "multi-platform.tar"]);
}
