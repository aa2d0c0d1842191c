//! PGXN binary packages (`.trunk`): a zip (or gzip-compressed tar) holding
//! `trunk.json`, a `digests` file and a `pgsql/` tree laid out like an
//! installation (`pgsql/share/extension`, `pgsql/pkglib`, ...).
//!
//! Every file of the package is checked against `digests` (SHA-256, lines
//! as `sha256sum` or `shasum --tag` writes them); a difference is an EG010
//! finding on the `digests` line that lists the file (or on its first line
//! for a file it does not list). Only `pgsql/share` is searched for
//! extensions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::inputs::Package;
use crate::finding::Finding;
use crate::rules;
use crate::source::SourceFile;
use crate::span::Span;

/// The directory holding `trunk.json`: the root, or its single top-level directory.
pub fn package_dir(root: &Path) -> Option<PathBuf> {
    if root.join("trunk.json").is_file() {
        return Some(root.to_path_buf());
    }
    let dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    match dirs.as_slice() {
        [d] if d.join("trunk.json").is_file() => Some(d.clone()),
        _ => None,
    }
}

/// `trunk.json` as package metadata: `package.name`/`package.version` (or
/// top-level `name`/`version`), and the shared libraries under `pgsql/`.
pub fn read_package(dir: &Path) -> Result<Package, String> {
    let text = std::fs::read(dir.join("trunk.json")).map_err(|e| format!("trunk.json: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("trunk.json: invalid JSON: {e}"))?;
    let field = |key: &str| {
        json.get("package")
            .and_then(|p| p.get(key))
            .or_else(|| json.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut files = Vec::new();
    files_under(dir, Path::new(""), &mut files);
    Ok(Package {
        registry: "pgxn-trunk",
        name: field("name"),
        version: field("version"),
        provides: field("name").into_iter().collect(),
        shared_objects: files
            .into_iter()
            .filter(|p| super::is_shared_library(p))
            .map(|p| p.display().to_string())
            .collect(),
        preload_libraries: Vec::new(),
        images: Vec::new(),
        claims: None,
    })
}

/// Regular files under `dir/rel` (following the links the unpacker made),
/// relative to `dir`, sorted.
pub fn files_under(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir.join(rel)) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let r = rel.join(e.file_name());
        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
        match std::fs::metadata(e.path()) {
            Ok(m) if m.is_dir() && !is_link => files_under(dir, &r, out),
            Ok(m) if m.is_file() => out.push(r),
            _ => {}
        }
    }
}

/// One line of `digests`: `HEX  PATH`, `HEX *PATH` or `SHA256 (PATH) = HEX`.
fn parse_line(line: &str) -> Option<(String, String)> {
    let line = line.trim_end_matches('\r');
    if let Some(rest) = line.strip_prefix("SHA256 (") {
        let (path, hex) = rest.rsplit_once(") = ")?;
        return Some((path.to_string(), hex.trim().to_ascii_lowercase()));
    }
    let (hex, path) = line.split_once(' ')?;
    let path = path.strip_prefix([' ', '*']).unwrap_or(path);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| (path.to_string(), hex.to_ascii_lowercase()))
}

/// Check every file under `dir` against `dir/digests`. Returns the
/// `digests` file (or `trunk.json` when there is none) and its EG010
/// findings; no findings when everything matches.
pub fn verify(dir: &Path) -> (SourceFile, Vec<Finding>) {
    let digests_path = dir.join("digests");
    let Ok(bytes) = std::fs::read(&digests_path) else {
        let path = dir.join("trunk.json");
        let file = SourceFile::new(
            path.display().to_string(),
            &std::fs::read(&path).unwrap_or_default(),
        );
        let f = finding(
            &file,
            Span::new(0, 0),
            "the package has no digests file: none of its files can be verified".into(),
        );
        return (file, vec![f]);
    };
    let file = SourceFile::new(digests_path.display().to_string(), &bytes);
    let mut listed: BTreeMap<String, (String, Span)> = BTreeMap::new();
    let mut findings = Vec::new();
    let mut at = 0;
    for line in file.text.split_inclusive('\n') {
        let span = Span::new(at, at + line.trim_end().len());
        at += line.len();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line.trim_end_matches('\n')) {
            Some((p, hex)) => {
                listed.insert(p.trim_start_matches("./").to_string(), (hex, span));
            }
            None => findings.push(finding(
                &file,
                span,
                "line is not a SHA-256 digest (`HEX  PATH` or `SHA256 (PATH) = HEX`)".into(),
            )),
        }
    }
    let mut files = Vec::new();
    files_under(dir, Path::new(""), &mut files);
    for rel in files {
        let name = rel.display().to_string();
        if name == "digests" {
            continue;
        }
        match listed.remove(&name) {
            None => findings.push(finding(
                &file,
                Span::new(0, 0),
                format!("{name} is in the package but not listed in digests"),
            )),
            Some((want, span)) => match crate::policy::sha256_file(&dir.join(&rel)) {
                Ok(got) if got == want => {}
                Ok(got) => findings.push(finding(
                    &file,
                    span,
                    format!("{name}: SHA-256 is {got}, digests says {want}"),
                )),
                Err(e) => findings.push(finding(&file, span, format!("{name}: {e}"))),
            },
        }
    }
    for (name, (_, span)) in listed {
        findings.push(finding(
            &file,
            span,
            format!("{name} is listed in digests but not in the package"),
        ));
    }
    (file, findings)
}

fn finding(file: &SourceFile, span: Span, message: String) -> Finding {
    Finding::at(file, &rules::EG010, span, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_lines_in_both_styles() {
        let h = "ab".repeat(32);
        assert_eq!(
            parse_line(&format!("{h}  pgsql/a b.sql")),
            Some(("pgsql/a b.sql".into(), h.clone()))
        );
        assert_eq!(
            parse_line(&format!("{h} *x")),
            Some(("x".into(), h.clone()))
        );
        assert_eq!(
            parse_line(&format!("SHA256 (pgsql/x) = {}", h.to_uppercase())),
            Some(("pgsql/x".into(), h.clone()))
        );
        assert_eq!(parse_line("abc  x"), None);
    }
}
