//! End-to-end tests of `extguard scan`: every input kind (directory, PGXN
//! zip, Trunk tar.gz, .deb with xz/gz/zstd data, archives inside
//! directories), hostile archives, determinism across thread counts, SARIF
//! against the SARIF 2.1.0 schema, the HTML page in headless Chromium, and
//! Ctrl-C. Archives are built here with the crates the scanner reads them
//! with; every run gets its own TMPDIR, checked empty afterwards (temporary
//! directories are removed on every exit path).

use std::io::Write;
use std::process::{Command, Stdio};

mod cli_support;
use cli_support::{
    files_as_entries, gzip, make_deb, make_zip, stderr, stdout, tar_bytes, units, write_tree, xz,
    zstd, Entry, Scratch,
};

/// An install script with findings (SECURITY DEFINER without search_path,
/// unqualified call) and a clean update script.
const INSTALL: &str = "\
-- demo extension
CREATE FUNCTION @extschema@.demo_f(x int) RETURNS int
  LANGUAGE sql SECURITY DEFINER
  AS 'SELECT abs(x)';
";
const UPDATE: &str = "SELECT pg_catalog.now();\n";
const CONTROL: &str = "default_version = '1.0'\nrelocatable = true\n";

fn control(version: &str) -> String {
    format!("default_version = '{version}'\nrelocatable = true\n")
}

/// The files of extension `name`: control, install script, update script.
fn extension_files(name: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            format!("{prefix}{name}.control"),
            CONTROL.as_bytes().to_vec(),
        ),
        (
            format!("{prefix}{name}--1.0.sql"),
            INSTALL.replace("demo_f", &format!("{name}_f")).into_bytes(),
        ),
        (
            format!("{prefix}{name}--1.0--1.1.sql"),
            UPDATE.as_bytes().to_vec(),
        ),
    ]
}

fn codes(unit: &serde_json::Value) -> Vec<String> {
    unit["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn directory_tree_with_extensions_and_unpackaged_sql() {
    let s = Scratch::new();
    let mut files = extension_files("alpha", "reg/alpha/");
    files.extend(extension_files("beta", "reg/beta/"));
    files.push(("reg/misc/loose.sql".into(), b"SELECT f(1);\n".to_vec()));
    write_tree(s.dir.path(), &files);
    let o = s.scan(&["--format", "jsonl", "reg"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // no progress bar when stderr is not a terminal, and nothing else to say
    assert_eq!(stderr(&o), "");
    let u = units(&o);
    let names: Vec<&str> = u.iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha", "beta", "(unpackaged)"]);
    assert_eq!(u[0]["kind"], "extension");
    assert_eq!(u[0]["version"], "1.0");
    assert_eq!(u[0]["files"].as_array().unwrap().len(), 3);
    assert_eq!(u[0]["install_chain"][0], "reg/alpha/alpha--1.0.sql");
    assert!(
        codes(&u[0]).contains(&"PS003".to_string()),
        "{:?}",
        codes(&u[0])
    );
    assert_eq!(u[2]["kind"], "unpackaged");
    assert_eq!(u[2]["files"][0]["path"], "reg/misc/loose.sql");
    assert!(codes(&u[2]).contains(&"PS016".to_string()));
    // snippet: the lines around the finding
    let f = &u[0]["files"][1]["findings"][0];
    assert!(f["snippet"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l.as_str().unwrap().contains("SECURITY DEFINER")));

    let table = stdout(&s.scan(&["reg"]));
    assert!(table.starts_with("extension"), "{table}");
    assert!(table.contains("alpha"));
    assert!(
        table.contains("2 extension(s), 1 unpackaged group(s), 7 file(s)"),
        "{table}"
    );
    assert!(table.contains("totals per rule: "), "{table}");
}

#[test]
fn pgxn_zip_uses_meta_json() {
    let s = Scratch::new();
    let mut files = vec![(
        "pair-0.1.2/META.json".to_string(),
        br#"{"name":"pair","version":"0.1.2","abstract":"x","provides":{"pair":{"file":"sql/pair.sql","version":"0.1.2"}}}"#.to_vec(),
    )];
    files.extend(extension_files("pair", "pair-0.1.2/sql/"));
    make_zip(&s.path("pair-0.1.2.zip"), &files);
    let o = s.scan(&["--format", "jsonl", "pair-0.1.2.zip"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    assert_eq!(u.len(), 1);
    assert_eq!(u[0]["name"], "pair");
    assert_eq!(u[0]["package"]["registry"], "pgxn");
    assert_eq!(u[0]["package"]["version"], "0.1.2");
    assert_eq!(u[0]["package"]["provides"][0], "pair");
    assert_eq!(
        u[0]["install_chain"][0],
        "pair-0.1.2.zip!/pair-0.1.2/sql/pair--1.0.sql"
    );
    assert!(codes(&u[0]).contains(&"PS003".to_string()));
    // `check` of the archive: the same driver unpacks it, same result
    let check = Command::new(env!("CARGO_BIN_EXE_extguard"))
        .args(["check", "--format", "jsonl", "pair-0.1.2.zip"])
        .current_dir(s.dir.path())
        .env("TMPDIR", s.tmp())
        .output()
        .unwrap();
    s.assert_no_temp_left();
    assert_eq!(stdout(&check), stdout(&o));
}

#[test]
fn trunk_tar_gz_uses_manifest_json() {
    let s = Scratch::new();
    let mut files = vec![(
        "manifest.json".to_string(),
        br#"{"name":"demo","extension_name":"demo","version":"1.0","manifest_version":2,"files":{"extension/demo.control":"control-file","extension/demo--1.0.sql":"sql-file","demo.so":"shared-object"},"loadable_libraries":[{"library_name":"demo","requires_restart":true}]}"#.to_vec(),
    )];
    files.extend(extension_files("demo", "extension/"));
    files.push(("demo.so".into(), b"\x7fELF".to_vec()));
    std::fs::write(
        s.path("demo-1.0-pg15.tar.gz"),
        gzip(&tar_bytes(&files_as_entries(&files))),
    )
    .unwrap();
    let o = s.scan(&["--format", "jsonl", "demo-1.0-pg15.tar.gz"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    assert_eq!(u.len(), 1);
    assert_eq!(u[0]["name"], "demo");
    assert_eq!(u[0]["package"]["registry"], "trunk");
    assert_eq!(u[0]["package"]["shared_objects"][0], "demo.so");
    assert_eq!(u[0]["package"]["preload_libraries"][0], "demo");
    assert!(codes(&u[0]).contains(&"PS003".to_string()));
}

#[test]
fn debian_packages_with_xz_gzip_and_zstd_data() {
    let s = Scratch::new();
    let mut files = extension_files("debext", "./usr/share/postgresql/15/extension/");
    // outside PostgreSQL's share directory: not extracted
    files.push((
        "./usr/share/doc/debext/x.sql".into(),
        b"SELECT f(1);\n".to_vec(),
    ));
    let data = tar_bytes(&files_as_entries(&files));
    make_deb(&s.path("a_xz.deb"), "data.tar.xz", &xz(&data));
    make_deb(&s.path("b_gz.deb"), "data.tar.gz", &gzip(&data));
    make_deb(&s.path("c_zst.deb"), "data.tar.zst", &zstd(&data));
    let o = s.scan(&["--format", "jsonl", "a_xz.deb", "b_gz.deb", "c_zst.deb"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    assert_eq!(u.len(), 3, "{}", stdout(&o));
    for (unit, deb) in u.iter().zip(["a_xz.deb", "b_gz.deb", "c_zst.deb"]) {
        assert_eq!(unit["name"], "debext");
        assert_eq!(unit["source"], deb);
        assert_eq!(
            unit["files"][0]["path"],
            format!("{deb}!/usr/share/postgresql/15/extension/debext.control")
        );
        assert!(codes(unit).contains(&"PS003".to_string()));
    }
    // a .deb without a data member
    let mut ar = ar::Builder::new(std::fs::File::create(s.path("empty.deb")).unwrap());
    ar.append(
        &ar::Header::new(b"debian-binary".to_vec(), 4),
        &b"2.0\n"[..],
    )
    .unwrap();
    drop(ar);
    let o = s.scan(&["empty.deb"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("empty.deb: no data.tar member"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn archives_inside_directories_are_scanned() {
    let s = Scratch::new();
    write_tree(s.dir.path(), &extension_files("plain", "mirror/plain/"));
    std::fs::create_dir_all(s.path("mirror/dist")).unwrap();
    make_zip(
        &s.path("mirror/dist/zipped-1.0.zip"),
        &extension_files("zipped", "zipped-1.0/"),
    );
    std::fs::write(
        s.path("mirror/dist/tarred.tgz"),
        gzip(&tar_bytes(&files_as_entries(&extension_files(
            "tarred",
            "extension/",
        )))),
    )
    .unwrap();
    let o = s.scan(&["--format", "jsonl", "mirror"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    let got: Vec<(&str, &str)> = u
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("plain", "mirror"),
            ("tarred", "mirror/dist/tarred.tgz"),
            ("zipped", "mirror/dist/zipped-1.0.zip"),
        ]
    );
}

/// Scan one hostile archive next to a good one: the hostile one is
/// reported by name with `expected` in the message, the good one is
/// still scanned, and nothing was written outside the temporary directory.
fn assert_rejected(s: &Scratch, archive: &str, expected: &str, extra: &[&str]) {
    if !s.path("good.zip").exists() {
        make_zip(&s.path("good.zip"), &extension_files("good", ""));
    }
    let mut args = vec!["--format", "jsonl", archive, "good.zip"];
    args.extend(extra);
    let o = s.scan(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("extguard: {archive}: ")) && err.contains(expected),
        "{archive}: expected '{expected}' in: {err}"
    );
    assert!(err.contains("archive skipped"), "{err}");
    let u = units(&o);
    assert_eq!(u.len(), 1, "{}", stdout(&o));
    assert_eq!(u[0]["name"], "good");
}

#[test]
fn path_traversal_is_rejected() {
    let s = Scratch::new();
    let escape_to = s.path("escaped.sql");
    for (name, entry) in [
        ("dotdot.tar.gz", b"../escaped.sql".to_vec()),
        ("nested.tar.gz", b"ok/../../escaped.sql".to_vec()),
        (
            "absolute.tar.gz",
            escape_to.display().to_string().into_bytes(),
        ),
    ] {
        let data = tar_bytes(&[
            Entry::File(b"fine.sql".to_vec(), b"SELECT 1;\n".to_vec()),
            Entry::File(entry, b"SELECT 1;\n".to_vec()),
        ]);
        std::fs::write(s.path(name), gzip(&data)).unwrap();
        let expected = if name == "absolute.tar.gz" {
            "is an absolute path"
        } else {
            "'..' component (path traversal)"
        };
        assert_rejected(&s, name, expected, &[]);
        assert!(!escape_to.exists());
    }
    // the same in a zip (written raw: the zip crate's writer accepts any name)
    make_zip(
        &s.path("dotdot.zip"),
        &[("../escaped.sql".to_string(), b"SELECT 1;\n".to_vec())],
    );
    assert_rejected(&s, "dotdot.zip", "path traversal", &[]);
    assert!(!escape_to.exists());
}

#[test]
fn links_pointing_out_are_rejected_and_inside_links_are_kept() {
    let s = Scratch::new();
    for (name, entries) in [
        (
            "symlink-abs.tar.gz",
            vec![
                Entry::Symlink(b"ext".to_vec(), b"/etc".to_vec()),
                Entry::File(b"ext/passwd".to_vec(), b"x".to_vec()),
            ],
        ),
        (
            "symlink-up.tar.gz",
            vec![Entry::Symlink(b"a/up".to_vec(), b"../../..".to_vec())],
        ),
        (
            "hardlink.tar.gz",
            vec![Entry::Hardlink(
                b"h.sql".to_vec(),
                b"../outside.sql".to_vec(),
            )],
        ),
    ] {
        std::fs::write(s.path(name), gzip(&tar_bytes(&entries))).unwrap();
        assert_rejected(&s, name, "points outside the archive", &[]);
    }
    // a zip symlink entry (Unix mode 0o120777) pointing out
    let mut z = zip::ZipWriter::new(std::fs::File::create(s.path("symlink.zip")).unwrap());
    z.add_symlink("ext", "../../..", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.finish().unwrap();
    assert_rejected(&s, "symlink.zip", "points outside the archive", &[]);

    // links inside the archive: links to their targets, in their own directories
    let mut entries = files_as_entries(&extension_files("linked", "real/"));
    entries.push(Entry::Symlink(
        b"ext/linked.control".to_vec(),
        b"../real/linked.control".to_vec(),
    ));
    entries.push(Entry::Hardlink(
        b"ext/linked--1.0.sql".to_vec(),
        b"real/linked--1.0.sql".to_vec(),
    ));
    std::fs::write(s.path("inside.tar.gz"), gzip(&tar_bytes(&entries))).unwrap();
    let o = s.scan(&["--format", "jsonl", "inside.tar.gz"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    let sources: Vec<&str> = u
        .iter()
        .map(|u| u["files"][0]["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "inside.tar.gz!/ext/linked.control",
            "inside.tar.gz!/real/linked.control"
        ]
    );
    assert!(codes(&u[0]).contains(&"PS003".to_string()));
}

/// The layout Debian gives an extension with versioned control files: the
/// control file is `NAME-3.control` (update-alternatives links NAME.control
/// to it on installation), the update scripts from old versions are
/// symbolic links to one `--ANY--` script, and one link goes through
/// another. `filler` bytes of hard-to-compress comment make the install
/// script large.
fn versioned_extension(filler: usize) -> (Vec<Entry>, Vec<String>) {
    let dir = "./usr/share/postgresql/15/extension/";
    let mut noise = String::from("-- ");
    let mut x: u32 = 1;
    while noise.len() < filler {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        noise.push_str(&format!("{:08x}", x));
        if noise.len() % 64 < 8 {
            noise.push_str("\n-- ");
        }
    }
    noise.push('\n');
    let mut entries = vec![
        Entry::File(
            format!("{dir}geo-3.control").into_bytes(),
            control("2.0").into_bytes(),
        ),
        Entry::File(
            format!("{dir}geo--2.0.sql").into_bytes(),
            format!("{noise}{}", INSTALL.replace("demo_f", "geo_f")).into_bytes(),
        ),
        Entry::File(
            format!("{dir}geo--ANY--2.0.sql").into_bytes(),
            b"CREATE FUNCTION @extschema@.g() RETURNS text LANGUAGE sql\n  AS 'SELECT lower(''x'')';\n"
                .to_vec(),
        ),
    ];
    let mut links = Vec::new();
    for i in 0..12 {
        let name = format!("geo--1.{i}--2.0.sql");
        entries.push(Entry::Symlink(
            format!("{dir}{name}").into_bytes(),
            b"geo--ANY--2.0.sql".to_vec(),
        ));
        links.push(name);
    }
    // a link to a link, and a hard link to the large install script
    entries.push(Entry::Symlink(
        format!("{dir}geo--0.0.1--2.0.sql").into_bytes(),
        b"geo--1.0--2.0.sql".to_vec(),
    ));
    links.push("geo--0.0.1--2.0.sql".into());
    for i in 0..24 {
        entries.push(Entry::Hardlink(
            format!("{dir}geo--0.{i}--2.0.sql").into_bytes(),
            format!("{}geo--2.0.sql", &dir[2..]).into_bytes(),
        ));
    }
    links.sort();
    (entries, links)
}

/// The unit of extension `geo`: one install chain, the `--ANY--` script
/// analysed once with its links listed, its finding reported once.
fn assert_versioned_extension(unit: &serde_json::Value, prefix: &str, links: &[String]) {
    assert_eq!(unit["name"], "geo", "{unit}");
    assert_eq!(unit["kind"], "extension");
    assert_eq!(unit["version"], "2.0");
    assert_eq!(
        unit["install_chain"],
        serde_json::json!([format!("{prefix}geo--2.0.sql")])
    );
    let files = unit["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let any = files
        .iter()
        .find(|f| f["path"] == format!("{prefix}geo--ANY--2.0.sql"))
        .unwrap_or_else(|| panic!("{paths:?}"));
    let expected: Vec<String> = links.iter().map(|l| format!("{prefix}{l}")).collect();
    assert_eq!(any["links"], serde_json::json!(expected));
    let lower: Vec<&serde_json::Value> = files
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap())
        .filter(|f| f["message"].as_str().unwrap().contains("lower("))
        .collect();
    assert_eq!(lower.len(), 1, "{lower:?}");
    assert_eq!(lower[0]["path"], any["path"]);
    // the install script is analysed in the chain; its hard links (update
    // scripts from 0.x) are listed with it, not analysed again
    assert_eq!(paths.len(), 3, "{paths:?}");
    let install = &files[1];
    assert_eq!(install["links"].as_array().unwrap().len(), 24, "{install}");
}

#[test]
fn versioned_control_files_and_linked_scripts_from_a_tree_and_a_deb() {
    let s = Scratch::new();
    let (entries, links) = versioned_extension(1 << 20);
    let data = tar_bytes(&entries);
    let deb = xz(&data);
    make_deb(&s.path("geo.deb"), "data.tar.xz", &deb);
    // Unpacked as copies, 24 hard links to a 1 MiB script would be 25 MiB
    // from an archive of about half a MiB: over a ratio of 30. Links cost
    // nothing.
    let copies = 25 * (1u64 << 20);
    assert!(copies / deb.len() as u64 > 30, "{}", deb.len());
    let o = s.scan(&["--format", "jsonl", "--max-ratio", "30", "geo.deb"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let u = units(&o);
    assert_eq!(u.len(), 1, "{}", stdout(&o));
    assert_versioned_extension(&u[0], "geo.deb!/usr/share/postgresql/15/extension/", &links);

    // the same files as a directory tree (symbolic and hard links on disk)
    let root = s.path("tree");
    let dir = root.join("extension");
    std::fs::create_dir_all(&dir).unwrap();
    for e in &entries {
        let name = |n: &[u8]| {
            let n = String::from_utf8(n.to_vec()).unwrap();
            n.rsplit('/').next().unwrap().to_string()
        };
        match e {
            Entry::File(n, d) => std::fs::write(dir.join(name(n)), d).unwrap(),
            Entry::Symlink(n, t) => std::os::unix::fs::symlink(name(t), dir.join(name(n))).unwrap(),
            Entry::Hardlink(n, t) => {
                std::fs::hard_link(dir.join(name(t)), dir.join(name(n))).unwrap()
            }
        }
    }
    let o = s.scan(&["--format", "jsonl", "tree"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    assert_eq!(u.len(), 1, "{}", stdout(&o));
    assert_versioned_extension(&u[0], "tree/extension/", &links);

    // with the link update-alternatives adds, still one extension, by that name
    std::os::unix::fs::symlink("geo-3.control", dir.join("geo.control")).unwrap();
    let o = s.scan(&["--format", "jsonl", "tree"]);
    let u = units(&o);
    assert_eq!(u.len(), 1, "{}", stdout(&o));
    assert_eq!(u[0]["files"][0]["path"], "tree/extension/geo.control");
    assert_versioned_extension(&u[0], "tree/extension/", &links);

    // `check` analyses the linked script once too
    let o = Command::new(env!("CARGO_BIN_EXE_extguard"))
        .args(["check", "--format", "json", "tree"])
        .current_dir(s.dir.path())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lower: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains("lower("))
        .collect();
    assert_eq!(lower.len(), 1, "{lower:?}");
    assert_eq!(lower[0]["path"], "tree/extension/geo--ANY--2.0.sql");
}

#[test]
fn compression_bombs_and_oversized_archives_are_stopped() {
    let s = Scratch::new();
    // 256 MiB of zeros deflates to about 250 KiB: over the 200:1 ratio.
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(s.path("bomb.zip")).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("bomb--1.0.sql", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..256 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    let started = std::time::Instant::now();
    assert_rejected(&s, "bomb.zip", "compression ratio above 200:1", &[]);
    assert!(started.elapsed().as_secs() < 60);
    // the total size cap, on an archive that compresses badly: one entry
    // declaring more is refused before it is read, two smaller ones while
    // they are written
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let data = tar_bytes(&[Entry::File(b"big.sql".to_vec(), noise.clone())]);
    std::fs::write(s.path("big.tar.gz"), gzip(&data)).unwrap();
    assert_rejected(
        &s,
        "big.tar.gz",
        "entry 'big.sql' declares 200000 bytes, more than 100000 (--max-unpacked-size)",
        &["--max-unpacked-size", "100000"],
    );
    let data = tar_bytes(&[
        Entry::File(b"a.sql".to_vec(), noise[..60_000].to_vec()),
        Entry::File(b"b.sql".to_vec(), noise[60_000..120_000].to_vec()),
    ]);
    std::fs::write(s.path("two.tar.gz"), gzip(&data)).unwrap();
    assert_rejected(
        &s,
        "two.tar.gz",
        "unpacks to more than 100000 bytes",
        &["--max-unpacked-size", "100000"],
    );
    // the entry count cap
    let entries: Vec<Entry> = (0..20)
        .map(|i| Entry::File(format!("f{i}.sql").into_bytes(), b"SELECT 1;\n".to_vec()))
        .collect();
    std::fs::write(s.path("many.tar.gz"), gzip(&tar_bytes(&entries))).unwrap();
    assert_rejected(
        &s,
        "many.tar.gz",
        "more than 10 entries",
        &["--max-entries", "10"],
    );
}

#[test]
fn truncated_and_corrupt_archives_are_reported() {
    let s = Scratch::new();
    let tgz = gzip(&tar_bytes(&files_as_entries(&extension_files("cut", ""))));
    std::fs::write(s.path("cut.tar.gz"), &tgz[..tgz.len() / 2]).unwrap();
    assert_rejected(&s, "cut.tar.gz", "truncated", &[]);
    make_zip(&s.path("whole.zip"), &extension_files("cut", ""));
    let zip = std::fs::read(s.path("whole.zip")).unwrap();
    std::fs::write(s.path("cut.zip"), &zip[..zip.len() / 2]).unwrap();
    assert_rejected(&s, "cut.zip", "not a readable zip archive", &[]);
    std::fs::write(s.path("text.deb"), b"this is not an ar archive").unwrap();
    assert_rejected(&s, "text.deb", "not a readable ar archive", &[]);
    let deb_data = xz(&tar_bytes(&files_as_entries(&extension_files(
        "cut",
        "usr/share/postgresql/15/extension/",
    ))));
    make_deb(
        &s.path("cut.deb"),
        "data.tar.xz",
        &deb_data[..deb_data.len() - 40],
    );
    assert_rejected(&s, "cut.deb", "data.tar.xz: ", &[]);
    // invalid META.json: reported, the rest of the archive is still scanned
    let mut files = extension_files("meta", "meta-1/");
    files.push(("meta-1/META.json".into(), b"{not json".to_vec()));
    make_zip(&s.path("badmeta.zip"), &files);
    let o = s.scan(&["--format", "jsonl", "badmeta.zip"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("badmeta.zip: meta-1/META.json: invalid JSON"),
        "{}",
        stderr(&o)
    );
    assert_eq!(units(&o)[0]["name"], "meta");
}

#[test]
fn non_utf8_names_are_scanned() {
    let s = Scratch::new();
    let entries = vec![
        Entry::File(b"ext/caf\xe9.control".to_vec(), CONTROL.as_bytes().to_vec()),
        Entry::File(
            b"ext/caf\xe9--1.0.sql".to_vec(),
            INSTALL.as_bytes().to_vec(),
        ),
        Entry::File(b"ext/\xff\xfe.sql".to_vec(), b"SELECT f(1);\n".to_vec()),
    ];
    std::fs::write(s.path("latin1.tar.gz"), gzip(&tar_bytes(&entries))).unwrap();
    let o = s.scan(&["--format", "jsonl", "latin1.tar.gz"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    assert_eq!(u.len(), 2);
    assert_eq!(u[0]["name"], "caf\u{fffd}");
    assert_eq!(u[0]["files"].as_array().unwrap().len(), 2);
    assert!(codes(&u[0]).contains(&"PS003".to_string()));
    assert_eq!(
        u[1]["files"][0]["path"],
        "latin1.tar.gz!/ext/\u{fffd}\u{fffd}.sql"
    );
    // the SARIF URI percent-encodes what is not plain ASCII
    let o = s.scan(&["--format", "sarif", "latin1.tar.gz"]);
    assert!(stdout(&o).contains("latin1.tar.gz!/ext/caf%EF%BF%BD--1.0.sql"));
}

#[test]
fn directory_cycle_through_symlinks_terminates() {
    let s = Scratch::new();
    write_tree(s.dir.path(), &extension_files("cyc", "reg/cyc/"));
    std::os::unix::fs::symlink("..", s.path("reg/cyc/loop")).unwrap();
    std::os::unix::fs::symlink(".", s.path("reg/self")).unwrap();
    let o = s.scan(&["--format", "jsonl", "reg"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("directory cycle"), "{}", stderr(&o));
    let u = units(&o);
    assert_eq!(u.len(), 1);
    assert_eq!(u[0]["name"], "cyc");
    assert_eq!(u[0]["files"].as_array().unwrap().len(), 3);
}

#[test]
fn missing_and_unknown_inputs_are_errors_and_the_scan_goes_on() {
    let s = Scratch::new();
    write_tree(s.dir.path(), &extension_files("ok", "reg/"));
    std::fs::write(s.path("notes.txt"), "x").unwrap();
    let o = s.scan(&["--format", "jsonl", "nope.zip", "notes.txt", "reg", "gone"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("nope.zip: no such file"), "{err}");
    assert!(
        err.contains("notes.txt: not a directory, package (.zip"),
        "{err}"
    );
    assert!(err.contains("gone: no such file or directory"), "{err}");
    assert_eq!(units(&o)[0]["name"], "ok");
}

/// A registry of many extensions in several kinds of input.
fn registry(s: &Scratch) {
    for i in 0..12 {
        let name = format!("ext{i:02}");
        let mut files = extension_files(&name, &format!("reg/{name}/"));
        if i % 3 == 0 {
            files.push((
                format!("reg/{name}/{name}--1.1.sql"),
                format!("CREATE TABLE t{i}(a int);\nSELECT f{i}(1);\n").into_bytes(),
            ));
            files[0].1 = control("1.1").into_bytes();
        }
        write_tree(s.dir.path(), &files);
    }
    std::fs::create_dir_all(s.path("reg/archives")).unwrap();
    for i in 0..4 {
        make_zip(
            &s.path(&format!("reg/archives/z{i}.zip")),
            &extension_files(&format!("zipped{i}"), &format!("zipped{i}-1.0/")),
        );
    }
    write_tree(
        s.dir.path(),
        &[(
            "reg/loose/a.sql".to_string(),
            b"SELECT f(1);\nSELECT g(2);\n".to_vec(),
        )],
    );
}

#[test]
fn output_is_identical_with_one_and_two_threads() {
    let s = Scratch::new();
    registry(&s);
    for format in ["table", "jsonl", "sarif"] {
        let one = s.scan(&[
            "--jobs", "1", "--format", format, "--html", "one.html", "reg",
        ]);
        let two = s.scan(&[
            "--jobs", "2", "--format", format, "--html", "two.html", "reg",
        ]);
        assert_eq!(one.status.code(), Some(1), "{}", stderr(&one));
        assert_eq!(stdout(&one), stdout(&two), "{format}");
        assert_eq!(stderr(&one), stderr(&two));
        assert_eq!(
            std::fs::read(s.path("one.html")).unwrap(),
            std::fs::read(s.path("two.html")).unwrap()
        );
    }
    let o = s.scan(&["--jobs", "2", "--format", "jsonl", "reg"]);
    assert_eq!(units(&o).len(), 12 + 4 + 1);
}

#[test]
fn sarif_is_valid_against_the_sarif_2_1_0_schema() {
    let s = Scratch::new();
    registry(&s);
    std::fs::write(s.path("reg/broken.zip"), b"PK\x03\x04 not really").unwrap();
    let o = s.scan(&["--format", "sarif", "reg"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let validator = cli_support::sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // the validator does reject a broken log
    let mut bad = doc.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        serde_json::json!(0);
    assert!(!validator.is_valid(&bad));

    // what GitHub code scanning needs beyond the schema
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules
        .iter()
        .all(|r| r["help"]["text"].as_str().unwrap().len() > 20));
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], id);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[k].as_u64().unwrap() >= 1, "{k} in {r}");
        }
    }
    let uri = |r: &serde_json::Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(uri(&results[0]), "reg/ext00/ext00--1.0.sql");
    let in_zip = results
        .iter()
        .find(|r| r["ruleId"] == "PS003" && uri(r).contains(".zip!/"))
        .expect("a PS003 result in an archive");
    assert_eq!(
        uri(in_zip),
        "reg/archives/z0.zip!/zipped0-1.0/zipped0--1.0.sql"
    );
    assert_eq!(
        in_zip["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("reg/broken.zip: not a readable zip archive"));
}

/// `chromium --headless --dump-dom` of a URL: the DOM after scripts ran.
fn chromium_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}): install it with `EXTGUARD_SETUP_TEST=1 scripts/setup.sh` (make test does)")
        });
    assert!(out.status.success(), "chromium: {}", stderr(&out));
    stdout(&out)
}

/// The `data-v` of column `col` in each row of the extensions table, in DOM order.
fn column(dom: &str, col: usize) -> Vec<String> {
    let body = &dom[dom.find("<tbody>").unwrap()..dom.find("</tbody>").unwrap()];
    body.split("<tr ")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td").nth(col + 1).unwrap();
            let v = &cell[cell.find("data-v=\"").unwrap() + 8..];
            v[..v.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn html_report_renders_and_sorts_in_headless_chromium() {
    let s = Scratch::new();
    // three extensions with 1, 3 and 2 findings, named in another order
    for (name, extra) in [("bravo", 0), ("alpha", 2), ("charlie", 1)] {
        let mut files = extension_files(name, &format!("reg/{name}/"));
        let more: String = (0..extra)
            .map(|i| {
                format!("CREATE FUNCTION @extschema@.h{i}() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';\n")
            })
            .collect();
        files[2].1 = format!("{UPDATE}{more}").into_bytes();
        write_tree(s.dir.path(), &files);
    }
    // a hostile name must stay text
    write_tree(
        s.dir.path(),
        &[(
            "reg/x/<script>alert(1)<\\script>.sql".to_string(),
            b"SELECT f('</pre><script>document.title=1</script>');\n".to_vec(),
        )],
    );
    let o = s.scan(&["--html", "report.html", "reg"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let page = std::fs::read_to_string(s.path("report.html")).unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page must need no network"
    );

    let url = format!("file://{}", s.path("report.html").display());
    let dom = chromium_dom(&url);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the script did not run: {dom}"
    );
    assert!(dom.contains("<title>extguard report</title>"));
    assert_eq!(
        column(&dom, 0),
        ["alpha", "bravo", "charlie", "(unpackaged)"]
    );
    // the bar chart: one bar per rule with findings
    assert!(dom.contains("<svg id=\"chart\""));
    assert!(
        dom.contains("data-code=\"PS003\" data-count=\"6\""),
        "{dom}"
    );
    // findings with their snippets; hostile text escaped
    assert!(dom.contains("<pre class=\"snippet\">"));
    assert!(dom.contains("SECURITY DEFINER"));
    assert!(dom.contains("&lt;/pre&gt;&lt;script&gt;document.title=1"));

    // sorted by findings, descending, through the URL fragment the column headers set
    let dom = chromium_dom(&format!("{url}#sort=findings:desc"));
    assert!(dom.contains("data-sorted=\"findings:desc\""), "{dom}");
    assert!(dom.contains("data-key=\"findings\" data-type=\"num\" aria-sort=\"descending\""));
    assert_eq!(
        column(&dom, 0),
        ["alpha", "charlie", "bravo", "(unpackaged)"]
    );
    // counts include EG117 (SECURITY DEFINER functions left executable by PUBLIC)
    assert_eq!(column(&dom, 5), ["7", "5", "3", "1"]);
    let dom = chromium_dom(&format!("{url}#sort=name:desc"));
    assert_eq!(
        column(&dom, 0),
        ["charlie", "bravo", "alpha", "(unpackaged)"]
    );
}

#[test]
fn ctrl_c_and_sigterm_remove_temporary_directories() {
    let s = Scratch::new();
    // Archives whose analysis takes a while: large install scripts.
    let big: String = (0..5_000)
        .map(|i| {
            format!("CREATE FUNCTION f{i}(x int) RETURNS int LANGUAGE sql AS 'SELECT abs(x)';\n")
        })
        .collect();
    for i in 0..20 {
        let files = vec![
            (format!("slow{i}.control"), CONTROL.as_bytes().to_vec()),
            (format!("slow{i}--1.0.sql"), big.clone().into_bytes()),
        ];
        make_zip(&s.path(&format!("slow{i}.zip")), &files);
    }
    let mut args: Vec<String> = vec!["--jobs".into(), "1".into()];
    args.extend((0..20).map(|i| format!("slow{i}.zip")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for signal in ["-INT", "-TERM"] {
        let child = s
            .command("scan", &args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // wait until an archive is unpacked
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::fs::read_dir(s.tmp()).unwrap().next().is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "no temporary directory appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let kill = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{signal}: {}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"));
        let left: Vec<_> = std::fs::read_dir(s.tmp()).unwrap().flatten().collect();
        assert!(left.is_empty(), "{signal}: left behind: {left:?}");
    }
}
