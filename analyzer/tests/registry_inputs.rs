//! End-to-end tests of the registry inputs `extguard scan` reads besides
//! directories, PGXN zips, Trunk tarballs and .debs: PGXN binary packages
//! (`.trunk`), pg_tle packages, RPMs and OCI images. Every package is built
//! here (RPMs with the real `rpmbuild`); every run gets its own TMPDIR,
//! checked empty afterwards.

use std::process::{Command, Output};

use sha2::{Digest, Sha256};

mod cli_support;
use std::path::Path;

use cli_support::{
    files_as_entries, gzip, make_deb, make_zip, stderr, tar_bytes, units, valid_policy, write_tree,
    xz, Entry, Scratch,
};

const CONTROL: &str = "default_version = '1.0'\nrelocatable = true\n";
/// SECURITY DEFINER without search_path (PS003, on line 3).
const INSTALL: &str = "\
-- pair extension
CREATE FUNCTION @extschema@.pair_f(x int) RETURNS int
  LANGUAGE sql SECURITY DEFINER
  AS 'SELECT abs(x)';
";

fn findings(unit: &serde_json::Value) -> Vec<&serde_json::Value> {
    unit["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .collect()
}

fn codes(unit: &serde_json::Value) -> Vec<&str> {
    findings(unit)
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files of a PGXN binary package of `pair`, with `digests` listing
/// every one of them (before `tamper` changes the list of files).
fn trunk_files(tamper: impl Fn(&mut Vec<(String, Vec<u8>)>)) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "trunk.json".into(),
            br#"{"trunk":"0.1.0","package":{"name":"pair","version":"1.0.0","language":"c","license":"PostgreSQL"},"postgres":{"version":"15.0","pg_config":{}},"platform":"linux-amd64"}"#.to_vec(),
        ),
        ("pgsql/share/extension/pair.control".into(), CONTROL.into()),
        ("pgsql/share/extension/pair--1.0.sql".into(), INSTALL.into()),
        ("pgsql/pkglib/pair.so".into(), b"\x7fELF not really".to_vec()),
        // outside pgsql/share: not searched for SQL
        ("pgsql/doc/example.sql".into(), b"SELECT f(1);\n".to_vec()),
    ];
    let digests: String = files
        .iter()
        .map(|(n, d)| format!("{}  {n}\n", sha256_hex(d)))
        .collect();
    files.push(("digests".into(), digests.into_bytes()));
    tamper(&mut files);
    files
}

#[test]
fn pgxn_trunk_packages_are_verified_and_scanned() {
    let s = Scratch::new();
    // as a zip, inside a top-level directory
    let zipped: Vec<(String, Vec<u8>)> = trunk_files(|_| {})
        .into_iter()
        .map(|(n, d)| (format!("pair-1.0.0+pg15-linux-amd64/{n}"), d))
        .collect();
    make_zip(&s.path("pair-1.0.0+pg15-linux-amd64.trunk"), &zipped);
    // as a gzip-compressed tar, at the root
    std::fs::write(
        s.path("pair-tar.trunk"),
        gzip(&tar_bytes(&files_as_entries(&trunk_files(|_| {})))),
    )
    .unwrap();
    for name in ["pair-1.0.0+pg15-linux-amd64.trunk", "pair-tar.trunk"] {
        let o = s.scan(&["--format", "jsonl", name]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(stderr(&o), "");
        let u = units(&o);
        assert_eq!(u.len(), 1, "{u:?}");
        assert_eq!(u[0]["name"], "pair");
        assert_eq!(u[0]["package"]["registry"], "pgxn-trunk");
        assert_eq!(u[0]["package"]["version"], "1.0.0");
        let so = u[0]["package"]["shared_objects"][0].as_str().unwrap();
        assert!(so.ends_with("pgsql/pkglib/pair.so"), "{so}");
        assert!(codes(&u[0]).contains(&"PS003"), "{:?}", codes(&u[0]));
        let f = findings(&u[0])
            .into_iter()
            .find(|f| f["code"] == "PS003")
            .unwrap();
        assert!(
            f["path"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{name}!/")),
            "{f}"
        );
        assert_eq!(f["line"], 3);
    }
}

#[test]
fn trunk_files_that_do_not_match_digests_are_findings_naming_the_file() {
    let s = Scratch::new();
    let files = trunk_files(|files| {
        // altered after the digests were written
        files[2].1 = INSTALL.replace("abs(x)", "abs(x) + 1").into_bytes();
        // not listed
        files.push((
            "pgsql/share/extension/extra.sql".into(),
            b"SELECT 1;\n".to_vec(),
        ));
        // listed, but missing
        files.retain(|(n, _)| n != "pgsql/doc/example.sql");
    });
    make_zip(&s.path("pair.trunk"), &files);
    let o = s.scan(&["--format", "jsonl", "pair.trunk"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    let pkg = u.iter().find(|u| u["name"] == "pair (package)").unwrap();
    let fs = findings(pkg);
    assert!(fs.iter().all(|f| f["code"] == "EG010"), "{fs:?}");
    assert!(
        fs.iter().all(|f| f["path"] == "pair.trunk!/digests"),
        "{fs:?}"
    );
    let messages: Vec<&str> = fs.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(fs.len(), 3, "{messages:?}");
    let altered = fs
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("pgsql/share/extension/pair--1.0.sql: SHA-256 is ")
        })
        .unwrap_or_else(|| panic!("{messages:?}"));
    // the digests line listing the altered file (the third file)
    assert_eq!(altered["line"], 3);
    assert!(messages
        .contains(&"pgsql/share/extension/extra.sql is in the package but not listed in digests"));
    assert!(messages.contains(&"pgsql/doc/example.sql is listed in digests but not in the package"));
    // the altered script is still analysed
    assert!(u.iter().any(|u| u["name"] == "pair"));

    // no digests at all
    let files = trunk_files(|files| files.retain(|(n, _)| n != "digests"));
    make_zip(&s.path("nodigests.trunk"), &files);
    let o = s.scan(&["--format", "jsonl", "nodigests.trunk"]);
    let u = units(&o);
    let pkg = u.iter().find(|u| u["name"] == "pair (package)").unwrap();
    assert_eq!(codes(pkg), ["EG010"]);
    assert_eq!(findings(pkg)[0]["path"], "nodigests.trunk!/trunk.json");
}

#[test]
fn truncated_and_unknown_trunk_files_are_input_errors() {
    let s = Scratch::new();
    make_zip(&s.path("good.trunk"), &trunk_files(|_| {}));
    let bytes = std::fs::read(s.path("good.trunk")).unwrap();
    std::fs::write(s.path("cut.trunk"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(s.path("junk.trunk"), b"not an archive at all").unwrap();
    let o = s.scan(&["--format", "jsonl", "cut.trunk", "junk.trunk", "good.trunk"]);
    let err = stderr(&o);
    assert!(err.contains("cut.trunk: "), "{err}");
    assert!(
        err.contains(
            "junk.trunk: neither a zip nor a gzip-compressed tar archive; archive skipped"
        ),
        "{err}"
    );
    // the run goes on
    assert!(units(&o).iter().any(|u| u["name"] == "pair"));
    assert_eq!(o.status.code(), Some(2), "{err}");
}

/// The text between two 1-based (line, column) positions, columns in characters.
fn slice(text: &str, (l1, c1): (usize, usize), (l2, c2): (usize, usize)) -> String {
    let offset = |l: usize, c: usize| {
        let start: usize = text.split_inclusive('\n').take(l - 1).map(str::len).sum();
        let line = &text[start..];
        start
            + line
                .char_indices()
                .nth(c - 1)
                .map_or(line.len(), |(i, _)| i)
    };
    text[offset(l1, c1)..offset(l2, c2)].to_string()
}

fn position(f: &serde_json::Value, start: bool) -> (usize, usize) {
    let (l, c) = if start {
        ("line", "column")
    } else {
        ("end_line", "end_column")
    };
    (
        f[l].as_u64().unwrap() as usize,
        f[c].as_u64().unwrap() as usize,
    )
}

const TLE_INSTALL: &str = "
CREATE FUNCTION tle_f(x int) RETURNS int
  LANGUAGE sql SECURITY DEFINER
  AS 'SELECT abs(x)';
CREATE TABLE tle_t(a int);
";
/// As written inside a plain literal, and as it reads decoded.
const TLE_UPDATE_QUOTED: &str = "CREATE FUNCTION tle_g() RETURNS int LANGUAGE sql SECURITY DEFINER AS ''SELECT now()::int'';\nGRANT ALL ON tle_t TO PUBLIC;";

fn tle_file() -> String {
    format!(
        "-- a pg_tle package
SELECT pgtle.install_extension(
  'tle_demo',
  '1.0',
  'demo package',
$_pgtle_${TLE_INSTALL}$_pgtle_$
);
SELECT pgtle.install_update_path('tle_demo', '1.0', '1.1',
  '{TLE_UPDATE_QUOTED}');
SELECT pgtle.set_default_version('tle_demo', '1.1');
"
    )
}

#[test]
fn pg_tle_packages_are_analysed_as_extensions_with_spans_in_the_literals() {
    let s = Scratch::new();
    let text = tle_file();
    std::fs::create_dir(s.path("tle")).unwrap();
    std::fs::write(s.path("tle/tle_demo.sql"), &text).unwrap();
    let o = s.scan(&["--format", "jsonl", "tle"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let u = units(&o);
    let tle = u.iter().find(|u| u["name"] == "tle_demo").unwrap();
    assert_eq!(tle["kind"], "extension");
    assert_eq!(tle["version"], "1.1");
    // install script, then the update, each by the line its literal starts on
    assert_eq!(
        tle["install_chain"],
        serde_json::json!(["tle/tle_demo.sql:6", "tle/tle_demo.sql:14"])
    );

    // The same extension written out as files.
    let update = TLE_UPDATE_QUOTED.replace("''", "'");
    let want = same_findings_as_files(
        &s,
        tle,
        &text,
        // the update's literal doubles its quotes
        |spanned| spanned.replace("''", "'"),
        &[
            ("tle_demo--1.0.sql", TLE_INSTALL),
            ("tle_demo--1.0--1.1.sql", update.as_str()),
        ],
        "default_version = '1.1'\ncomment = 'demo package'\n",
    );
    assert!(want.iter().any(|w| w.0 == "PS003"), "{want:?}");
    // inside the body inside the doubled quotes of the update's literal
    assert!(
        want.iter().any(|w| w.0 == "PS016" && w.2 == "now"),
        "{want:?}"
    );
    // PS003 of the install script: the SECURITY DEFINER line inside the dollar quotes
    let ps003 = findings(tle)
        .into_iter()
        .filter(|f| f["code"] == "PS003")
        .map(|f| f["line"].as_u64().unwrap())
        .collect::<Vec<_>>();
    assert!(ps003.contains(&8), "{ps003:?}");
    assert!(ps003.contains(&14), "{ps003:?}");
}

type Record = (String, String, String);

/// Scan the extension written out as files (`scripts`, and a control file
/// of `control` plus what pg_tle adds) and check that the pg_tle unit `tle`
/// has the same findings (code, message, text spanned: `decode` turns
/// the text spanned in `outer` into what it is in the script). Returns them.
fn same_findings_as_files(
    s: &Scratch,
    tle: &serde_json::Value,
    outer: &str,
    decode: impl Fn(&str) -> String,
    scripts: &[(&str, &str)],
    control: &str,
) -> Vec<Record> {
    let name = tle["name"].as_str().unwrap();
    let dir = s.path(&format!("files-{name}"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.control")),
        format!("{control}relocatable = false\nsuperuser = false\ntrusted = false\n"),
    )
    .unwrap();
    for (file, data) in scripts {
        std::fs::write(dir.join(file), data).unwrap();
    }
    let o = s.scan(&["--format", "jsonl", dir.to_str().unwrap()]);
    let tree = units(&o).remove(0);
    assert_eq!(tree["version"], tle["version"]);
    let mut want: Vec<Record> = Vec::new();
    for f in tree["files"].as_array().unwrap() {
        let content = std::fs::read_to_string(f["path"].as_str().unwrap()).unwrap();
        for x in f["findings"].as_array().unwrap() {
            want.push((
                x["code"].as_str().unwrap().into(),
                x["message"].as_str().unwrap().into(),
                slice(&content, position(x, true), position(x, false)),
            ));
        }
    }
    let mut got: Vec<Record> = findings(tle)
        .iter()
        .map(|x| {
            let spanned = slice(outer, position(x, true), position(x, false));
            (
                x["code"].as_str().unwrap().into(),
                x["message"].as_str().unwrap().into(),
                decode(&spanned),
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    want
}

#[test]
fn database_dev_json_packages_are_analysed_with_spans_in_the_json_strings() {
    let s = Scratch::new();
    let install_10 = "CREATE FUNCTION dd_f(x text) RETURNS text\n  LANGUAGE sql SECURITY DEFINER\n  AS $$ SELECT upper(x) $$;\n";
    let install_11 = "CREATE FUNCTION dd_f(x text) RETURNS text\n  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp\n  AS $$ SELECT pg_catalog.upper(x) $$;\nSELECT \"quoted\" FROM t;\n";
    let upgrade = "ALTER FUNCTION dd_f(text) SET search_path = pg_catalog, pg_temp;\nCOPY t FROM PROGRAM 'id';\n";
    let json = format!(
        r#"{{
  "package_name": "acme-dd",
  "package_versions": [
    {{"package_name": "acme-dd", "version": "1.0", "control_description": "demo", "control_requires": [], "sql": {}}},
    {{"package_name": "acme-dd", "version": "1.1", "control_description": "demo", "control_requires": ["pgcrypto"], "sql": {}}}
  ],
  "package_upgrades": [
    {{"package_name": "acme-dd", "from_version": "1.0", "to_version": "1.1", "sql": {}}}
  ]
}}
"#,
        serde_json::to_string(install_10).unwrap(),
        serde_json::to_string(install_11).unwrap(),
        serde_json::to_string(upgrade).unwrap(),
    );
    std::fs::create_dir(s.path("dd")).unwrap();
    std::fs::write(s.path("dd/acme-dd.json"), &json).unwrap();
    // not packages: left alone (in a tree; named, each is an input error)
    std::fs::write(s.path("dd/other.json"), br#"{"name": "x"}"#).unwrap();
    std::fs::write(
        s.path("dd/config.json"),
        br#"{"name": "x", "sql": "SELECT 1"}"#,
    )
    .unwrap();
    std::fs::write(
        s.path("dd/broken.json"),
        br#"{"package_name": "x", "sql": "#,
    )
    .unwrap();
    let o = s.scan(&["--format", "jsonl", "dd"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let u = units(&o);
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!(u[0]["name"], "acme-dd");
    assert_eq!(u[0]["version"], "1.1");
    let want = same_findings_as_files(
        &s,
        &u[0],
        &json,
        |spanned| serde_json::from_str(&format!("\"{spanned}\"")).unwrap(),
        &[
            ("acme-dd--1.0.sql", install_10),
            ("acme-dd--1.1.sql", install_11),
            ("acme-dd--1.0--1.1.sql", upgrade),
        ],
        "default_version = '1.1'\ncomment = 'demo'\nrequires = 'pgcrypto'\n",
    );
    assert!(want.iter().any(|w| w.0 == "EG101"), "{want:?}");
    // all on line 4-7 of the JSON file, the line of each sql string
    for f in findings(&u[0]) {
        let line = f["line"].as_u64().unwrap();
        assert!((4..=8).contains(&line), "{f}");
    }

    // check reads a JSON package named on its command line the same way
    let o = s.extguard("check", &["--format", "jsonl", "dd/acme-dd.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(codes(&units(&o)[0]), codes(&u[0]));

    // hostile and broken JSON: an input error, the scan goes on
    std::fs::write(
        s.path("deep.json"),
        format!(
            "{}\"sql\" \"name\"{}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    )
    .unwrap();
    std::fs::write(s.path("cut.json"), &json[..json.len() / 2]).unwrap();
    let o = s.scan(&[
        "--format",
        "jsonl",
        "deep.json",
        "cut.json",
        "dd/acme-dd.json",
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("deep.json: not a readable JSON package: nested more than 64 levels"),
        "{err}"
    );
    assert!(
        err.contains("cut.json: not a readable JSON package: "),
        "{err}"
    );
    assert_eq!(units(&o).len(), 1);
}

/// Build an RPM of extension `pair` for PostgreSQL 15 with the real
/// rpmbuild, its payload compressed with `payload` (`w6.xzdio`, ...):
/// control file, install script, an update script that is a symbolic link
/// and one that is a hard link, a library, and a file outside PostgreSQL's
/// directories. Returns its path.
fn rpmbuild(s: &Scratch, name: &str, payload: &str) -> std::path::PathBuf {
    rpmbuild_with(s, name, payload, true)
}

/// [`rpmbuild`], with or without the file outside PostgreSQL's directories.
fn rpmbuild_with(s: &Scratch, name: &str, payload: &str, foreign: bool) -> std::path::PathBuf {
    rpmbuild_of(
        s,
        name,
        payload,
        foreign,
        [CONTROL, INSTALL, "not really ELF"],
    )
}

/// [`rpmbuild_with`] with this control file, install script and library.
fn rpmbuild_of(
    s: &Scratch,
    name: &str,
    payload: &str,
    foreign: bool,
    [control, install, library]: [&str; 3],
) -> std::path::PathBuf {
    let top = s.path(&format!("rpm-{name}"));
    let src = top.join("SOURCES");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("pair.control"), control).unwrap();
    std::fs::write(src.join("pair--1.0.sql"), install).unwrap();
    std::fs::write(src.join("pair.so"), library).unwrap();
    let spec = format!(
        "Name: {name}
Version: 1.0
Release: 3
Summary: pair for PostgreSQL 15
License: PostgreSQL
BuildArch: noarch
%define _binary_payload {payload}
%define debug_package %{{nil}}
%define __os_install_post %{{nil}}
%description
test fixture
%install
e=%{{buildroot}}/usr/pgsql-15/share/extension
mkdir -p $e %{{buildroot}}/usr/pgsql-15/lib %{{buildroot}}/usr/bin
cp %{{_sourcedir}}/pair.control %{{_sourcedir}}/pair--1.0.sql $e/
ln -s pair--1.0.sql $e/pair--0.9--1.0.sql
ln $e/pair--1.0.sql $e/pair--0.8--0.9.sql
cp %{{_sourcedir}}/pair.so %{{buildroot}}/usr/pgsql-15/lib/
{}
%files
/usr/pgsql-15/share/extension/*
/usr/pgsql-15/lib/pair.so
{}
",
        if foreign {
            "echo 'SELECT f(1);' > %{buildroot}/usr/bin/not-postgres.sql"
        } else {
            ""
        },
        if foreign {
            "/usr/bin/not-postgres.sql"
        } else {
            ""
        }
    );
    std::fs::write(top.join("pair.spec"), spec).unwrap();
    let out = Command::new("rpmbuild")
        .args(["-bb", "--quiet"])
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg(top.join("pair.spec"))
        .output()
        .expect("rpmbuild (Debian package rpm; `make setup-test` installs it)");
    assert!(
        out.status.success(),
        "rpmbuild: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rpm = top.join(format!("RPMS/noarch/{name}-1.0-3.noarch.rpm"));
    let dest = s.path(&format!("{name}.rpm"));
    std::fs::rename(rpm, &dest).unwrap();
    dest
}

#[test]
fn rpm_packages_with_gzip_xz_zstd_bzip2_and_lzma_payloads() {
    let s = Scratch::new();
    for (name, payload) in [
        ("pair15-gz", "w9.gzdio"),
        ("pair15-xz", "w2.xzdio"),
        ("pair15-zst", "w3.zstdio"),
        ("pair15-bz", "w9.bzdio"),
        ("pair15-lz", "w6.lzdio"),
    ] {
        let rpm = rpmbuild(&s, name, payload);
        let o = s.scan(&["--format", "jsonl", rpm.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{name}");
        let u = units(&o);
        assert_eq!(u.len(), 1, "{name}: {u:?}");
        assert_eq!(u[0]["name"], "pair");
        assert_eq!(u[0]["package"]["registry"], "rpm");
        assert_eq!(u[0]["package"]["name"], name);
        assert_eq!(u[0]["package"]["version"], "1.0-3");
        assert_eq!(
            u[0]["package"]["shared_objects"],
            serde_json::json!(["usr/pgsql-15/lib/pair.so"])
        );
        let ps003: Vec<String> = findings(&u[0])
            .into_iter()
            .filter(|f| f["code"] == "PS003")
            .map(|f| format!("{}:{}", f["path"].as_str().unwrap(), f["line"]))
            .collect();
        let shown = rpm.display().to_string();
        assert!(
            ps003.contains(&format!(
                "{shown}!/usr/pgsql-15/share/extension/pair--1.0.sql:3"
            )),
            "{ps003:?}"
        );
        // the links are the same file, listed once with its other names
        let files = u[0]["files"].as_array().unwrap();
        let install = files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with("/pair--1.0.sql"))
            .unwrap();
        let links: Vec<&str> = install["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().rsplit('/').next().unwrap())
            .collect();
        assert_eq!(
            links,
            ["pair--0.8--0.9.sql", "pair--0.9--1.0.sql"],
            "{install}"
        );
    }
}

#[test]
fn truncated_hostile_and_foreign_rpms_are_input_errors() {
    let s = Scratch::new();
    let good = rpmbuild(&s, "pair15", "w9.gzdio");
    let bytes = std::fs::read(&good).unwrap();
    let payload_at = {
        let mut r = std::io::BufReader::new(&bytes[..]);
        rpm::PackageMetadata::parse(&mut r)
            .unwrap()
            .get_package_segment_offsets()
            .payload as usize
    };
    // cut inside the headers, and inside the payload
    std::fs::write(s.path("cut-head.rpm"), &bytes[..200]).unwrap();
    std::fs::write(s.path("cut-payload.rpm"), &bytes[..payload_at + 40]).unwrap();
    // a signature header declaring 4 GiB of data
    let mut huge = bytes.clone();
    huge[96 + 12..96 + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(s.path("huge-header.rpm"), &huge).unwrap();
    // the payload replaced by a cpio archive whose entry climbs out
    let mut evil = bytes[..payload_at].to_vec();
    let mut cpio = Vec::new();
    {
        let w = cpio::newc::Builder::new("./usr/pgsql-15/../../../etc/evil.sql")
            .mode(0o100644)
            .write(&mut cpio, 6);
        let mut w = w;
        std::io::Write::write_all(&mut w, b"SELECT").unwrap();
        w.finish().unwrap();
        cpio::newc::trailer(&mut cpio).unwrap();
    }
    evil.extend(gzip(&cpio));
    std::fs::write(s.path("traversal.rpm"), &evil).unwrap();
    // the payload replaced by a well-formed one: only its digest tells
    let mut swapped = bytes[..payload_at].to_vec();
    let mut cpio = Vec::new();
    {
        let mut w = cpio::newc::Builder::new("./usr/pgsql-15/share/extension/x.sql")
            .mode(0o100644)
            .write(&mut cpio, 6);
        std::io::Write::write_all(&mut w, b"SELECT").unwrap();
        w.finish().unwrap();
        cpio::newc::trailer(&mut cpio).unwrap();
    }
    swapped.extend(gzip(&cpio));
    std::fs::write(s.path("swapped.rpm"), &swapped).unwrap();
    std::fs::write(s.path("foreign.rpm"), b"PK\x03\x04 a zip, named .rpm").unwrap();
    // a payload in the "stripped" cpio format rpm uses for files of 4 GiB or more
    let mut stripped = bytes[..payload_at].to_vec();
    stripped.extend(gzip(b"07070X0000000100000000"));
    std::fs::write(s.path("stripped.rpm"), &stripped).unwrap();
    let o = s.scan(&[
        "--format",
        "jsonl",
        "cut-head.rpm",
        "cut-payload.rpm",
        "huge-header.rpm",
        "traversal.rpm",
        "swapped.rpm",
        "foreign.rpm",
        "stripped.rpm",
        "pair15.rpm",
    ]);
    let err = stderr(&o);
    for (file, says) in [
        ("cut-head.rpm", "truncated before its headers end"),
        ("cut-payload.rpm", "cpio payload"),
        ("huge-header.rpm", "more than rpm accepts"),
        ("traversal.rpm", "'..' component (path traversal)"),
        ("swapped.rpm", ", the header says "),
        ("foreign.rpm", "not an RPM"),
        ("stripped.rpm", "file is 4 GiB or larger"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("{file}: ")))
            .unwrap_or_else(|| panic!("no error for {file}: {err}"));
        assert!(line.contains(says), "{file}: {line}");
        assert!(line.ends_with("; archive skipped"), "{line}");
    }
    assert!(!s.path("etc").exists());
    // cut at many lengths and one byte changed at many places: an error or
    // a tree, never a panic, and nothing left behind
    use extguard_analyzer::driver::archive::{unpack_in, ArchiveKind, Limits};
    let variant = s.path("variant.rpm");
    let n = bytes.len();
    for i in (0..n).step_by(n / 40) {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x5a;
        for data in [&bytes[..i], &flipped[..]] {
            std::fs::write(&variant, data).unwrap();
            drop(unpack_in(
                &variant,
                ArchiveKind::Rpm,
                &Limits::default(),
                &s.tmp(),
            ));
            s.assert_no_temp_left();
        }
    }
    // the run goes on with the good one
    assert_eq!(units(&o).len(), 1, "{err}");
    assert_eq!(o.status.code(), Some(2));
}

/// A layer: a tar of `entries`.
fn layer(entries: &[Entry]) -> Vec<u8> {
    tar_bytes(entries)
}

fn file(name: &str, data: &str) -> Entry {
    Entry::File(name.as_bytes().to_vec(), data.as_bytes().to_vec())
}

const EXT: &str = "usr/share/postgresql/15/extension";

/// The image of a Debian-based PostgreSQL with extension `pair`, in two
/// layers: the second deletes an update script, a whole extension and
/// (opaque directory) the contents of `old/` of the first, keeping the
/// files it adds there itself.
fn pair_image_layers() -> Vec<Vec<u8>> {
    let l1 = layer(&[
        file(&format!("{EXT}/pair.control"), CONTROL),
        file(&format!("{EXT}/pair--1.0.sql"), INSTALL),
        file(
            &format!("{EXT}/pair--1.0--1.1.sql"),
            "COPY (SELECT 1) TO PROGRAM 'id';\n",
        ),
        file(&format!("{EXT}/gone.control"), CONTROL),
        file(&format!("{EXT}/gone--1.0.sql"), INSTALL),
        file(&format!("{EXT}/old/old.control"), CONTROL),
        file(&format!("{EXT}/old/old--1.0.sql"), INSTALL),
        // a link the opaque directory of layer 2 removes before it is made
        Entry::Symlink(
            format!("{EXT}/old/old--0.9--1.0.sql").into_bytes(),
            b"old--1.0.sql".to_vec(),
        ),
        file("usr/lib/postgresql/15/lib/pair.so", "ELF"),
        file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
        // absolute target: inside the image
        Entry::Symlink(
            format!("{EXT}/pair--0.9--1.0.sql").into_bytes(),
            format!("/{EXT}/pair--1.0.sql").into_bytes(),
        ),
    ]);
    let l2 = layer(&[
        file(&format!("{EXT}/.wh.pair--1.0--1.1.sql"), ""),
        file(&format!("{EXT}/.wh.gone.control"), ""),
        file(&format!("{EXT}/.wh.gone--1.0.sql"), ""),
        file(&format!("{EXT}/old/new.control"), CONTROL),
        file(&format!("{EXT}/old/new--1.0.sql"), INSTALL),
        file(&format!("{EXT}/old/.wh..wh..opq"), ""),
    ]);
    vec![gzip(&l1), l2]
}

/// A CloudNativePG-style extension image: `share/extension` and `lib` at its root.
fn vec_image_layers() -> Vec<Vec<u8>> {
    vec![zstd_bytes(&layer(&[
        file("share/extension/vec.control", CONTROL),
        file("share/extension/vec--1.0.sql", INSTALL),
        file("lib/vec.so", "ELF"),
    ]))]
}

fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

fn digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// Write an OCI image layout of `images` (name, layers) into `dir`.
fn oci_layout(dir: &Path, images: &[(&str, Vec<Vec<u8>>)]) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let d = digest(data);
        std::fs::write(blobs.join(&d[7..]), data).unwrap();
        serde_json::json!({"digest": d, "size": data.len()})
    };
    let mut manifests = Vec::new();
    for (name, layers) in images {
        let config = put(
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
        );
        let layers: Vec<serde_json::Value> = layers
            .iter()
            .map(|l| {
                let mut d = put(l);
                d["mediaType"] = "application/vnd.oci.image.layer.v1.tar".into();
                d
            })
            .collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config,
            "layers": layers,
        });
        let mut m = put(manifest.to_string().as_bytes());
        m["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
        m["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": name});
        manifests.push(m);
    }
    let index = serde_json::json!({"schemaVersion": 2, "manifests": manifests});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// A `docker save` tar of `images` (tag, layers): manifest.json, ID/layer.tar.
fn docker_save(path: &Path, images: &[(&str, Vec<Vec<u8>>)]) {
    let mut entries = Vec::new();
    let mut manifest = Vec::new();
    for (tag, layers) in images {
        let config = format!("{}.json", &sha256_hex(tag.as_bytes()));
        entries.push(file(&config, "{}"));
        let names: Vec<String> = layers
            .iter()
            .map(|l| {
                let name = format!("{}/layer.tar", sha256_hex(l));
                entries.push(Entry::File(name.clone().into_bytes(), l.clone()));
                name
            })
            .collect();
        manifest.push(serde_json::json!({"Config": config, "RepoTags": [tag], "Layers": names}));
    }
    entries.push(file(
        "manifest.json",
        &serde_json::Value::from(manifest).to_string(),
    ));
    std::fs::write(path, tar_bytes(&entries)).unwrap();
}

fn unit_names(u: &[serde_json::Value]) -> Vec<String> {
    u.iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn oci_layouts_and_docker_save_tars_apply_layers_with_whiteouts() {
    let s = Scratch::new();
    let images = [
        ("registry.example/pg:15", pair_image_layers()),
        ("registry.example/vec:1.0", vec_image_layers()),
    ];
    std::fs::create_dir(s.path("layout")).unwrap();
    oci_layout(&s.path("layout"), &images);
    docker_save(&s.path("saved.tar"), &images);
    // the layout as a tar, as `skopeo copy ... oci-archive:` writes it
    let mut as_tar = Vec::new();
    for e in walkdir(&s.path("layout")) {
        let rel = e.strip_prefix(s.path("layout")).unwrap();
        as_tar.push(Entry::File(
            rel.to_str().unwrap().as_bytes().to_vec(),
            std::fs::read(&e).unwrap(),
        ));
    }
    std::fs::write(s.path("layout.tar"), tar_bytes(&as_tar)).unwrap();
    for input in ["layout", "saved.tar", "layout.tar"] {
        let o = s.scan(&["--format", "jsonl", input]);
        assert_eq!(o.status.code(), Some(1), "{input}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{input}");
        let u = units(&o);
        // whiteouts: no update script with EG101, no `gone`, `old` emptied but `new` kept
        assert_eq!(unit_names(&u), ["new", "pair", "vec"], "{input}");
        assert_eq!(u[1]["package"]["registry"], "oci");
        assert_eq!(
            u[1]["package"]["provides"],
            serde_json::json!(["registry.example/pg:15", "registry.example/vec:1.0"])
        );
        assert!(
            !codes(&u[1]).contains(&"EG101"),
            "{input}: {:?}",
            codes(&u[1])
        );
        let paths: Vec<&str> = u[1]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                format!("{input}!/image-1/{EXT}/pair.control"),
                format!("{input}!/image-1/{EXT}/pair--1.0.sql"),
            ],
            "{input}"
        );
        // the absolute symbolic link is the install script under another name
        assert!(u[1]["files"][1]["links"][0]
            .as_str()
            .unwrap()
            .ends_with("pair--0.9--1.0.sql"));
        assert_eq!(
            u[2]["files"][0]["path"],
            format!("{input}!/image-2/share/extension/vec.control")
        );
        let libs = &u[1]["package"]["shared_objects"];
        assert_eq!(
            libs,
            &serde_json::json!([
                "image-1/usr/lib/postgresql/15/lib/pair.so",
                "image-2/lib/vec.so"
            ]),
            "{input}"
        );
    }
}

/// Regular files under `dir`, sorted.
fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn hostile_images_are_rejected() {
    let s = Scratch::new();
    let cases: [(&str, Vec<Vec<u8>>, &str); 4] = [
        (
            "traversal",
            vec![layer(&[file(
                "usr/share/postgresql/../../../../etc/x.sql",
                "x",
            )])],
            "'..' component (path traversal)",
        ),
        (
            "link-out",
            vec![layer(&[Entry::Symlink(
                format!("{EXT}/x.sql").into_bytes(),
                b"/../../../../etc/passwd".to_vec(),
            )])],
            "points outside the archive",
        ),
        (
            "bomb",
            // 64 MiB of zeros in a file that is not even kept
            vec![gzip(&layer(&[Entry::File(
                b"var/big".to_vec(),
                vec![0; 64 << 20],
            )]))],
            "compression bomb",
        ),
        (
            "truncated",
            vec![gzip(&layer(&[file(&format!("{EXT}/a.control"), CONTROL)]))[..30].to_vec()],
            "layer blobs/sha256/",
        ),
    ];
    for (name, layers, says) in cases {
        let dir = s.path(name);
        std::fs::create_dir(&dir).unwrap();
        oci_layout(&dir, &[(name, layers)]);
        let o = s.scan(&["--format", "jsonl", name]);
        let err = stderr(&o);
        assert!(err.contains(says), "{name}: {err}");
        assert!(err.contains("; archive skipped"), "{name}: {err}");
        assert_eq!(o.status.code(), Some(2), "{name}");
    }
    // a layer altered after the manifest was written (still a valid tar)
    oci_layout(&s.path("layout"), &[("pg", pair_image_layers())]);
    let blob = walkdir(&s.path("layout/blobs"))
        .into_iter()
        .find(|p| std::fs::read(p).unwrap().starts_with(EXT.as_bytes()))
        .unwrap();
    let mut data = std::fs::read(&blob).unwrap();
    let at = data
        .windows(15)
        .position(|w| w == b"default_version")
        .unwrap();
    data[at] = b'D';
    std::fs::write(&blob, data).unwrap();
    let err = stderr(&s.scan(&["layout"]));
    assert!(err.contains(": SHA-256 is "), "{err}");
    assert!(err.contains(", the manifest says sha256:"), "{err}");
    assert!(!s.path("etc").exists());
}

/// What a scan reports, independent of where the files were: per unit its
/// name, kind, version, files and findings (code, message, line, column),
/// paths relative to the package (`pkgs/x.rpm!/usr/...` and
/// `trees/x.rpm/usr/...` are both `x.rpm/usr/...`), sorted.
fn records(o: &Output) -> Vec<String> {
    let rel = |p: &str| {
        p.trim_start_matches("pkgs/")
            .trim_start_matches("trees/")
            .replace("!/", "/")
    };
    let mut out = Vec::new();
    for u in units(o) {
        let head = format!("{} {} {}", u["name"], u["kind"], u["version"]);
        for f in u["files"].as_array().unwrap() {
            out.push(format!("{head} file {}", rel(f["path"].as_str().unwrap())));
            for x in f["findings"].as_array().unwrap() {
                out.push(format!(
                    "{head} {} {}:{}:{} {}",
                    x["code"],
                    rel(x["path"].as_str().unwrap()),
                    x["line"],
                    x["column"],
                    x["message"]
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn one_package_of_each_format_gives_the_records_of_its_unpacked_tree() {
    let s = Scratch::new();
    let pkgs = s.path("pkgs");
    let trees = s.path("trees");
    std::fs::create_dir_all(&pkgs).unwrap();
    std::fs::create_dir_all(&trees).unwrap();
    let put = |root: &Path, rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    // .trunk (without a file outside pgsql/share, which it does not search)
    let trunk = trunk_files(|f| f.retain(|(n, _)| n != "pgsql/doc/example.sql"));
    // digests would list the removed file: rebuilt
    let digests: String = trunk
        .iter()
        .filter(|(n, _)| n != "digests")
        .map(|(n, d)| format!("{}  {n}\n", sha256_hex(d)))
        .collect();
    let trunk: Vec<(String, Vec<u8>)> = trunk
        .into_iter()
        .map(|(n, d)| {
            if n == "digests" {
                (n, digests.clone().into_bytes())
            } else {
                (n, d)
            }
        })
        .collect();
    make_zip(&pkgs.join("pair.trunk"), &trunk);
    for (n, d) in &trunk {
        put(&trees.join("pair.trunk"), n, d);
    }
    // .rpm
    let rpm = rpmbuild_with(&s, "pair15", "w2.xzdio", false);
    std::fs::rename(rpm, pkgs.join("pair15.rpm")).unwrap();
    let ext = trees.join("pair15.rpm/usr/pgsql-15/share/extension");
    put(&ext, "pair.control", CONTROL.as_bytes());
    put(&ext, "pair--1.0.sql", INSTALL.as_bytes());
    std::os::unix::fs::symlink("pair--1.0.sql", ext.join("pair--0.9--1.0.sql")).unwrap();
    std::fs::hard_link(ext.join("pair--1.0.sql"), ext.join("pair--0.8--0.9.sql")).unwrap();
    put(
        &trees.join("pair15.rpm/usr/pgsql-15/lib"),
        "pair.so",
        b"not really ELF",
    );
    // docker save tar and OCI layout of the same two images; their trees
    // are the images' files after the whiteouts
    let images = [
        ("registry.example/pg:15", pair_image_layers()),
        ("registry.example/vec:1.0", vec_image_layers()),
    ];
    docker_save(&pkgs.join("images.tar"), &images);
    std::fs::create_dir(pkgs.join("layout")).unwrap();
    oci_layout(&pkgs.join("layout"), &images);
    for name in ["images.tar", "layout"] {
        let img1 = trees.join(name).join("image-1");
        let e = img1.join(EXT);
        put(&e, "pair.control", CONTROL.as_bytes());
        put(&e, "pair--1.0.sql", INSTALL.as_bytes());
        std::os::unix::fs::symlink("pair--1.0.sql", e.join("pair--0.9--1.0.sql")).unwrap();
        put(&e, "old/new.control", CONTROL.as_bytes());
        put(&e, "old/new--1.0.sql", INSTALL.as_bytes());
        put(&img1, "usr/lib/postgresql/15/lib/pair.so", b"ELF");
        let img2 = trees.join(name).join("image-2");
        put(&img2, "share/extension/vec.control", CONTROL.as_bytes());
        put(&img2, "share/extension/vec--1.0.sql", INSTALL.as_bytes());
        put(&img2, "lib/vec.so", b"ELF");
    }
    // the older formats: PGXN zip, Trunk tar.gz, .deb (xz)
    let ext_files = |prefix: &str| -> Vec<(String, Vec<u8>)> {
        vec![
            (format!("{prefix}pair.control"), CONTROL.into()),
            (format!("{prefix}pair--1.0.sql"), INSTALL.into()),
        ]
    };
    let pgxn = ext_files("pair-1.0/sql/");
    make_zip(&pkgs.join("pair-1.0.zip"), &pgxn);
    let trunk_v1 = ext_files("extension/");
    std::fs::write(
        pkgs.join("pair-pg15.tar.gz"),
        gzip(&tar_bytes(&files_as_entries(&trunk_v1))),
    )
    .unwrap();
    let deb = ext_files("./usr/share/postgresql/15/extension/");
    make_deb(
        &pkgs.join("pair.deb"),
        "data.tar.xz",
        &xz(&tar_bytes(&files_as_entries(&deb))),
    );
    for (dir, files) in [
        ("pair-1.0.zip", &pgxn),
        ("pair-pg15.tar.gz", &trunk_v1),
        ("pair.deb", &deb),
    ] {
        for (n, d) in files {
            put(&trees.join(dir), n.trim_start_matches("./"), d);
        }
    }
    // pg_tle: a SQL file and a JSON package are their own unpacked form
    for root in [&pkgs, &trees] {
        put(root, "tle.sql", tle_file().as_bytes());
        put(
            root,
            "dd.json",
            br#"{"package_name":"dd","package_versions":[{"version":"1.0","sql":"CREATE FUNCTION dd_f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT abs(1)';"}]}"#,
        );
    }
    let packed = s.scan(&["--format", "jsonl", "pkgs"]);
    assert_eq!(packed.status.code(), Some(1), "{}", stderr(&packed));
    assert_eq!(stderr(&packed), "");
    let unpacked = s.scan(&["--format", "jsonl", "trees"]);
    assert_eq!(unpacked.status.code(), Some(1), "{}", stderr(&unpacked));
    let (a, b) = (records(&packed), records(&unpacked));
    // every format is there
    for name in [
        "pair.trunk/",
        "pair15.rpm/",
        "images.tar/image-2/",
        "layout/image-1/",
        "tle.sql",
        "dd.json",
    ] {
        assert!(a.iter().any(|r| r.contains(name)), "{name} missing: {a:#?}");
    }
    assert_eq!(a, b);
}

/// Run a tool the test set-up installs (`make setup-test`).
fn tool(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (make setup-test installs it)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_oci_layout_made_by_umoci_with_its_own_whiteouts() {
    let s = Scratch::new();
    let d = s.dir.path();
    tool(d, "umoci", &["init", "--layout", "img"]);
    tool(d, "umoci", &["new", "--image", "img:pg"]);
    // layer 1: an extension, a script to delete, a directory to replace
    tool(d, "umoci", &["unpack", "--image", "img:pg", "b1"]);
    let ext = d.join("b1/rootfs").join(EXT);
    std::fs::create_dir_all(ext.join("old")).unwrap();
    std::fs::write(ext.join("pair.control"), CONTROL).unwrap();
    std::fs::write(ext.join("pair--1.0.sql"), INSTALL).unwrap();
    std::fs::write(ext.join("gone.control"), CONTROL).unwrap();
    std::fs::write(ext.join("gone--1.0.sql"), INSTALL).unwrap();
    std::fs::write(ext.join("old/old.sql"), "SELECT f(1);\n").unwrap();
    tool(d, "umoci", &["repack", "--image", "img:pg", "b1"]);
    // layer 2, as umoci computes it: whiteouts for what was removed
    tool(d, "umoci", &["unpack", "--image", "img:pg", "b2"]);
    let ext = d.join("b2/rootfs").join(EXT);
    std::fs::remove_file(ext.join("gone.control")).unwrap();
    std::fs::remove_file(ext.join("gone--1.0.sql")).unwrap();
    std::fs::remove_dir_all(ext.join("old")).unwrap();
    std::fs::create_dir(ext.join("old")).unwrap();
    std::fs::write(ext.join("old/new.sql"), "SELECT g(1);\n").unwrap();
    tool(d, "umoci", &["repack", "--image", "img:pg", "b2"]);
    let o = s.scan(&["--format", "jsonl", "img"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let u = units(&o);
    let files: Vec<String> = u
        .iter()
        .flat_map(|u| u["files"].as_array().unwrap())
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        files,
        [
            format!("img!/image-1/{EXT}/pair.control"),
            format!("img!/image-1/{EXT}/pair--1.0.sql"),
            format!("img!/image-1/{EXT}/old/new.sql"),
        ]
    );
    assert_eq!(u[0]["package"]["provides"], serde_json::json!(["pg"]));
    assert!(codes(&u[0]).contains(&"PS003"));
    // the same image copied by skopeo into a docker-archive (what `docker
    // save` writes) and an oci-archive (the layout as a tar): the same
    // files and findings, under each archive's name
    let skopeo = |to: &str| {
        tool(
            d,
            "skopeo",
            &["--insecure-policy", "copy", "oci:img:pg", to],
        )
    };
    skopeo("docker-archive:docker.tar:pair:1.0");
    skopeo("oci-archive:oci.tar:pg");
    let strip = |o: &Output, prefix: &str| -> Vec<String> {
        let mut r: Vec<String> = records(o)
            .into_iter()
            .map(|r| {
                // the unpackaged group is named after the image, which each tool names its own way
                let r = match r.split_once(" (unpackaged)\"") {
                    Some((_, rest)) => format!("\"IMAGE (unpackaged)\"{rest}"),
                    None => r,
                };
                r.replace(&format!("{prefix}/image-"), "IMAGE/image-")
            })
            .collect();
        r.sort();
        r
    };
    let layout = strip(&o, "img");
    assert!(!layout.is_empty());
    for name in ["docker.tar", "oci.tar"] {
        let o = s.scan(&["--format", "jsonl", name]);
        assert_eq!(stderr(&o), "", "{name}");
        assert_eq!(strip(&o, name), layout, "{name}");
    }
}

/// A control file naming its module, and a script with a C function in it.
const C_CONTROL: &str = "default_version = '1.0'\nmodule_pathname = '$libdir/pair'\n";
const C_INSTALL: &str =
    "CREATE FUNCTION pair_c(int) RETURNS int AS 'MODULE_PATHNAME', 'pair_c' LANGUAGE c STRICT;\n";

/// The policy `scan --write-policy` writes for `inputs`, checked against the schema.
fn write_policy(s: &Scratch, inputs: &[&str]) -> serde_json::Value {
    let mut args = vec!["--write-policy", "policy.json", "--format", "jsonl"];
    args.extend(inputs);
    let o = s.scan(&args);
    assert_eq!(stderr(&o), "");
    valid_policy(&s.path("policy.json"))
}

#[test]
fn write_policy_hashes_the_shared_libraries_of_every_package_kind() {
    let s = Scratch::new();
    // each package's library has its own bytes: the digest shows which file was hashed
    let lib = |kind: &str| format!("\x7fELF pair for {kind}");
    let deb_lib = "usr/lib/postgresql/15/lib";
    let deb = [
        file(&format!("./{EXT}/pair.control"), C_CONTROL),
        file(&format!("./{EXT}/pair--1.0.sql"), C_INSTALL),
        file(&format!("./{deb_lib}/pair.so"), &lib("deb")),
        // shipped, named by no script (a LOAD-only module)
        file(&format!("./{deb_lib}/pair_hook.so"), "\x7fELF hook"),
        // JIT bitcode and documentation: not unpacked
        file(&format!("./{deb_lib}/bitcode/pair/pair.bc"), "BC"),
        file("./usr/share/doc/pair/README", "docs"),
    ];
    make_deb(&s.path("pair.deb"), "data.tar.xz", &xz(&layer(&deb)));
    rpmbuild_of(
        &s,
        "pair15",
        "w2.xzdio",
        false,
        [C_CONTROL, C_INSTALL, &lib("rpm")],
    );
    // a CloudNativePG-style image, and a system library that is not PostgreSQL's
    let image = layer(&[
        file("share/extension/pair.control", C_CONTROL),
        file("share/extension/pair--1.0.sql", C_INSTALL),
        file("lib/pair.so", &lib("image")),
        file("usr/lib/x86_64-linux-gnu/libc.so.6", "\x7fELF libc"),
    ]);
    std::fs::create_dir(s.path("img")).unwrap();
    oci_layout(&s.path("img"), &[("pair", vec![gzip(&image)])]);
    // a PGXN binary package
    let trunk = [
        (
            "trunk.json".to_string(),
            br#"{"package":{"name":"pair","version":"1.0.0"}}"#.to_vec(),
        ),
        (
            "pgsql/share/extension/pair.control".into(),
            C_CONTROL.into(),
        ),
        (
            "pgsql/share/extension/pair--1.0.sql".into(),
            C_INSTALL.into(),
        ),
        ("pgsql/pkglib/pair.so".into(), lib("trunk").into_bytes()),
    ];
    let mut trunk = trunk.to_vec();
    let digests: String = trunk
        .iter()
        .map(|(n, d)| format!("{}  {n}\n", sha256_hex(d)))
        .collect();
    trunk.push(("digests".into(), digests.into_bytes()));
    make_zip(&s.path("pair.trunk"), &trunk);
    // a Trunk archive: extension/ next to the library
    let tgz = [
        ("manifest.json".to_string(), br#"{"name":"pair","extension_name":"pair","version":"1.0","files":{"pair.so":"shared-object"}}"#.to_vec()),
        ("extension/pair.control".into(), C_CONTROL.into()),
        ("extension/pair--1.0.sql".into(), C_INSTALL.into()),
        ("pair.so".into(), lib("tar.gz").into_bytes()),
    ];
    std::fs::write(
        s.path("pair.tar.gz"),
        gzip(&tar_bytes(&files_as_entries(&tgz))),
    )
    .unwrap();
    // an installed tree (a DESTDIR), scanned as a directory
    write_tree(
        &s.path("tree"),
        &[
            (format!("{EXT}/pair.control"), C_CONTROL.into()),
            (format!("{EXT}/pair--1.0.sql"), C_INSTALL.into()),
            (format!("{deb_lib}/pair.so"), lib("tree").into_bytes()),
            (
                "usr/lib/x86_64-linux-gnu/libc.so.6".into(),
                b"\x7fELF libc".to_vec(),
            ),
            // a version in the library's name: `.so` is still appended
            (
                format!("{EXT}/ver.control"),
                C_CONTROL.replace("pair", "ver-1.2").into_bytes(),
            ),
            (format!("{EXT}/ver--1.0.sql"), C_INSTALL.into()),
            (format!("{deb_lib}/ver-1.2.so"), b"\x7fELF ver".to_vec()),
        ],
    );
    let inputs = [
        "pair.deb",
        "pair15.rpm",
        "img",
        "pair.trunk",
        "pair.tar.gz",
        "tree",
    ];
    let policy = write_policy(&s, &inputs);
    let entries = policy["extensions"].as_array().unwrap();
    let ver = entries.iter().find(|e| e["name"] == "ver").unwrap();
    assert_eq!(
        ver["libraries"],
        serde_json::json!([{"file": "ver-1.2.so", "sha256": sha256_hex(b"\x7fELF ver"), "reference": "$libdir/ver-1.2"}])
    );
    let entries: Vec<&serde_json::Value> = entries.iter().filter(|e| e["name"] == "pair").collect();
    assert_eq!(entries.len(), inputs.len(), "{policy:#}");
    for (e, kind) in entries
        .iter()
        .zip(["deb", "rpm", "image", "trunk", "tar.gz", "tree"])
    {
        assert_eq!(e["name"], "pair");
        assert_eq!(
            e["libraries"],
            serde_json::json!([{"file": "pair.so", "sha256": sha256_hex(lib(kind).as_bytes()), "reference": "$libdir/pair"}]),
            "{kind}: {e:#}"
        );
        assert_eq!(e["unresolved_libraries"], serde_json::json!([]), "{kind}");
    }
    // every library each package ships, and only PostgreSQL's of the image and the tree
    let shipped: Vec<(String, String, String)> = policy["package_libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_string(),
                l["path"].as_str().unwrap().to_string(),
                l["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let tree = "tree".to_string();
    let want = [
        (
            "pair.deb".to_string(),
            format!("pair.deb!/{deb_lib}/pair.so"),
            lib("deb"),
        ),
        (
            "pair.deb".into(),
            format!("pair.deb!/{deb_lib}/pair_hook.so"),
            "\x7fELF hook".into(),
        ),
        (
            "pair15.rpm".into(),
            "pair15.rpm!/usr/pgsql-15/lib/pair.so".into(),
            lib("rpm"),
        ),
        (
            "img".into(),
            "img!/image-1/lib/pair.so".into(),
            lib("image"),
        ),
        (
            "pair.trunk".into(),
            "pair.trunk!/pgsql/pkglib/pair.so".into(),
            lib("trunk"),
        ),
        (
            "pair.tar.gz".into(),
            "pair.tar.gz!/pair.so".into(),
            lib("tar.gz"),
        ),
        (
            tree.clone(),
            format!("{tree}/{deb_lib}/pair.so"),
            lib("tree"),
        ),
        (
            tree.clone(),
            format!("{tree}/{deb_lib}/ver-1.2.so"),
            "\x7fELF ver".into(),
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .into_iter()
        .map(|(a, b, c)| (a, b, sha256_hex(c.as_bytes())))
        .collect();
    assert_eq!(shipped, want);
}

#[test]
fn tar_entries_declaring_more_than_the_cap_are_refused_before_reading() {
    let s = Scratch::new();
    // a header declaring 5 GiB (base-256 size field), and no data at all
    let mut h = tar::Header::new_gnu();
    h.set_path("extension/huge.sql").unwrap();
    h.set_size(5 << 30);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.extend([0u8; 1024]);
    std::fs::write(s.path("huge.tar.gz"), gzip(&raw)).unwrap();
    let o = s.scan(&["--format", "jsonl", "huge.tar.gz"]);
    assert_eq!(
        stderr(&o).trim_end(),
        "extguard: huge.tar.gz: entry 'extension/huge.sql' declares 5368709120 bytes, more than 1073741824 (--max-unpacked-size); archive skipped"
    );
    // allowed past 4 GiB: read, and the missing data is a truncated archive
    let o = s.scan(&[
        "--format",
        "jsonl",
        "--max-unpacked-size",
        "8589934592",
        "huge.tar.gz",
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("huge.tar.gz: ") && err.contains("truncated"),
        "{err}"
    );
    assert_eq!(o.status.code(), Some(2));
}

/// An OCI layout of one multi-platform image: index.json names an image
/// index listing one manifest per platform of `platforms` (with its
/// layers), and a BuildKit attestation manifest.
fn oci_multi_platform(dir: &Path, name: &str, platforms: &[(&str, &str, Vec<Vec<u8>>)]) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8], media: &str| {
        let d = digest(data);
        std::fs::write(blobs.join(&d[7..]), data).unwrap();
        serde_json::json!({"mediaType": media, "digest": d, "size": data.len()})
    };
    let manifest = |layers: &[Vec<u8>]| {
        let config = put(
            br#"{"rootfs":{"type":"layers","diff_ids":[]}}"#,
            "application/vnd.oci.image.config.v1+json",
        );
        let layers: Vec<serde_json::Value> = layers
            .iter()
            .map(|l| put(l, "application/vnd.oci.image.layer.v1.tar"))
            .collect();
        let m = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": layers});
        put(
            m.to_string().as_bytes(),
            "application/vnd.oci.image.manifest.v1+json",
        )
    };
    let mut list = Vec::new();
    for (os, arch, layers) in platforms {
        let mut d = manifest(layers);
        let (arch, variant) = arch.split_once('/').unwrap_or((arch, ""));
        d["platform"] = serde_json::json!({"os": os, "architecture": arch, "variant": variant});
        list.push(d);
    }
    let mut att = manifest(&[b"{\"predicate\": {}}".to_vec()]);
    att["platform"] = serde_json::json!({"os": "unknown", "architecture": "unknown"});
    att["annotations"] = serde_json::json!({"vnd.docker.reference.type": "attestation-manifest"});
    list.push(att);
    let nested = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": list});
    let mut top = put(
        nested.to_string().as_bytes(),
        "application/vnd.oci.image.index.v1+json",
    );
    top["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": name});
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [top]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn multi_platform_images_are_read_per_platform_or_for_the_one_asked() {
    let s = Scratch::new();
    let image = |arch: &str| {
        vec![gzip(&layer(&[
            file("share/extension/pair.control", C_CONTROL),
            file("share/extension/pair--1.0.sql", C_INSTALL),
            file("lib/pair.so", &format!("\x7fELF {arch}")),
        ]))]
    };
    std::fs::create_dir(s.path("multi")).unwrap();
    oci_multi_platform(
        &s.path("multi"),
        "pair:1.0",
        &[
            ("linux", "amd64", image("amd64")),
            ("linux", "arm64/v8", image("arm64")),
        ],
    );
    // every platform, each in a directory naming it; the attestation is no image
    let o = s.scan(&[
        "--format",
        "jsonl",
        "--write-policy",
        "policy.json",
        "multi",
    ]);
    assert_eq!(stderr(&o), "");
    let u = units(&o);
    let controls: Vec<&str> = u
        .iter()
        .map(|u| u["files"][0]["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        controls,
        [
            "multi!/image-1-linux-amd64/share/extension/pair.control",
            "multi!/image-2-linux-arm64-v8/share/extension/pair.control"
        ]
    );
    let images = &u[0]["package"]["images"];
    assert_eq!(images.as_array().unwrap().len(), 2, "{images:#}");
    assert_eq!(images[1]["dir"], "image-2-linux-arm64-v8");
    assert_eq!(images[1]["platform"], "linux/arm64/v8");
    assert_eq!(images[1]["name"], "pair:1.0");
    assert!(images[1]["manifest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    // the policy hashes each platform's library
    let policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("policy.json")).unwrap()).unwrap();
    let libs: Vec<&str> = policy["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["libraries"][0]["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(
        libs,
        [sha256_hex(b"\x7fELF amd64"), sha256_hex(b"\x7fELF arm64")]
    );
    // one platform (a variant is matched by its architecture)
    let o = s.scan(&["--format", "jsonl", "--platform", "linux/arm64", "multi"]);
    assert_eq!(stderr(&o), "");
    let u = units(&o);
    assert_eq!(u.len(), 1);
    assert_eq!(
        u[0]["files"][0]["path"],
        "multi!/image-1-linux-arm64-v8/share/extension/pair.control"
    );
    // a platform the index does not have: an input error naming those it has
    let o = s.scan(&["--format", "jsonl", "--platform", "linux/s390x", "multi"]);
    assert_eq!(
        stderr(&o).trim_end(),
        "extguard: multi: no image for platform linux/s390x (--platform); the index has linux/amd64, linux/arm64/v8; archive skipped"
    );
    assert_eq!(o.status.code(), Some(2));
}
