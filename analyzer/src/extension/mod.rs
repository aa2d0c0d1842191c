//! The extension model: control files, install and update scripts, the
//! chain CREATE EXTENSION runs, and the search_path it runs them with.

pub mod control;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

pub use control::Control;

use crate::analysis::analyze_file_with;
use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::rules;
use crate::search_path::State;
use crate::source::{SourceFile, EXTSCHEMA};
use crate::span::Span;

/// One script of an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub path: PathBuf,
    /// `Some(A)` for an update script `ext--A--B.sql`.
    pub from: Option<String>,
    /// The version it installs or updates to.
    pub to: String,
    /// The file it names, for scripts that are links to one another.
    pub file: FileId,
}

/// What a path names on disk: `same` is (device, inode) after following
/// symbolic links (`None` when it cannot be read), `is_link` whether the
/// path itself is a symbolic link. Two scripts with the same `same` are
/// one file reached by two names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileId {
    pub same: Option<(u64, u64)>,
    pub is_link: bool,
}

impl FileId {
    pub fn of(path: &Path) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            same: std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino())),
            is_link: std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()),
        }
    }
}

/// An extension found by its control file.
#[derive(Debug, Clone)]
pub struct Extension {
    pub name: String,
    pub control_path: PathBuf,
    /// The parsed control file, or the error that stopped parsing it.
    pub control: Result<Control, control::ControlError>,
    pub control_text: String,
    pub scripts: Vec<Script>,
}

/// What a directory tree holds: extensions, and SQL files that belong to none.
#[derive(Debug, Default)]
pub struct Discovery {
    pub extensions: Vec<Extension>,
    pub loose_sql: Vec<PathBuf>,
    /// WebAssembly modules (`.wasm`, `.wat`).
    pub wasm: Vec<PathBuf>,
    pub errors: Vec<String>,
    /// Loose SQL files reached by other names too (links): the name in
    /// `loose_sql` -> the other names, which are not analysed again.
    pub links: BTreeMap<PathBuf, Vec<PathBuf>>,
}

/// Split `name--a--b.sql` / `name--v.sql` into (name, from, to).
pub fn parse_script_name(file: &str) -> Option<(String, Option<String>, String)> {
    let stem = file.strip_suffix(".sql")?;
    let parts: Vec<&str> = stem.split("--").collect();
    match parts.as_slice() {
        [name, v] if !name.is_empty() && !v.is_empty() => {
            Some((name.to_string(), None, v.to_string()))
        }
        [name, a, b] if !name.is_empty() && !a.is_empty() && !b.is_empty() => {
            Some((name.to_string(), Some(a.to_string()), b.to_string()))
        }
        _ => None,
    }
}

/// Find extensions (by `.control` files) and loose `.sql` files under `root`.
///
/// The tree is walked and the control files are read on the workers of the
/// current rayon pool (a registry mirror has thousands of directories);
/// the result does not depend on the number of threads.
///
/// A file reached by several names (symbolic or hard links, such as update
/// scripts shipped as links to one script) is listed under every name with
/// the same [`FileId`]: each name is a version step CREATE EXTENSION can
/// take, while the file itself is analysed once ([`analyze`]).
///
/// A control file `NAME-N.control` (N a number) that has no scripts of its
/// own while `NAME--*.sql` scripts sit beside it is extension NAME: Debian
/// ships versioned control files so and links `NAME.control` to the chosen
/// one with update-alternatives. When that link is there too, the extension
/// is found once, by its link.
pub fn discover(root: &Path) -> Discovery {
    use rayon::prelude::*;
    let mut d = Discovery::default();
    let mut files = collect(root, &mut d.errors, 0, &[]);
    files.sort();
    let ids: Vec<FileId> = files.par_iter().map(|f| FileId::of(f)).collect();
    // Keyed by name, then directory: a tree can hold the same extension
    // twice (two versions in a registry mirror).
    let mut controls: BTreeMap<(String, PathBuf), usize> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.extension().is_some_and(|e| e == "control") {
            let stem = f
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            // secondary control files (ext--1.0.control) refine the primary one
            if !stem.contains("--") {
                let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
                controls.entry((stem, dir)).or_insert(i);
            }
        }
    }
    // Scripts by directory, so finding a control file's scripts does not
    // scan the whole tree once per extension.
    // (index in `files`, extension name, from, to)
    type Named = (usize, String, Option<String>, String);
    let mut by_dir: BTreeMap<&Path, Vec<Named>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let fname = f.file_name().unwrap_or_default().to_string_lossy();
        if let Some((n, from, to)) = parse_script_name(&fname) {
            by_dir
                .entry(f.parent().unwrap_or(Path::new("")))
                .or_default()
                .push((i, n, from, to));
        }
    }
    let scripts_of = |dir: &Path, name: &str| -> Vec<Script> {
        by_dir
            .get(dir)
            .into_iter()
            .flatten()
            .filter(|(_, n, _, _)| n == name)
            .map(|(i, _, from, to)| Script {
                path: files[*i].clone(),
                from: from.clone(),
                to: to.clone(),
                file: ids[*i],
            })
            .collect()
    };
    let controls_list: Vec<((String, PathBuf), usize)> =
        controls.iter().map(|(k, &i)| (k.clone(), i)).collect();
    let found: Vec<Option<Result<Extension, String>>> = controls_list
        .into_par_iter()
        .map(|((stem, dir), i)| {
            let path = files[i].clone();
            let text = match std::fs::read(&path) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => return Some(Err(format!("{}: {e}", path.display()))),
            };
            let control = control::parse(&text);
            let script_dir = script_directory(
                &path,
                control.as_ref().ok().and_then(|c| c.directory.as_deref()),
            );
            // A source checkout keeps the scripts PGXS installs (DATA) in
            // sql/ next to the control file, whatever `directory` says.
            let own = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let find = |name: &str| -> Vec<Script> {
                [script_dir.clone(), own.clone(), own.join("sql")]
                    .iter()
                    .map(|d| scripts_of(d, name))
                    .find(|s| !s.is_empty())
                    .unwrap_or_default()
            };
            let mut name = stem.clone();
            let mut scripts = find(&stem);
            if let (true, Some(base)) = (scripts.is_empty(), versioned_base(&stem)) {
                match controls.get(&(base.to_string(), dir.clone())) {
                    // NAME.control links to this one: found under that name
                    Some(&j) if ids[j].same.is_some() && ids[j].same == ids[i].same => return None,
                    Some(_) => {}
                    None => {
                        let base_scripts = find(base);
                        if !base_scripts.is_empty() {
                            name = base.to_string();
                            scripts = base_scripts;
                        }
                    }
                }
            }
            // A source checkout whose build copies `sql/NAME.sql` to the
            // install script (`NAME--VERSION.sql`, pgvector's Makefile):
            // that file is the install script of default_version.
            let default_version = control
                .as_ref()
                .ok()
                .and_then(|c| c.default_version.clone());
            if let Some(v) = default_version {
                let installs = scripts.iter().any(|s| s.from.is_none() && s.to == v);
                if !installs && is_source_checkout(&path) {
                    let file = format!("{name}.sql");
                    if let Some(f) = [own.join("sql"), own.clone()]
                        .iter()
                        .map(|d| d.join(&file))
                        .find(|f| files.binary_search(f).is_ok())
                    {
                        scripts.push(Script {
                            file: FileId::of(&f),
                            path: f,
                            from: None,
                            to: v,
                        });
                    }
                }
            }
            Some(Ok(Extension {
                name,
                control_path: path,
                control,
                control_text: text,
                scripts,
            }))
        })
        .collect();
    let mut claimed = std::collections::HashSet::new();
    for e in found.into_iter().flatten() {
        match e {
            Ok(e) => {
                claimed.extend(e.scripts.iter().map(|s| s.path.clone()));
                d.extensions.push(e);
            }
            Err(msg) => d.errors.push(msg),
        }
    }
    d.wasm = files
        .iter()
        .filter(|f| crate::wasm::is_wasm_path(f))
        .cloned()
        .collect();
    // Loose files reached by several names are analysed once, under the
    // name that is not a symbolic link (or the first).
    let loose: Vec<(PathBuf, FileId)> = files
        .into_iter()
        .zip(ids)
        .filter(|(f, _)| f.extension().is_some_and(|e| e == "sql") && !claimed.contains(f))
        .collect();
    let mut primary: HashMap<(u64, u64), usize> = HashMap::new();
    for (k, (_, id)) in loose.iter().enumerate() {
        if let Some(same) = id.same {
            let p = primary.entry(same).or_insert(k);
            if loose[*p].1.is_link && !id.is_link {
                *p = k;
            }
        }
    }
    let mut kept = Vec::new();
    for (k, (path, id)) in loose.iter().enumerate() {
        match id.same.and_then(|s| primary.get(&s)) {
            Some(&p) if p != k => d
                .links
                .entry(loose[p].0.clone())
                .or_default()
                .push(path.clone()),
            _ => kept.push(path.clone()),
        }
    }
    d.loose_sql = kept;
    d
}

/// `NAME` of a versioned control file name `NAME-N` (N a number).
fn versioned_base(stem: &str) -> Option<&str> {
    let (base, n) = stem.rsplit_once('-')?;
    (!base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(base)
}

/// Where a control file's scripts are: its `directory` (relative to the
/// share directory, i.e. the control file's grandparent) or its own directory.
fn script_directory(control: &Path, directory: Option<&str>) -> PathBuf {
    let own = control.parent().map(Path::to_path_buf).unwrap_or_default();
    match directory {
        Some(d) if Path::new(d).is_absolute() => PathBuf::from(d),
        Some(d) => {
            let candidate = own
                .parent()
                .map(|p| p.join(d))
                .unwrap_or_else(|| PathBuf::from(d));
            if candidate.is_dir() {
                candidate
            } else {
                own.join(d)
            }
        }
        None => own,
    }
}

/// The `.sql`, `.control` and Wasm files under `dir`, subdirectories walked
/// in parallel. `above`: (device, inode) of the directories on the way
/// down, to stop at a cycle through symbolic links.
fn collect(
    dir: &Path,
    errors: &mut Vec<String>,
    depth: usize,
    above: &[(u64, u64)],
) -> Vec<PathBuf> {
    use rayon::prelude::*;
    use std::os::unix::fs::MetadataExt;
    let id = std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()));
    if depth > 64 || id.is_some_and(|id| above.contains(&id)) {
        errors.push(format!(
            "{}: directory cycle or nesting too deep; not descending",
            dir.display()
        ));
        return Vec::new();
    }
    let mut path_here = above.to_vec();
    path_here.extend(id);
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(format!("{}: {e}", dir.display()));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut subdirs = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        // The entry's own type needs no system call; a symbolic link is
        // followed (a linked directory is walked, with the cycle check).
        let is_dir = match e.file_type() {
            Ok(t) if !t.is_symlink() => t.is_dir(),
            _ => p.is_dir(),
        };
        if is_dir {
            subdirs.push(p);
        } else if p
            .extension()
            .is_some_and(|x| x == "sql" || x == "control" || x == "wasm" || x == "wat")
        {
            out.push(p);
        }
    }
    // Sorted, so that errors come in the same order whatever the threads do.
    subdirs.sort();
    let below: Vec<(Vec<PathBuf>, Vec<String>)> = subdirs
        .par_iter()
        .map(|p| {
            let mut errs = Vec::new();
            let files = collect(p, &mut errs, depth + 1, &path_here);
            (files, errs)
        })
        .collect();
    for (files, errs) in below {
        out.extend(files);
        errors.extend(errs);
    }
    out
}

impl Extension {
    /// The scripts CREATE EXTENSION runs for `version`: the install script
    /// of that version, or else the install script with the shortest update
    /// path to it (as PostgreSQL chooses).
    pub fn install_chain(&self, version: &str) -> Option<Vec<&Script>> {
        if let Some(s) = self
            .scripts
            .iter()
            .find(|s| s.from.is_none() && s.to == version)
        {
            return Some(vec![s]);
        }
        let mut best: Option<Vec<&Script>> = None;
        for base in self.scripts.iter().filter(|s| s.from.is_none()) {
            if let Some(path) = self.update_path(&base.to, version) {
                let mut chain = vec![base];
                chain.extend(path);
                if best.as_ref().is_none_or(|b| chain.len() < b.len()) {
                    best = Some(chain);
                }
            }
        }
        best
    }

    /// Shortest sequence of update scripts from one version to another (BFS).
    pub fn update_path(&self, from: &str, to: &str) -> Option<Vec<&Script>> {
        let mut prev: HashMap<&str, &Script> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        let mut seen = std::collections::HashSet::from([from]);
        while let Some(v) = queue.pop_front() {
            if v == to {
                let mut path = Vec::new();
                let mut cur = to;
                while cur != from {
                    let s = prev[cur];
                    path.push(s);
                    cur = s.from.as_deref().unwrap_or(from);
                }
                path.reverse();
                return Some(path);
            }
            for s in self.scripts.iter().filter(|s| s.from.as_deref() == Some(v)) {
                if seen.insert(s.to.as_str()) {
                    prev.insert(s.to.as_str(), s);
                    queue.push_back(s.to.as_str());
                }
            }
        }
        None
    }
}

/// The result of analysing one extension.
#[derive(Debug)]
pub struct ExtensionReport {
    pub name: String,
    pub default_version: Option<String>,
    /// The control file first, then every script, in analysis order.
    pub files: Vec<SourceFile>,
    pub findings: Vec<Vec<Finding>>,
    /// Indices into `files` of the CREATE EXTENSION chain.
    pub install_chain: Vec<usize>,
    /// Per file (same order as `files`): the other names of that file
    /// (links to it) among the extension's scripts, not analysed again.
    pub links: Vec<Vec<String>>,
}

/// The state CREATE EXTENSION runs a script with: `search_path = target
/// schema, required extensions' schemas, pg_temp` (pg_catalog implicitly
/// first). Names resolved now are safe; function bodies, which run later
/// under their caller's search_path, start from their own state.
pub fn script_state(ext_name: &str, control: Option<&Control>, cfg: &Config) -> State {
    let mut st = State::new(cfg.trusted_schema.iter().cloned());
    std::sync::Arc::make_mut(&mut st.trusted_schemas).insert(EXTSCHEMA.to_string());
    if let Some(c) = control {
        if let Some(s) = &c.schema {
            std::sync::Arc::make_mut(&mut st.trusted_schemas).insert(s.clone());
            // CREATE EXTENSION creates the control file's schema when it
            // does not exist: objects in it are the extension's own
            std::sync::Arc::make_mut(&mut st.created_schemas).insert(s.clone());
        }
        for r in &c.requires {
            std::sync::Arc::make_mut(&mut st.trusted_schemas).insert(format!("{EXTSCHEMA}:{r}"));
        }
    }
    let _ = ext_name;
    st.enter_extension_script();
    st
}

/// Analyse an extension: its install chain with one state, then every other
/// script (update scripts run by ALTER EXTENSION UPDATE) with a fresh one.
pub fn analyze(ext: &Extension, cfg: &Config) -> ExtensionReport {
    let control_file = SourceFile::new(
        ext.control_path.display().to_string(),
        ext.control_text.as_bytes(),
    );
    let mut files = vec![control_file];
    let mut findings = vec![Vec::new()];
    let control = match &ext.control {
        Ok(c) => Some(c),
        Err(e) => {
            let f = &files[0];
            findings[0].push(control_finding(f, e.offset, &e.message));
            None
        }
    };
    let default_version = control.and_then(|c| c.default_version.clone());
    let chain: Vec<&Script> = match &default_version {
        Some(v) => match ext.install_chain(v) {
            Some(c) => c,
            None if is_source_checkout(&ext.control_path) => {
                // the build generates the install script (from pieces): what
                // exists is analysed below, each script on its own
                let mut f = control_finding(
                    &files[0],
                    0,
                    &format!("the install chain of default_version {v} is incomplete (its install script is made by the build); the scripts present are analysed each on its own"),
                );
                f.code = rules::EG008.code;
                f.title = rules::EG008.title;
                f.severity = rules::EG008.severity;
                findings[0].push(f);
                Vec::new()
            }
            None => {
                findings[0].push(control_finding(
                    &files[0],
                    0,
                    &format!("no install script or update path leads to default_version {v}"),
                ));
                Vec::new()
            }
        },
        None => {
            if control.is_some() {
                findings[0].push(control_finding(
                    &files[0],
                    0,
                    "control file has no default_version",
                ));
            }
            Vec::new()
        }
    };
    if let (Some(first), Some(v)) = (chain.first(), &default_version) {
        let stem = first.path.file_stem().unwrap_or_default().to_string_lossy();
        if !stem.contains("--") {
            let mut f = control_finding(
                &files[0],
                0,
                &format!(
                    "the install script of default_version {v} is made by the build: {} is analysed in its place",
                    first.path.display()
                ),
            );
            f.code = rules::EG008.code;
            f.title = rules::EG008.title;
            f.severity = rules::EG008.severity;
            findings[0].push(f);
        }
    }
    let mut install_chain = Vec::new();
    let mut state = script_state(&ext.name, control, cfg);
    for (i, s) in chain.iter().enumerate() {
        // the chain is one script: its end-of-script checks run after the last file
        let last = i + 1 == chain.len();
        let (file, fs) = analyze_script(&s.path, cfg, &mut state, last);
        install_chain.push(files.len());
        files.push(file);
        findings.push(fs);
    }
    let mut links: Vec<Vec<String>> = vec![Vec::new(); files.len()];
    let mut definers = state.privileges.definers.clone();
    // Every other script is analysed on its own, in parallel; a file
    // reached by several names once (under the name that is not a link),
    // the other names listed with it.
    let mut groups: Vec<(&Script, Vec<&Script>)> = Vec::new();
    let mut group_of: HashMap<(u64, u64), usize> = HashMap::new();
    let mut chain_file: HashMap<(u64, u64), usize> = HashMap::new();
    for (k, s) in chain.iter().enumerate() {
        if let Some(same) = s.file.same {
            chain_file.entry(same).or_insert(install_chain[k]);
        }
    }
    for s in ext.scripts.iter().filter(|s| !chain.contains(s)) {
        let Some(same) = s.file.same else {
            groups.push((s, Vec::new()));
            continue;
        };
        if let Some(&i) = chain_file.get(&same) {
            links[i].push(s.path.display().to_string());
        } else if let Some(&g) = group_of.get(&same) {
            let (primary, others) = &mut groups[g];
            if primary.file.is_link && !s.file.is_link {
                others.push(std::mem::replace(primary, s));
            } else {
                others.push(s);
            }
        } else {
            group_of.insert(same, groups.len());
            groups.push((s, Vec::new()));
        }
    }
    groups.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    let others: Vec<(SourceFile, Vec<Finding>, Vec<_>)> = {
        use rayon::prelude::*;
        groups
            .par_iter()
            .map(|(s, _)| {
                let mut st = script_state(&ext.name, control, cfg);
                let (file, fs) = analyze_script(&s.path, cfg, &mut st, true);
                (file, fs, st.privileges.definers)
            })
            .collect()
    };
    for ((file, fs, defs), (_, names)) in others.into_iter().zip(&groups) {
        let mut names: Vec<String> = names.iter().map(|s| s.path.display().to_string()).collect();
        names.sort();
        files.push(file);
        findings.push(fs);
        links.push(names);
        definers.extend(defs);
    }
    for l in &mut links {
        l.sort();
    }
    if control.is_some_and(|c| c.trusted) && cfg.enabled(rules::eg121_trusted_extension::RULE.code)
    {
        // A trusted extension's scripts run as the bootstrap superuser.
        let derived = findings
            .iter()
            .flatten()
            .filter_map(rules::eg121_trusted_extension::derive);
        let definers = definers
            .iter()
            .map(rules::eg121_trusted_extension::for_definer);
        let extra: Vec<Finding> = derived.chain(definers).collect();
        findings[0].extend(extra);
    }
    route_to_own_file(&files, &mut findings);
    ExtensionReport {
        name: ext.name.clone(),
        default_version,
        files,
        findings,
        install_chain,
        links,
    }
}

/// Is this control file in a source checkout (a build file beside it)
/// rather than an installed extension directory?
fn is_source_checkout(control: &Path) -> bool {
    let dir = control.parent().unwrap_or(Path::new("."));
    [
        "Makefile",
        "GNUmakefile",
        "meson.build",
        "CMakeLists.txt",
        "Cargo.toml",
    ]
    .iter()
    .any(|f| dir.join(f).is_file())
}

/// End-of-chain findings (EG117) are reported while the last file is
/// analysed but may concern an earlier one: move each to its own file.
fn route_to_own_file(files: &[SourceFile], findings: &mut [Vec<Finding>]) {
    let mut moved = Vec::new();
    for (i, fs) in findings.iter_mut().enumerate() {
        let (own, other): (Vec<_>, Vec<_>) = std::mem::take(fs)
            .into_iter()
            .partition(|f| f.path == files[i].path);
        *fs = own;
        moved.extend(other);
    }
    for f in moved {
        if let Some(i) = files.iter().position(|file| file.path == f.path) {
            findings[i].push(f);
            findings[i].sort_by(|a, b| {
                (a.span.start, a.span.end, a.code).cmp(&(b.span.start, b.span.end, b.code))
            });
        }
    }
}

fn analyze_script(
    path: &Path,
    cfg: &Config,
    state: &mut State,
    end_of_script: bool,
) -> (SourceFile, Vec<Finding>) {
    match std::fs::read(path) {
        Ok(bytes) => {
            let file = SourceFile::from_bytes(path.display().to_string(), bytes);
            let fs = analyze_file_with(&file, cfg, state, end_of_script);
            (file, fs)
        }
        Err(e) => {
            let file = SourceFile::new(path.display().to_string(), b"");
            let f = control_finding(&file, 0, &format!("cannot read script: {e}"));
            (file, vec![f])
        }
    }
}

fn control_finding(file: &SourceFile, offset: usize, message: &str) -> Finding {
    let end = file.text[offset.min(file.text.len())..]
        .find('\n')
        .map_or(file.text.len(), |i| offset + i);
    let span = Span::new(offset.min(file.text.len()), end);
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end);
    Finding {
        code: rules::EG005.code,
        severity: Severity::Error,
        title: rules::EG005.title,
        message: message.to_string(),
        path: file.path.clone(),
        line,
        column,
        end_line,
        end_column,
        object: None,
        span,
        pgspot_context: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(scripts: &[&str]) -> Extension {
        Extension {
            name: "e".into(),
            control_path: "e.control".into(),
            control: Ok(Control::default()),
            control_text: String::new(),
            scripts: scripts
                .iter()
                .map(|s| {
                    let (_, from, to) = parse_script_name(s).unwrap();
                    Script {
                        path: PathBuf::from(s),
                        from,
                        to,
                        file: FileId::default(),
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn chooses_the_shortest_install_chain() {
        let e = ext(&[
            "e--1.0.sql",
            "e--1.0--1.1.sql",
            "e--1.1--1.2.sql",
            "e--1.1.sql",
            "e--1.0--1.2.sql",
        ]);
        let names = |c: Vec<&Script>| {
            c.iter()
                .map(|s| s.path.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(e.install_chain("1.1").unwrap()), vec!["e--1.1.sql"]);
        assert_eq!(names(e.install_chain("1.2").unwrap()).len(), 2);
        assert!(e.install_chain("9.9").is_none());
        assert_eq!(parse_script_name("a--b--c--d.sql"), None);
    }

    #[test]
    fn versioned_control_file_names() {
        assert_eq!(versioned_base("postgis-3"), Some("postgis"));
        assert_eq!(
            versioned_base("address_standardizer_data_us-3"),
            Some("address_standardizer_data_us")
        );
        assert_eq!(versioned_base("uuid-ossp"), None);
        assert_eq!(versioned_base("-3"), None);
        assert_eq!(versioned_base("plain"), None);
    }
}
