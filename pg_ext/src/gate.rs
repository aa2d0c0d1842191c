//! The digest gate, safe part: the policy written by `extguard scan
//! --write-policy` (docs/policy.md), how a file on disk is matched against
//! it, control-file parsing and PostgreSQL's library-name resolution.
//!
//! Plain Rust on plain data (policy text, paths, a file-existence
//! predicate), unit-tested without a server. The FFI side
//! (`hooks::gate`) finds the files PostgreSQL is about to run or load and
//! reports those that are not vetted as vector `unvetted_code`.
//!
//! How a file matches:
//! - a control file, a secondary control file (`name--version.control`) or
//!   a script of extension `name`: an entry of `name` in the policy lists
//!   a control file or script with the same file name (no directory) and
//!   the same sha256;
//! - a shared library: some entry, or `package_libraries`, lists a library
//!   with the same file name (`cube.so`) and the same sha256. The bytes are what was vetted; the
//!   name ties them to the reference the scanned SQL makes, so the vetted
//!   bytes of one library do not vet another name, and a vetted name with
//!   other bytes (a swapped file) is not vetted.

use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The only policy layout this gate reads.
pub const POLICY_VERSION: u64 = 1;

/// The files a policy vets, indexed for lookups.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Per extension name: file name -> the sha256 values listed for it
    /// (control files and scripts).
    extensions: HashMap<String, HashMap<String, BTreeSet<String>>>,
    /// Library file name -> the sha256 values listed for it.
    libraries: HashMap<String, BTreeSet<String>>,
}

/// What the gate says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Vetted,
    /// Not vetted: the digests the policy lists for this file (empty: the
    /// file is not in the policy).
    Unvetted {
        expected: Vec<String>,
    },
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Policy {
    /// Parse a policy file's text. Errors say what is wrong (the caller
    /// names the file).
    pub fn parse(text: &str) -> Result<Policy, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        match v.get("policy_version").and_then(|x| x.as_u64()) {
            None => return Err("not an extguard policy (no policy_version)".into()),
            Some(POLICY_VERSION) => {}
            Some(n) => {
                return Err(format!(
                    "policy_version {n} is not supported (this extguard reads version {POLICY_VERSION})"
                ))
            }
        }
        if let Some(h) = v.get("hash") {
            if h.as_str() != Some("sha256") {
                return Err(format!("hash {h} is not supported (only \"sha256\")"));
            }
        }
        let entries = v
            .get("extensions")
            .and_then(|e| e.as_array())
            .ok_or("no \"extensions\" array")?;
        let mut p = Policy::default();
        for (i, e) in entries.iter().enumerate() {
            let name = e
                .get("name")
                .and_then(|n| n.as_str())
                .ok_or_else(|| format!("extensions[{i}]: no name"))?;
            let digest = |f: &serde_json::Value, what: &str| -> Result<(String, String), String> {
                let file = f.get("file").and_then(|x| x.as_str());
                let sha = f.get("sha256").and_then(|x| x.as_str());
                match (file, sha) {
                    (Some(file), Some(sha)) if is_sha256(sha) => {
                        Ok((file_name(file).to_string(), sha.to_ascii_lowercase()))
                    }
                    _ => Err(format!(
                        "extensions[{i}] ({name}): {what} needs \"file\" and a 64-digit hex \"sha256\""
                    )),
                }
            };
            let files = p.extensions.entry(name.to_string()).or_default();
            let control = e
                .get("control")
                .ok_or_else(|| format!("extensions[{i}] ({name}): no control"))?;
            let mut add = |(f, s): (String, String)| {
                files.entry(f).or_default().insert(s);
            };
            add(digest(control, "control")?);
            for s in e
                .get("scripts")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                add(digest(s, "a script")?);
            }
            for l in e
                .get("libraries")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                let (f, s) = digest(l, "a library")?;
                p.libraries.entry(f).or_default().insert(s);
            }
        }
        // Every library the scanned packages ship (optional in version 1).
        for (i, l) in v
            .get("package_libraries")
            .and_then(|x| x.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            let file = l.get("file").and_then(|x| x.as_str());
            let sha = l.get("sha256").and_then(|x| x.as_str());
            match (file, sha) {
                (Some(file), Some(sha)) if is_sha256(sha) => {
                    p.libraries
                        .entry(file_name(file).to_string())
                        .or_default()
                        .insert(sha.to_ascii_lowercase());
                }
                _ => {
                    return Err(format!(
                        "package_libraries[{i}] needs \"file\" and a 64-digit hex \"sha256\""
                    ))
                }
            }
        }
        Ok(p)
    }

    /// A control file or script of extension `extension` (`file`: its
    /// path or name) with digest `sha256`.
    pub fn extension_file(&self, extension: &str, file: &str, sha256: &str) -> Verdict {
        let listed = self
            .extensions
            .get(extension)
            .and_then(|files| files.get(file_name(file)));
        verdict(listed, sha256)
    }

    /// A shared library (`file`: its resolved path) with digest `sha256`.
    pub fn library(&self, file: &str, sha256: &str) -> Verdict {
        verdict(self.libraries.get(file_name(file)), sha256)
    }

    /// Number of extension names in the policy.
    pub fn extension_count(&self) -> usize {
        self.extensions.len()
    }
}

fn verdict(listed: Option<&BTreeSet<String>>, sha256: &str) -> Verdict {
    match listed {
        Some(set) if set.contains(sha256) => Verdict::Vetted,
        Some(set) => Verdict::Unvetted {
            expected: set.iter().cloned().collect(),
        },
        None => Verdict::Unvetted {
            expected: Vec::new(),
        },
    }
}

/// The `detail` of an `unvetted_code` record.
pub fn unvetted_detail(what: &str, path: &str, verdict: &Verdict, actual: &str) -> Option<String> {
    match verdict {
        Verdict::Vetted => None,
        Verdict::Unvetted { expected } => {
            let expected = if expected.is_empty() {
                "not in policy".to_string()
            } else {
                format!("expected sha256 {}", expected.join(" or "))
            };
            Some(format!("{what} {path}: {expected}; actual {actual}"))
        }
    }
}

/// sha256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The parameters of a control file the gate needs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Control {
    pub directory: Option<String>,
    pub requires: Vec<String>,
}

/// Parse a control file (PostgreSQL's configuration-file syntax: `name =
/// value`, value quoted with `'...'` (`''` or `\'` for a quote) or bare,
/// `#` comments).
pub fn parse_control(text: &str) -> Control {
    let mut c = Control::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, rest)) = line.split_once('=').or_else(|| {
            // `name value` without '=' is accepted too
            line.split_once(char::is_whitespace)
        }) else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let rest = rest.trim();
        let value = if let Some(q) = rest.strip_prefix('\'') {
            let mut out = String::new();
            let mut chars = q.chars().peekable();
            while let Some(ch) = chars.next() {
                match ch {
                    '\'' if chars.peek() == Some(&'\'') => {
                        chars.next();
                        out.push('\'');
                    }
                    '\'' => break,
                    '\\' => {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    }
                    _ => out.push(ch),
                }
            }
            out
        } else {
            rest.split('#').next().unwrap_or("").trim().to_string()
        };
        match key.as_str() {
            "directory" => c.directory = Some(value),
            "requires" => {
                c.requires = value
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            _ => {}
        }
    }
    c
}

/// Where PostgreSQL reads an extension's scripts and secondary control
/// files: the control file's `directory` (absolute, or relative to
/// `base`: the share directory, or on 18 the `extension_control_path`
/// element the control file was found under), else the directory holding
/// the control file.
pub fn script_directory(control_dir: &Path, base: &Path, directory: Option<&str>) -> PathBuf {
    match directory {
        None | Some("") => control_dir.to_path_buf(),
        Some(d) if d.starts_with('/') => PathBuf::from(d),
        Some(d) => base.join(d),
    }
}

/// Whether `file` (a name in the script directory) is a script or
/// secondary control file of extension `name` (`name--*.sql`,
/// `name--*.control`).
pub fn is_extension_file(name: &str, file: &str) -> bool {
    file.strip_prefix(name)
        .and_then(|rest| rest.strip_prefix("--"))
        .is_some_and(|rest| rest.ends_with(".sql") || rest.ends_with(".control"))
}

/// Why a library name cannot be resolved the way PostgreSQL would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// A `$macro` other than `$libdir` (PostgreSQL raises an error too).
    BadMacro(String),
}

/// `$libdir` substituted as PostgreSQL's `substitute_libpath_macro` does.
fn substitute_libdir(name: &str, pkglibdir: &str) -> Result<String, ResolveError> {
    if !name.starts_with('$') {
        return Ok(name.to_string());
    }
    let end = name.find('/').unwrap_or(name.len());
    if &name[..end] != "$libdir" {
        return Err(ResolveError::BadMacro(name[..end].to_string()));
    }
    Ok(format!("{pkglibdir}{}", &name[end..]))
}

/// The file PostgreSQL's `expand_dynamic_library_name` picks for `name`:
/// a name with a `/` is a path (`$libdir` substituted), tried as written
/// then with `dlsuffix`; a bare name is searched in `dynamic_library_path`
/// (`:`-separated, `$libdir` substituted, relative elements skipped as
/// PostgreSQL refuses them), then with `dlsuffix`. `Ok(None)`: not found
/// (PostgreSQL then tries the name as written, relative to the data
/// directory). `is_file`: a regular file exists at the path.
pub fn resolve_library(
    name: &str,
    pkglibdir: &str,
    dynamic_library_path: &str,
    dlsuffix: &str,
    is_file: &dyn Fn(&Path) -> bool,
) -> Result<Option<PathBuf>, ResolveError> {
    let with_suffix = format!("{name}{dlsuffix}");
    for candidate in [name, with_suffix.as_str()] {
        if candidate.contains('/') {
            let full = substitute_libdir(candidate, pkglibdir)?;
            if is_file(Path::new(&full)) {
                return Ok(Some(PathBuf::from(full)));
            }
        } else {
            for element in dynamic_library_path.split(':') {
                if element.is_empty() {
                    continue;
                }
                let dir = substitute_libdir(element, pkglibdir)?;
                if !dir.starts_with('/') {
                    continue;
                }
                let full = Path::new(&dir).join(candidate);
                if is_file(&full) {
                    return Ok(Some(full));
                }
            }
        }
    }
    Ok(None)
}

/// Where a logical decoding function (a `LANGUAGE internal` function, by
/// its C symbol) takes the output plugin it loads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodingPlugin {
    /// The plugin named by argument `n` (from 0): a new slot's.
    Argument(usize),
    /// The plugin of an existing slot.
    Slots,
}

/// The output plugin a logical decoding function loads, by C symbol.
pub fn decoding_plugin(prosrc: &str) -> Option<DecodingPlugin> {
    match prosrc {
        // (slot_name, plugin, ...)
        "pg_create_logical_replication_slot" => Some(DecodingPlugin::Argument(1)),
        // (src_slot, dst_slot, temporary, plugin)
        "pg_copy_logical_replication_slot_a" => Some(DecodingPlugin::Argument(3)),
        "pg_copy_logical_replication_slot_b"
        | "pg_copy_logical_replication_slot_c"
        | "pg_logical_slot_get_changes"
        | "pg_logical_slot_peek_changes"
        | "pg_logical_slot_get_binary_changes"
        | "pg_logical_slot_peek_binary_changes" => Some(DecodingPlugin::Slots),
        _ => None,
    }
}

/// The libraries of a `*_preload_libraries` value (a list of names,
/// double quotes allowed).
pub fn split_library_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Settings whose value lists libraries some process loads later: every
/// start, every login, the archiver (18: the OAuth validators).
pub fn library_setting(name: &str) -> bool {
    matches!(
        name,
        "shared_preload_libraries"
            | "session_preload_libraries"
            | "local_preload_libraries"
            | "archive_library"
            | "oauth_validator_libraries"
    )
}

/// The name PostgreSQL loads for entry `lib` of `setting`:
/// `local_preload_libraries` entries without a `/` come from `$libdir/plugins/`.
pub fn as_loaded_by(setting: &str, lib: &str) -> String {
    if setting.eq_ignore_ascii_case("local_preload_libraries") && !lib.contains('/') {
        format!("$libdir/plugins/{lib}")
    } else {
        lib.to_string()
    }
}

/// The entries of a `shared_preload_libraries` list after extguard's own
/// (`extguard`, `$libdir/extguard`, `.../extguard.so`): PostgreSQL loads
/// them in order, so only those are not loaded yet when extguard starts.
/// None found: all of them (extguard was loaded under another name).
pub fn after_extguard(libs: &[String]) -> Vec<String> {
    let is_extguard = |l: &String| {
        let base = l.rsplit('/').next().unwrap_or(l);
        base == "extguard" || base == "extguard.so"
    };
    match libs.iter().position(is_extguard) {
        Some(i) => libs[i + 1..].to_vec(),
        None => libs.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn policy() -> Policy {
        Policy::parse(&format!(
            r#"{{"policy_version": 1, "generator": "t", "hash": "sha256", "extensions": [
              {{"name": "cube", "version": "1.5", "control": {{"file": "cube.control", "sha256": "{A}"}},
                "scripts": [{{"file": "cube--1.2.sql", "sha256": "{B}"}}],
                "libraries": [{{"file": "cube.so", "sha256": "{C}", "reference": "$libdir/cube"}}],
                "unresolved_libraries": []}},
              {{"name": "cube", "version": "1.6", "control": {{"file": "cube.control", "sha256": "{B}"}},
                "scripts": [], "libraries": [], "unresolved_libraries": []}}
            ]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn files_match_by_extension_name_file_name_and_digest() {
        let p = policy();
        assert_eq!(
            p.extension_file("cube", "/x/cube.control", A),
            Verdict::Vetted
        );
        // a second entry of the same extension vets its own digest
        assert_eq!(p.extension_file("cube", "cube.control", B), Verdict::Vetted);
        assert_eq!(
            p.extension_file("cube", "cube.control", C),
            Verdict::Unvetted {
                expected: vec![A.into(), B.into()]
            }
        );
        // the same bytes under another extension's name are not vetted
        assert_eq!(
            p.extension_file("seg", "cube.control", A),
            Verdict::Unvetted { expected: vec![] }
        );
        assert_eq!(
            p.extension_file("cube", "cube--9.sql", B),
            Verdict::Unvetted { expected: vec![] }
        );
    }

    #[test]
    fn libraries_match_by_file_name_and_digest() {
        let p = policy();
        assert_eq!(p.library("/usr/lib/postgresql/cube.so", C), Verdict::Vetted);
        assert_eq!(p.library("/tmp/cube.so", C), Verdict::Vetted);
        // vetted bytes under another name, other bytes under a vetted name
        assert_eq!(
            p.library("/usr/lib/x.so", C),
            Verdict::Unvetted { expected: vec![] }
        );
        assert_eq!(
            p.library("cube.so", A),
            Verdict::Unvetted {
                expected: vec![C.into()]
            }
        );
        let d = unvetted_detail("library", "/l/cube.so", &p.library("cube.so", A), A).unwrap();
        assert_eq!(
            d,
            format!("library /l/cube.so: expected sha256 {C}; actual {A}")
        );
        let d = unvetted_detail("script", "/s/x.sql", &p.library("x.so", A), A).unwrap();
        assert_eq!(d, format!("script /s/x.sql: not in policy; actual {A}"));
    }

    #[test]
    fn package_libraries_vet_libraries_no_extension_names() {
        let p = Policy::parse(&format!(
            r#"{{"policy_version": 1, "extensions": [], "package_libraries": [
              {{"file": "auto_explain.so", "sha256": "{A}", "source": "x.deb", "path": "x.deb!/l/auto_explain.so"}}]}}"#
        ))
        .unwrap();
        assert_eq!(p.library("/lib/auto_explain.so", A), Verdict::Vetted);
        assert_eq!(
            p.library("/lib/auto_explain.so", B),
            Verdict::Unvetted {
                expected: vec![A.into()]
            }
        );
        let e = Policy::parse(
            r#"{"policy_version": 1, "extensions": [], "package_libraries": [{"file": "x.so"}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("package_libraries[0]"), "{e}");
    }

    #[test]
    fn bad_policies_are_refused_with_a_reason() {
        for (text, want) in [
            ("not json", "not JSON"),
            ("{}", "no policy_version"),
            (
                r#"{"policy_version": 2, "extensions": []}"#,
                "policy_version 2 is not supported",
            ),
            (
                r#"{"policy_version": 1, "hash": "md5", "extensions": []}"#,
                "hash \"md5\"",
            ),
            (r#"{"policy_version": 1}"#, "no \"extensions\""),
            (
                r#"{"policy_version": 1, "extensions": [{"name": "x"}]}"#,
                "no control",
            ),
            (
                r#"{"policy_version": 1, "extensions": [{"name": "x", "control": {"file": "x.control", "sha256": "12"}}]}"#,
                "64-digit hex",
            ),
        ] {
            let e = Policy::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
        assert_eq!(
            Policy::parse(r#"{"policy_version": 1, "extensions": []}"#)
                .unwrap()
                .extension_count(),
            0
        );
    }

    #[test]
    fn control_files_are_parsed_like_postgresql() {
        let c = parse_control(
            "# comment\ncomment = 'it''s # here'\ndefault_version = '1.0'\n\
             directory = 'contrib/x'  # where\nrequires = 'cube, \"seg\"'\n",
        );
        assert_eq!(c.directory.as_deref(), Some("contrib/x"));
        assert_eq!(c.requires, vec!["cube", "seg"]);
        let c = parse_control("requires=plpgsql\ndirectory=/abs/dir");
        assert_eq!(c.requires, vec!["plpgsql"]);
        assert_eq!(c.directory.as_deref(), Some("/abs/dir"));
        assert_eq!(parse_control(""), Control::default());
    }

    #[test]
    fn script_directory_and_extension_files() {
        let ctl = Path::new("/share/extension");
        let base = Path::new("/share");
        assert_eq!(script_directory(ctl, base, None), ctl);
        assert_eq!(
            script_directory(ctl, base, Some("/tmp/x")),
            Path::new("/tmp/x")
        );
        assert_eq!(
            script_directory(ctl, base, Some("contrib/x")),
            Path::new("/share/contrib/x")
        );
        assert!(is_extension_file("cube", "cube--1.2.sql"));
        assert!(is_extension_file("cube", "cube--1.2--1.3.sql"));
        assert!(is_extension_file("cube", "cube--1.2.control"));
        assert!(!is_extension_file("cube", "cube.control"));
        assert!(!is_extension_file("cube", "cubex--1.0.sql"));
        assert!(!is_extension_file("cube", "cube--1.0.sql.orig"));
    }

    #[test]
    fn decoding_functions_name_their_output_plugin() {
        assert_eq!(
            decoding_plugin("pg_create_logical_replication_slot"),
            Some(DecodingPlugin::Argument(1))
        );
        assert_eq!(
            decoding_plugin("pg_copy_logical_replication_slot_a"),
            Some(DecodingPlugin::Argument(3))
        );
        assert_eq!(
            decoding_plugin("pg_logical_slot_peek_binary_changes"),
            Some(DecodingPlugin::Slots)
        );
        assert_eq!(decoding_plugin("pg_create_physical_replication_slot"), None);
    }

    #[test]
    fn library_settings_and_the_names_they_load() {
        assert!(library_setting("archive_library") && library_setting("session_preload_libraries"));
        assert!(!library_setting("search_path"));
        assert_eq!(
            as_loaded_by("local_preload_libraries", "x"),
            "$libdir/plugins/x"
        );
        assert_eq!(as_loaded_by("local_preload_libraries", "/a/x"), "/a/x");
        assert_eq!(as_loaded_by("session_preload_libraries", "x"), "x");
    }

    #[test]
    fn preload_entries_after_extguard_are_the_ones_not_loaded_yet() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            after_extguard(&l(&["a", "extguard", "b", "c"])),
            l(&["b", "c"])
        );
        assert_eq!(after_extguard(&l(&["$libdir/extguard", "b"])), l(&["b"]));
        assert_eq!(after_extguard(&l(&["/x/extguard.so"])), l(&[]));
        // not found by name: every entry counts
        assert_eq!(after_extguard(&l(&["a", "eg"])), l(&["a", "eg"]));
    }

    #[test]
    fn libraries_resolve_like_expand_dynamic_library_name() {
        let files = [
            "/lib/pg/cube.so",
            "/lib/pg/plain",
            "/opt/ext/mine.so",
            "/tmp/evil.so",
            "/lib/pg/both.so",
            "/opt/ext/both.so",
        ];
        let is_file = |p: &Path| files.iter().any(|f| Path::new(f) == p);
        let r = |name: &str, dlp: &str| resolve_library(name, "/lib/pg", dlp, ".so", &is_file);
        let some = |p: &str| Ok(Some(PathBuf::from(p)));
        assert_eq!(r("$libdir/cube", "$libdir"), some("/lib/pg/cube.so"));
        assert_eq!(r("cube", "$libdir"), some("/lib/pg/cube.so"));
        assert_eq!(r("cube.so", "$libdir"), some("/lib/pg/cube.so"));
        // the name as written wins over name + suffix
        assert_eq!(r("plain", "$libdir"), some("/lib/pg/plain"));
        // searched in dynamic_library_path order; relative elements skipped
        assert_eq!(r("mine", "$libdir:rel:/opt/ext"), some("/opt/ext/mine.so"));
        assert_eq!(r("both", "/opt/ext:$libdir"), some("/opt/ext/both.so"));
        assert_eq!(r("both", "$libdir:/opt/ext"), some("/lib/pg/both.so"));
        assert_eq!(r("mine", "$libdir"), Ok(None));
        // paths are never searched
        assert_eq!(r("/tmp/evil", ""), some("/tmp/evil.so"));
        assert_eq!(
            r("$evil/x", "$libdir"),
            Err(ResolveError::BadMacro("$evil".into()))
        );
        assert_eq!(
            split_library_list(r#"extguard, "pg_stat_statements" ,,auto_explain"#),
            vec!["extguard", "pg_stat_statements", "auto_explain"]
        );
    }
}
