//! Policies: what `extguard scan --write-policy` writes (every extension
//! version's verdict and the sha256 of every file it ships) and the
//! allow-lists `extguard policy FILE --emit ...` generates from one.
//! docs/policy.md documents the format and docs/policy.schema.json is its
//! JSON schema.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::driver::Options;
use crate::extension::{Extension, ExtensionReport};
use crate::outcome::{Display, Outcome, UnitKind};
use crate::rules;
use crate::verdict::{self, Assessment, Reason, Verdict};

/// The version of the policy format this extguard writes and reads.
pub const POLICY_VERSION: u32 = 1;

/// A file and the sha256 (lower-case hex) of its bytes as installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Control files and scripts: relative to the extension directory
    /// (`SHAREDIR/extension`); libraries: relative to `$libdir`.
    pub file: String,
    pub sha256: String,
}

/// A shared library the extension names, resolved to a file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryDigest {
    pub file: String,
    pub sha256: String,
    /// As the control file or a script names it (`$libdir/cube`).
    pub reference: String,
}

/// The digests of one extension's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digests {
    pub control: FileDigest,
    pub scripts: Vec<FileDigest>,
    pub libraries: Vec<LibraryDigest>,
    /// Libraries named but not found in the package (nor in `--libdir`).
    pub unresolved_libraries: Vec<String>,
}

/// One extension version of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    /// Its `default_version` (every script to or from other versions is listed too).
    pub version: Option<String>,
    pub verdict: Verdict,
    pub trusted_claim: bool,
    pub reasons: Vec<Reason>,
    /// The directory or archive it was scanned from.
    pub source: String,
    #[serde(flatten)]
    pub digests: Digests,
}

/// A shared library a scanned package (or directory) ships, whether or
/// not an extension's scripts name it: a library loaded by `LOAD` or
/// `shared_preload_libraries` only is vetted code too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageLibrary {
    /// Its file name, as `$libdir/NAME` loads it (`auto_explain.so`).
    pub file: String,
    pub sha256: String,
    /// The directory or archive it was found in.
    pub source: String,
    /// Where it is in that source (`pkg.deb!/usr/lib/postgresql/15/lib/auto_explain.so`).
    pub path: String,
}

/// A policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub policy_version: u32,
    pub generator: String,
    /// Always `sha256`.
    pub hash: String,
    pub extensions: Vec<Entry>,
    /// Every shared library the scanned packages ship (absent from
    /// policies written before it was added: read as empty).
    #[serde(default)]
    pub package_libraries: Vec<PackageLibrary>,
}

/// The verdict of an extension the driver just analysed, its EG122
/// finding added to the control file's findings when the claim is
/// contradicted, and its files' digests when `opts.digests` asks for them.
pub fn assess_extension(
    ext: &Extension,
    rep: &mut ExtensionReport,
    label: &str,
    display: &Display,
    opts: &Options,
) -> (Assessment, Option<Digests>) {
    let control = ext.control.as_ref().ok();
    let mut a = verdict::assess(control, &rep.files, &rep.findings);
    if opts
        .config
        .enabled(rules::eg122_trusted_claim_contradicted::RULE.code)
    {
        if let Some(f) = rules::eg122_trusted_claim_contradicted::check(
            &rep.files[0].path,
            &ext.control_text,
            &a,
        ) {
            rep.findings[0].push(f);
        }
    }
    for r in &mut a.reasons {
        r.path = display.show(&r.path);
    }
    let digests = opts.digests.as_ref().map(|libdirs| {
        let root = match &display.shown_as {
            Some(_) => PathBuf::from(&display.root),
            None => PathBuf::from(label),
        };
        digests(
            ext,
            &a.libraries,
            &root,
            display.shown_as.is_some(),
            libdirs,
        )
    });
    (a, digests)
}

/// sha256 of a file's bytes, lower-case hex (read in 64 KiB pieces).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
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
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digests(
    ext: &Extension,
    libraries: &[String],
    root: &Path,
    archive: bool,
    libdirs: &[PathBuf],
) -> Digests {
    let dir = ext.control_path.parent().unwrap_or(Path::new(""));
    let relative = |p: &Path| -> String {
        p.strip_prefix(dir)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let digest = |p: &Path| FileDigest {
        file: relative(p),
        sha256: sha256_file(p).unwrap_or_default(),
    };
    let mut scripts: Vec<FileDigest> = ext.scripts.iter().map(|s| digest(&s.path)).collect();
    scripts.sort_by(|a, b| a.file.cmp(&b.file));
    let mut search: Vec<PathBuf> = libdirs.to_vec();
    search.extend(library_dirs(dir));
    let mut found = Vec::new();
    let mut unresolved = Vec::new();
    for reference in libraries {
        let name = reference.strip_prefix("$libdir/").unwrap_or(reference);
        if name.contains('/') || name.is_empty() {
            unresolved.push(reference.clone());
            continue;
        }
        // as PostgreSQL looks it up: the name as written, then with DLSUFFIX
        let with_suffix = format!("{name}.so");
        let candidates: Vec<&str> = if name.ends_with(".so") {
            vec![name]
        } else {
            vec![name, &with_suffix]
        };
        let hit = candidates.iter().find_map(|&file| {
            search
                .iter()
                .map(|d| d.join(file))
                .find(|p| p.is_file())
                .or_else(|| archive.then(|| find_file(root, file, 0)).flatten())
                .map(|p| (file.to_string(), p))
        });
        match hit.and_then(|(file, p)| Some((file, sha256_file(&p).ok()?))) {
            Some((file, sha256)) => found.push(LibraryDigest {
                file,
                sha256,
                reference: reference.clone(),
            }),
            None => unresolved.push(reference.clone()),
        }
    }
    Digests {
        control: digest(&ext.control_path),
        scripts,
        libraries: found,
        unresolved_libraries: unresolved,
    }
}

/// Where the layouts PostgreSQL is packaged in put the libraries (`$libdir`)
/// of the extensions whose control files are in `ext_dir`, most specific
/// first:
/// - `P/share/postgresql/N/extension`: `P/lib/postgresql/N/lib` (Debian,
///   Ubuntu, apt.postgresql.org; a .deb; Debian-based images);
/// - `X/share/extension`: `X/lib`, `X/pkglib` (PGDG RPMs' `/usr/pgsql-N`,
///   a source build's prefix, CloudNativePG extension images at their
///   root, a PGXN binary package's `pgsql/`);
/// - `X/share/postgresql*/extension`, `X/share/pgsql/extension`:
///   `X/lib/postgresql*`, `X/lib64/pgsql`, ... (PGXS's own default under a
///   generic prefix, Fedora's and SUSE's packages);
/// - the directory above `extension/` (a Trunk archive: `extension/` next to its `.so`).
pub fn library_dirs(ext_dir: &Path) -> Vec<PathBuf> {
    let names: Vec<String> = ext_dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let n = names.len();
    let mut out = Vec::new();
    if n == 0 || names[n - 1] != "extension" {
        return out;
    }
    let up = |k: usize| ext_dir.ancestors().nth(k).map(Path::to_path_buf);
    if n >= 4 && names[n - 3] == "postgresql" && names[n - 4] == "share" {
        out.extend(up(4).map(|p| p.join("lib/postgresql").join(&names[n - 2]).join("lib")));
    }
    if n >= 2 && names[n - 2] == "share" {
        out.extend(
            up(2)
                .into_iter()
                .flat_map(|x| [x.join("lib"), x.join("pkglib")]),
        );
    }
    if n >= 3 && names[n - 3] == "share" {
        let sub = names[n - 2].as_str();
        if sub.starts_with("postgresql") || sub.starts_with("pgsql") {
            if let Some(x) = up(3) {
                for lib in ["lib", "lib64"] {
                    out.push(x.join(lib).join(sub));
                    out.push(x.join("lib").join(sub).join(lib));
                }
            }
        }
    }
    out.extend(up(1));
    out
}

/// Every shared library a scanned tree ships, for the policy: all of them
/// in a package (`everywhere`: an archive that holds only a package's
/// files, as unpacked), else only those in PostgreSQL's directories (a
/// component named `pgsql*` or `postgresql*`) or in a library directory
/// of one of `ext_dirs` ([`library_dirs`]): an image or a directory also
/// holds other software. `show` turns a path into what the report shows.
pub fn shipped_libraries(
    root: &Path,
    everywhere: bool,
    ext_dirs: &[PathBuf],
    source: &str,
    show: impl Fn(&Path) -> String,
) -> Vec<PackageLibrary> {
    let libdirs: Vec<PathBuf> = ext_dirs.iter().flat_map(|d| library_dirs(d)).collect();
    let mut files = Vec::new();
    crate::driver::trunk::files_under(root, Path::new(""), &mut files);
    files
        .into_iter()
        .filter(|rel| crate::driver::is_shared_library(rel))
        .map(|rel| root.join(rel))
        .filter(|p| {
            everywhere
                || crate::driver::archive::is_postgres_path(p.strip_prefix(root).unwrap_or(p))
                || p.parent().is_some_and(|d| libdirs.iter().any(|l| l == d))
        })
        .filter_map(|p| {
            Some(PackageLibrary {
                file: p.file_name()?.to_string_lossy().into_owned(),
                sha256: sha256_file(&p).ok()?,
                source: source.to_string(),
                path: show(&p),
            })
        })
        .collect()
}

/// The first file named `name` under `dir` (an unpacked archive), in name order.
fn find_file(dir: &Path, name: &str, depth: usize) -> Option<PathBuf> {
    if depth > 16 {
        return None;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in &entries {
        let t = e.file_type().ok()?;
        if t.is_file() && e.file_name() == name {
            return Some(e.path());
        }
    }
    entries
        .iter()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .find_map(|e| find_file(&e.path(), name, depth + 1))
}

/// The policy of a scan: every extension that was assessed and hashed.
pub fn from_outcome(o: &Outcome) -> Policy {
    let extensions = o
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Extension)
        .filter_map(|u| {
            let a = u.verdict.as_ref()?;
            Some(Entry {
                name: u.name.clone(),
                version: u.version.clone(),
                verdict: a.verdict,
                trusted_claim: a.trusted_claim,
                reasons: a.reasons.clone(),
                source: u.source.clone(),
                digests: u.digests.clone()?,
            })
        })
        .collect();
    Policy {
        policy_version: POLICY_VERSION,
        generator: format!("extguard {}", env!("CARGO_PKG_VERSION")),
        hash: "sha256".into(),
        extensions,
        package_libraries: o.shipped_libraries.clone(),
    }
}

/// Read a policy file: a clear error naming the file for anything that is
/// not a policy this extguard understands.
pub fn load(path: &Path) -> Result<Policy, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{shown}: not JSON: {e}"))?;
    match value.get("policy_version").and_then(|v| v.as_u64()) {
        None => {
            return Err(format!(
                "{shown}: not an extguard policy (no policy_version; write one with `extguard scan PATH... --write-policy FILE`)"
            ))
        }
        Some(v) if v != u64::from(POLICY_VERSION) => {
            return Err(format!(
                "{shown}: policy_version {v} is not supported by this extguard (it reads version {POLICY_VERSION}); write the policy again with this extguard"
            ))
        }
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(|e| format!("{shown}: invalid policy: {e}"))
}

/// The allow-list settings a policy can be emitted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// supautils' `supautils.privileged_extensions`.
    Supautils,
    /// pgextwlist's `extwlist.extensions`.
    Pgextwlist,
    /// Amazon RDS's `rds.allowed_extensions` (parameter group).
    Rds,
}

impl Target {
    pub fn setting(self) -> &'static str {
        match self {
            Target::Supautils => "supautils.privileged_extensions",
            Target::Pgextwlist => "extwlist.extensions",
            Target::Rds => "rds.allowed_extensions",
        }
    }
}

/// The allow-list setting (postgresql.conf syntax) of a policy: every
/// extension whose every version in the policy is `trusted-safe` or
/// `delegable`, each with its verdict and reason as a comment, and the
/// ones left out with theirs.
pub fn emit(p: &Policy, target: Target) -> String {
    use std::collections::BTreeMap;
    let mut by_name: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &p.extensions {
        by_name.entry(&e.name).or_default().push(e);
    }
    let describe = |e: &Entry| -> String {
        let why = match e.reasons.first() {
            Some(r) => format!(
                "{} ({} at {}:{})",
                r.message,
                r.code,
                r.path.rsplit('/').next().unwrap_or(&r.path),
                r.line
            ),
            None => "no reason against it".into(),
        };
        format!(
            "{} {}: {}: {}",
            e.name,
            e.version.as_deref().unwrap_or("?"),
            e.verdict,
            why.replace('\n', " ")
        )
    };
    let mut out = format!(
        "# {} generated by {} from a policy of {} extension version(s)\n# allowed (verdict trusted-safe or delegable):\n",
        target.setting(),
        p.generator,
        p.extensions.len()
    );
    let mut allowed = Vec::new();
    let mut refused = String::new();
    for (name, entries) in &by_name {
        if entries.iter().all(|e| e.verdict.allowed()) {
            allowed.push(*name);
            for e in entries {
                out.push_str(&format!("#   {}\n", describe(e)));
            }
        } else {
            for e in entries.iter().filter(|e| !e.verdict.allowed()) {
                refused.push_str(&format!("#   {}\n", describe(e)));
            }
        }
    }
    if !refused.is_empty() {
        out.push_str("# left out (verdict superuser-only or reject):\n");
        out.push_str(&refused);
    }
    out.push_str(&format!("{} = '{}'\n", target.setting(), allowed.join(",")));
    out
}

/// The verdicts every format shows: one line per extension.
pub fn verdict_line(name: &str, version: Option<&str>, a: &Assessment) -> String {
    let mut line = format!(
        "{name}{}: {}",
        version.map(|v| format!(" {v}")).unwrap_or_default(),
        a.verdict
    );
    if let Some(r) = a.reasons.first() {
        line.push_str(&format!(
            " ({} at {}:{}{})",
            r.code,
            r.path,
            r.line,
            match a.reasons.len() {
                1 => String::new(),
                n => format!(", {} more reason(s)", n - 1),
            }
        ));
    }
    line
}

/// Names of extensions in the verdict order, for summaries.
pub fn counts(o: &Outcome) -> Vec<(Verdict, usize)> {
    Verdict::ALL
        .iter()
        .map(|&v| {
            (
                v,
                o.units
                    .iter()
                    .filter(|u| u.verdict.as_ref().is_some_and(|a| a.verdict == v))
                    .count(),
            )
        })
        .collect()
}
