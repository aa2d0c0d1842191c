//! What a run reads: the command-line paths turned into an ordered list
//! of [`Source`]s (files, stdin, directory trees and archives), and the
//! registry metadata found in unpacked archives (PGXN `META.json`, Trunk
//! `manifest.json`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::archive::ArchiveKind;
use super::{Mode, Options};

/// One input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory tree, searched for control and SQL files; with the
    /// number of archives found under it (each its own source after it).
    Dir(PathBuf, usize),
    /// An archive, unpacked into a temporary directory first.
    Archive(PathBuf, ArchiveKind),
    /// A file named on the command line (SQL, or a Wasm module).
    File(PathBuf),
    /// Standard input (`-`), SQL.
    Stdin,
    /// A database.dev-style JSON package of pg_tle scripts.
    TleJson(PathBuf),
}

impl Source {
    pub fn path(&self) -> &Path {
        match self {
            Source::Dir(p, _) | Source::Archive(p, _) | Source::File(p) | Source::TleJson(p) => p,
            Source::Stdin => Path::new("-"),
        }
    }
}

/// Turn the command line's paths into sources, in a stable order: each
/// path in the order given; no path at all is stdin ([`Mode::Check`]). A
/// directory is a tree, and with [`Mode::Scan`] every archive found under
/// it follows it (sorted by path, excludes applied). Directory cycles
/// through symbolic links are reported once and not followed. Paths that
/// cannot be read, and in a scan files that are neither archives nor SQL
/// nor Wasm, become errors.
pub fn collect_sources(paths: &[PathBuf], opts: &Options, errors: &mut Vec<String>) -> Vec<Source> {
    let check = opts.mode == Mode::Check;
    if paths.is_empty() && check {
        return vec![Source::Stdin];
    }
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str().is_empty() {
            errors.push("'': an empty path names no file".into());
        } else if p.as_os_str() == "-" {
            if check {
                out.push(Source::Stdin);
            } else {
                errors.push(
                    "-: a scan does not read stdin (give directories, archives or SQL files)"
                        .into(),
                );
            }
        } else if !check && is_oci_layout(p) {
            out.push(Source::Archive(p.clone(), ArchiveKind::OciDir));
        } else if p.is_dir() {
            let mut archives = Vec::new();
            if !check {
                // Cycles are reported by extension::discover for the same tree.
                find_archives(p, &mut archives, &mut Vec::new(), 0);
                archives.retain(|a| !opts.config.excluded_under(p, a));
                archives.sort();
            }
            out.push(Source::Dir(p.clone(), archives.len()));
            out.extend(archives.into_iter().map(|a| match ArchiveKind::of(&a) {
                _ if a.is_dir() => Source::Archive(a, ArchiveKind::OciDir),
                Some(k) => Source::Archive(a, k),
                None => Source::TleJson(a),
            }));
        } else if let Some(kind) = ArchiveKind::of(p) {
            if p.is_file() {
                out.push(Source::Archive(p.clone(), kind));
            } else {
                errors.push(format!("{}: no such file", p.display()));
            }
        } else if p.extension().is_some_and(|e| e == "json")
            && p.is_file()
            && (!check || is_json_package(p))
        {
            out.push(Source::TleJson(p.clone()));
        } else if check || (p.exists() && is_sql_or_wasm(p)) {
            // check: any file is SQL; unreadable ones are reported when read
            out.push(Source::File(p.clone()));
        } else if p.exists() {
            errors.push(format!(
                "{}: not a directory, package (.zip, .tar.gz, .tgz, .deb, .trunk, .rpm, .tar, .json), SQL file or Wasm module",
                p.display()
            ));
        } else {
            errors.push(format!("{}: no such file or directory", p.display()));
        }
    }
    out
}

fn is_sql_or_wasm(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "sql") || crate::wasm::is_wasm_path(p)
}

/// A directory holding an OCI image layout.
pub fn is_oci_layout(p: &Path) -> bool {
    p.is_dir() && p.join("oci-layout").is_file() && p.join("index.json").is_file()
}

/// A `.json` file of at most 64 MiB that is a database.dev package (other
/// JSON files found in a tree, broken ones included, are not inputs).
fn is_json_package(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "json")
        && std::fs::metadata(p).is_ok_and(|m| m.len() <= 64 << 20)
        && std::fs::read(p).is_ok_and(|b| {
            let text = String::from_utf8_lossy(&b);
            super::pgtle::may_be_json_package(&text)
                && super::pgtle::find_json_packages(&text).is_ok_and(|p| !p.is_empty())
        })
}

/// Archives and JSON packages under `dir`.
fn find_archives(dir: &Path, out: &mut Vec<PathBuf>, seen: &mut Vec<PathBuf>, depth: usize) {
    let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if depth > 64 || seen.contains(&canon) {
        return;
    }
    seen.push(canon);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if is_oci_layout(&p) {
                out.push(p);
            } else if p.is_dir() {
                find_archives(&p, out, seen, depth + 1);
            } else if (ArchiveKind::of(&p).is_some() || is_json_package(&p)) && p.is_file() {
                out.push(p);
            }
        }
    }
    seen.pop();
}

/// Registry metadata of an archive, when it has some.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Package {
    /// `pgxn` (META.json) or `trunk` (manifest.json).
    pub registry: &'static str,
    pub name: Option<String>,
    pub version: Option<String>,
    /// PGXN `provides` keys, or Trunk's extension name.
    pub provides: Vec<String>,
    /// Shared libraries a Trunk archive declares (`shared-object` files):
    /// native code, outside what SQL analysis covers.
    pub shared_objects: Vec<String>,
    /// Trunk `loadable_libraries` with `requires_restart`, PGXN v2
    /// `contents.modules` with `"preload": "server"`: they must be in
    /// `shared_preload_libraries`, a server-wide change.
    pub preload_libraries: Vec<String>,
    /// The images of a container image input: which manifest of which
    /// platform was read into which `image-N` directory.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageRef>,
    /// What the metadata claims about its extensions, checked against
    /// their scripts and verdicts (EG123).
    #[serde(skip)]
    pub claims: Option<Claims>,
}

/// One image of a container image input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// Its directory in the unpacked tree (`image-1`, `image-2-linux-arm64-v8`).
    pub dir: String,
    /// Its name (`org.opencontainers.image.ref.name`, a docker tag).
    pub name: Option<String>,
    /// `os/arch[/variant]`, as the index says.
    pub platform: Option<String>,
    /// The digest of its manifest (OCI layouts).
    pub manifest: Option<String>,
}

/// Claims a package's metadata makes about its extensions and modules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The metadata file (`META.json`, `manifest.json`) as unpacked.
    pub file: PathBuf,
    /// Extensions PGXN v2's `contents.extensions.NAME.tle` says may be
    /// installed as pg_tle Trusted Language Extensions.
    pub tle: Vec<String>,
    /// Libraries that must be preloaded: (library as the metadata names
    /// it, `server` or `session`).
    pub preload: Vec<(String, String)>,
}

/// Read `META.json` (at the root or in the single top-level directory) or
/// `manifest.json` of an unpacked archive. A file that exists but is not
/// valid JSON is an error.
pub fn read_package(root: &Path) -> Result<Option<Package>, String> {
    let mut candidates = vec![root.to_path_buf()];
    if let Ok(rd) = std::fs::read_dir(root) {
        let dirs: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        if dirs.len() == 1 {
            candidates.push(dirs[0].clone());
        }
    }
    for dir in &candidates {
        for (file, registry) in [("META.json", "pgxn"), ("manifest.json", "trunk")] {
            let path = dir.join(file);
            if !path.is_file() {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let text = std::fs::read(&path).map_err(|e| format!("{rel}: {e}"))?;
            let json: serde_json::Value =
                serde_json::from_slice(&text).map_err(|e| format!("{rel}: invalid JSON: {e}"))?;
            let mut pkg = Package {
                registry,
                name: str_field(&json, "name"),
                version: str_field(&json, "version"),
                ..Package::default()
            };
            let mut claims = Claims {
                file: path.clone(),
                ..Claims::default()
            };
            if registry == "pgxn" {
                if let Some(p) = json.get("provides").and_then(|p| p.as_object()) {
                    pkg.provides = p.keys().cloned().collect();
                }
                // META v2: contents.extensions (tle), contents.modules (preload)
                let contents = json.get("contents");
                if let Some(exts) = contents
                    .and_then(|c| c.get("extensions"))
                    .and_then(|e| e.as_object())
                {
                    pkg.provides.extend(exts.keys().cloned());
                    pkg.provides.sort();
                    pkg.provides.dedup();
                    claims.tle = exts
                        .iter()
                        .filter(|(_, e)| e["tle"].as_bool() == Some(true))
                        .map(|(n, _)| n.clone())
                        .collect();
                }
                if let Some(mods) = contents
                    .and_then(|c| c.get("modules"))
                    .and_then(|m| m.as_object())
                {
                    for (name, m) in mods {
                        if let Some(when) = m["preload"].as_str() {
                            let lib = m["lib"].as_str().unwrap_or(name).to_string();
                            if when == "server" {
                                pkg.preload_libraries.push(lib.clone());
                            }
                            claims.preload.push((lib, when.to_string()));
                        }
                    }
                }
            } else {
                pkg.provides.extend(str_field(&json, "extension_name"));
                if let Some(files) = json.get("files").and_then(|f| f.as_object()) {
                    pkg.shared_objects = files
                        .iter()
                        .filter(|(_, t)| t.as_str() == Some("shared-object"))
                        .map(|(p, _)| p.clone())
                        .collect();
                }
                if let Some(libs) = json.get("loadable_libraries").and_then(|l| l.as_array()) {
                    pkg.preload_libraries = libs
                        .iter()
                        .filter(|l| l["requires_restart"].as_bool() == Some(true))
                        .filter_map(|l| l["library_name"].as_str().map(str::to_string))
                        .collect();
                }
                claims.preload = pkg
                    .preload_libraries
                    .iter()
                    .map(|l| (l.clone(), "server".to_string()))
                    .collect();
            }
            if !claims.tle.is_empty() || !claims.preload.is_empty() {
                pkg.claims = Some(claims);
            }
            return Ok(Some(pkg));
        }
    }
    Ok(None)
}

fn str_field(json: &serde_json::Value, key: &str) -> Option<String> {
    json.get(key).and_then(|v| v.as_str()).map(str::to_string)
}
