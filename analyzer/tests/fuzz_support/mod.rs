//! What every fuzz target checks, shared by the fuzz crate (`fuzz/`, which
//! includes this file) and the regression test over `corpus/fuzz-regressions/`.
//!
//! Beyond "does not panic", each check asserts the invariants a report
//! relies on: spans inside the file, positions that agree with the spans,
//! error offsets inside the input.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use extguard_analyzer::analysis::analyze_file;
use extguard_analyzer::driver::archive::{self, ArchiveKind, Limits};
use extguard_analyzer::extension::control;
use extguard_analyzer::{wasm, Config, Finding, SourceFile, State};

/// The fuzz targets checked here, by name (also the sub-directories of the
/// regression corpus). The `sandbox` target's check lives with the sandbox
/// crate (`sandbox/tests/fuzz_support/`), which replays its regressions.
pub const TARGETS: [&str; 9] = [
    "sql", "plpgsql", "control", "wasm", "archive", "rpm", "image", "trunk", "pgtle",
];

/// Run target `name` on `data`; panics on a crash or a broken invariant.
pub fn check(name: &str, data: &[u8]) {
    match name {
        "sql" => check_sql(data),
        "plpgsql" => check_plpgsql(data),
        "control" => check_control(data),
        "wasm" => check_wasm(data),
        "archive" => check_archive(data),
        "rpm" => check_archive_of(ArchiveKind::Rpm, "rpm", data),
        "image" => check_archive_of(ArchiveKind::Tar, "tar", data),
        "trunk" => check_trunk(data),
        "pgtle" => check_pgtle(data),
        other => panic!("unknown fuzz target {other} (sandbox: see sandbox/tests/fuzz_support)"),
    }
}

/// Bytes as an SQL file into the analyzer.
pub fn check_sql(data: &[u8]) {
    let file = SourceFile::new("fuzz.sql", data);
    let findings = analyze_file(&file, &Config::default(), &mut State::default());
    check_findings(&file, &findings);
}

/// Bytes as a PL/pgSQL body: in a DO block and in a CREATE FUNCTION.
pub fn check_plpgsql(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    for sql in [
        format!("DO $fz$ {body} $fz$;\n"),
        format!("CREATE FUNCTION s.fz(a int) RETURNS int LANGUAGE plpgsql AS $fz${body}$fz$;\n"),
    ] {
        let file = SourceFile::new("fuzz.sql", sql.as_bytes());
        let findings = analyze_file(&file, &Config::default(), &mut State::default());
        check_findings(&file, &findings);
    }
}

/// Bytes as a `.control` file.
pub fn check_control(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = control::parse(&text) {
        assert!(
            e.offset <= text.len(),
            "error offset {} past the end",
            e.offset
        );
        assert!(
            text.is_char_boundary(e.offset),
            "error offset inside a character"
        );
    }
}

/// Bytes as a binary module, and as a text module, into the Wasm reader.
pub fn check_wasm(data: &[u8]) {
    if let Ok(s) = wasm::summarize(data) {
        for imp in &s.imports {
            assert!(
                imp.offset < data.len(),
                "import offset {} past the end",
                imp.offset
            );
        }
    }
    for path in ["fuzz.wasm", "fuzz.wat"] {
        let file = SourceFile::new(path, data);
        let findings = wasm::analyze(&file, data);
        check_findings(&file, &findings);
    }
}

/// Limits small enough for the fuzzer to reach every one of them.
pub const ARCHIVE_LIMITS: Limits = Limits {
    max_total_bytes: 64 << 10,
    max_entries: 24,
    max_ratio: 20,
    ratio_floor: 8 << 10,
    platform: None,
};

/// The archive kind an `archive` input's first byte selects, and its extension.
pub fn archive_kind(selector: u8) -> (ArchiveKind, &'static str) {
    match selector % 3 {
        0 => (ArchiveKind::Zip, "zip"),
        1 => (ArchiveKind::TarGz, "tar.gz"),
        _ => (ArchiveKind::Deb, "deb"),
    }
}

/// Bytes as an archive into the scan's unpacker: the first byte selects the
/// kind (zip, tar.gz, .deb), the rest is the archive, written to a file with
/// the kind's extension and unpacked under a private directory with
/// [`ARCHIVE_LIMITS`]. On success, everything unpacked is a regular file, a
/// directory or a link to a regular file, really inside the root, within
/// the limits (and
/// under `usr/share/postgresql/`, or a library under `usr/lib/postgresql/`,
/// for a .deb); an error says something;
/// either way, nothing is left behind once the result is dropped.
pub fn check_archive(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (kind, ext) = archive_kind(selector);
    check_archive_of(kind, ext, body);
}

/// Bytes as a `.trunk` into the unpacker, then its digests checked: the
/// findings lie in the file they name.
pub fn check_trunk(data: &[u8]) {
    check_archive_of(ArchiveKind::Trunk, "trunk", data);
    let scratch = scratch_dir("trunk");
    let input = scratch.join("input.trunk");
    std::fs::write(&input, data).expect("scratch input");
    if let Ok(u) = archive::unpack_in(&input, ArchiveKind::Trunk, &ARCHIVE_LIMITS, &scratch) {
        if let Some(dir) = extguard_analyzer::driver::trunk::package_dir(u.root()) {
            let (file, findings) = extguard_analyzer::driver::trunk::verify(&dir);
            check_findings(&file, &findings);
        }
    }
    std::fs::remove_dir_all(&scratch).expect("scratch directory removed");
}

/// A new empty directory of this process under the system's temporary one.
fn scratch_dir(what: &str) -> PathBuf {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "extguard-fuzz-{what}-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Bytes as a SQL file of pg_tle calls and as a JSON package: every byte
/// of every script maps into the file, and the findings of the packages
/// analysed lie in the file, their positions agreeing with their spans.
pub fn check_pgtle(data: &[u8]) {
    use extguard_analyzer::driver::pgtle;
    use extguard_analyzer::outcome::Display;
    let file = SourceFile::new("fuzz.sql", data);
    let mut packages = pgtle::find_packages(&file.text);
    match pgtle::find_json_packages(&file.text) {
        Ok(p) => packages.extend(p),
        Err(e) => assert!(!e.is_empty(), "an empty error message"),
    }
    for p in &packages {
        assert!(p.at.end <= file.text.len(), "call span past the end");
        for s in &p.scripts {
            assert_eq!(
                s.sql.map.len(),
                s.sql.value.len() + 1,
                "one offset per byte, and the end"
            );
            assert!(
                s.sql.map.iter().all(|&o| o <= file.text.len()),
                "offset past the end"
            );
        }
    }
    packages.truncate(2);
    let scratch = scratch_dir("pgtle");
    let units = pgtle::analyse(
        &file,
        &packages,
        "fuzz",
        &None,
        &Display::PLAIN,
        &Config::default(),
        &scratch,
    )
    .expect("written to a scratch directory");
    for u in &units {
        for f in u.findings() {
            let f = &f.finding;
            assert!(
                f.span.end <= file.text.len(),
                "{}: span past the end",
                f.code
            );
            assert_eq!(
                (f.line, f.column),
                file.line_col(f.span.start),
                "{}",
                f.code
            );
            assert_eq!(
                (f.end_line, f.end_column),
                file.line_col(f.span.end),
                "{}",
                f.code
            );
        }
    }
    let left = std::fs::read_dir(&scratch).expect("scratch").count();
    assert_eq!(left, 0, "temporary directories left behind");
    std::fs::remove_dir_all(&scratch).expect("scratch directory removed");
}

/// Bytes as an archive of `kind` (written with extension `ext`): see [`check_archive`].
pub fn check_archive_of(kind: ArchiveKind, ext: &str, body: &[u8]) {
    let work = scratch_dir("archive");
    let parent = work.join("out");
    std::fs::create_dir_all(&parent).expect("scratch directory");
    let input = work.join(format!("input.{ext}"));
    std::fs::write(&input, body).expect("scratch input");
    match archive::unpack_in(&input, kind, &ARCHIVE_LIMITS, &parent) {
        Ok(unpacked) => {
            let root = unpacked.root().to_path_buf();
            assert!(
                root.parent() == Some(parent.as_path()),
                "unpacked into {} instead of a new directory under {}",
                root.display(),
                parent.display()
            );
            let mut tally = Tally::default();
            let canonical_root = root.canonicalize().expect("root exists");
            walk_unpacked(&canonical_root, &canonical_root, kind, &mut tally);
            let limits = ARCHIVE_LIMITS;
            assert!(
                tally.files <= limits.max_entries,
                "{} files from at most {} entries",
                tally.files,
                limits.max_entries
            );
            assert!(
                tally.bytes <= limits.max_total_bytes,
                "{} bytes unpacked, the limit is {}",
                tally.bytes,
                limits.max_total_bytes
            );
            let archive_len = (body.len() as u64).max(1);
            assert!(
                tally.bytes <= limits.ratio_floor || tally.bytes / archive_len <= limits.max_ratio,
                "{} bytes from a {archive_len}-byte archive, ratio limit {}",
                tally.bytes,
                limits.max_ratio
            );
            drop(unpacked);
            assert!(!root.exists(), "{} left behind", root.display());
        }
        Err(e) => assert!(!e.trim().is_empty(), "an empty error message"),
    }
    let left: Vec<PathBuf> = std::fs::read_dir(&parent)
        .expect("scratch directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    std::fs::remove_dir_all(&work).expect("scratch directory removed");
}

/// What an unpacked tree holds.
#[derive(Default)]
struct Tally {
    files: u64,
    bytes: u64,
}

fn walk_unpacked(root: &Path, dir: &Path, kind: ArchiveKind, tally: &mut Tally) {
    for entry in std::fs::read_dir(dir).expect("readable unpacked directory") {
        let path = entry.expect("directory entry").path();
        let meta = std::fs::symlink_metadata(&path).expect("metadata");
        let rel = path
            .strip_prefix(root)
            .unwrap_or_else(|_| panic!("{} outside {}", path.display(), root.display()));
        let real = path.canonicalize().expect("canonical path");
        if meta.file_type().is_symlink() {
            // a link of the archive: to a regular file of the same tree,
            // costing no bytes
            assert!(
                real.starts_with(root)
                    && std::fs::symlink_metadata(&real).is_ok_and(|m| m.is_file()),
                "link {} leads to {}, not a regular file in the tree",
                rel.display(),
                real.display()
            );
            tally.files += 1;
            assert_kept(kind, rel);
            continue;
        }
        assert!(
            real.starts_with(root) && real != root,
            "{} resolves to {}, outside the root",
            rel.display(),
            real.display()
        );
        if meta.is_dir() {
            walk_unpacked(root, &path, kind, tally);
        } else if meta.is_file() {
            tally.files += 1;
            tally.bytes += meta.len();
            assert_kept(kind, rel);
        } else {
            panic!(
                "{} is neither a file nor a directory ({:?})",
                rel.display(),
                meta.file_type()
            );
        }
    }
}

/// Readers that keep only part of a package keep nothing else.
fn assert_kept(kind: ArchiveKind, rel: &Path) {
    match kind {
        ArchiveKind::Deb => assert!(
            rel.starts_with("usr/share/postgresql")
                || (rel.starts_with("usr/lib/postgresql")
                    && extguard_analyzer::driver::is_shared_library(rel)),
            "{} unpacked from a .deb, outside usr/share/postgresql and the libraries of usr/lib/postgresql",
            rel.display()
        ),
        ArchiveKind::Rpm => assert!(
            archive::is_postgres_path(rel),
            "{} unpacked from an RPM, outside PostgreSQL's directories",
            rel.display()
        ),
        _ => {}
    }
}

/// Every finding's span lies in the file and its line/column agree with it.
pub fn check_findings(file: &SourceFile, findings: &[Finding]) {
    for f in findings {
        let s = f.span;
        assert!(
            s.start <= s.end && s.end <= file.text.len(),
            "{}: span {s:?} outside a file of {} bytes",
            f.code,
            file.text.len()
        );
        assert!(
            f.line >= 1 && f.column >= 1,
            "{}: position {}:{}",
            f.code,
            f.line,
            f.column
        );
        assert!(
            (f.line, f.column) <= (f.end_line, f.end_column),
            "{}: ends {}:{} before it starts {}:{}",
            f.code,
            f.end_line,
            f.end_column,
            f.line,
            f.column
        );
        assert_eq!(
            (f.line, f.column, f.end_line, f.end_column),
            {
                let (l, c) = file.line_col(s.start);
                let (el, ec) = file.line_col(s.end);
                (l, c, el, ec)
            },
            "{}: position does not match its span",
            f.code
        );
        assert!(
            f.line <= file.line_count(),
            "{}: line {} of {}",
            f.code,
            f.line,
            file.line_count()
        );
    }
}
