//! `extguard diff OLD NEW`: what a new version of an extension changes for
//! security, as an [`Outcome`] every report format renders.
//!
//! Both inputs (directories, archives of any kind `scan` reads) are
//! analysed as `scan` analyses them. The outcome holds, per extension of
//! NEW (and per extension only OLD has):
//! - the findings of NEW that OLD does not have, matched by extension name
//!   and fingerprint (so moved lines and renamed scripts do not count);
//! - an EG011 finding for each security-relevant change of the objects
//!   CREATE EXTENSION makes (the install chain of the default version):
//!   SECURITY DEFINER functions, C and internal functions, the libraries
//!   they load ([`crate::inventory`], shared with the verdicts), each
//!   privilege a GRANT or REVOKE leaves (by privilege, object and
//!   grantee), event triggers, and the control file's `trusted`,
//!   `superuser` and `schema`; at the statement in NEW for what is new or
//!   changed, in OLD for what is gone. pg_tle packages (`.sql` files of
//!   `pgtle.install_extension` calls, JSON packages) get the same
//!   inventory, at the string literals that hold their scripts;
//! - an EG011 finding on the control file when the verdict changes, with
//!   the reasons that came and went;
//! - an EG011 info finding for each finding of OLD that NEW no longer has.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use pg_query::NodeEnum;

use crate::driver::{self, archive, pgtle, trunk, ArchiveKind, Options};
use crate::extension::{self, control::Control};
use crate::finding::{Finding, Severity};
use crate::inventory::{self as objects, object_id};
use crate::outcome::{
    file_result, Detail, Display, FileResult, Fingerprint, Outcome, ReportedFinding, UnitKind,
    UnitResult,
};
use crate::parse::names;
use crate::rules;
use crate::source::SourceFile;
use crate::span::Span;

/// One object of an extension that matters for security.
#[derive(Debug, Clone)]
struct Item {
    /// `security-definer`, `c-function`, `library`, `privilege` (what a GRANT/REVOKE leaves), `event-trigger`, `control`.
    kind: &'static str,
    /// Its name (a function's signature, a library, a grant's text, ...).
    object: String,
    /// What identifies it across versions (a function by name and argument types).
    id: String,
    /// What it is (a definition with blanks collapsed, a value), compared between versions.
    detail: String,
    /// Where it is: file index and span.
    at: (usize, Span),
}

/// The security-relevant objects of every extension of one input.
struct Inventory {
    /// Files the items point into (shown paths).
    files: Vec<SourceFile>,
    /// Per extension name: items by (kind, object).
    extensions: BTreeMap<String, BTreeMap<(String, String), Item>>,
    /// Per extension name: where its control file (or pg_tle package) is.
    controls: BTreeMap<String, (usize, Span)>,
    display: Display,
}

/// Unpack `path` if it is an archive; the directory to read and how to show paths.
fn open(
    path: &Path,
    opts: &Options,
) -> Result<(Option<archive::Unpacked>, PathBuf, Display), String> {
    let kind = if driver::inputs::is_oci_layout(path) {
        Some(ArchiveKind::OciDir)
    } else if path.is_dir() {
        None
    } else {
        ArchiveKind::of(path)
    };
    let tle_file = path.is_file() && path.extension().is_some_and(|e| e == "sql" || e == "json");
    match kind {
        None if path.is_dir() || tle_file => Ok((None, path.to_path_buf(), Display::PLAIN)),
        None => Err(format!(
            "{}: diff compares directories, packages (archives) or pg_tle packages (.sql, .json)",
            path.display()
        )),
        Some(kind) => {
            let u = archive::unpack(path, kind, &opts.limits)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let mut root = u.root().to_path_buf();
            if let Some(dir) = trunk::package_dir(&root) {
                root = dir.join("pgsql/share");
            }
            let display = Display {
                root: u.root().display().to_string(),
                shown_as: Some(path.display().to_string()),
            };
            Ok((Some(u), root, display))
        }
    }
}

fn inventory(root: &Path, display: Display) -> Inventory {
    let mut inv = Inventory {
        files: Vec::new(),
        extensions: BTreeMap::new(),
        controls: BTreeMap::new(),
        display,
    };
    let (extensions, tle_files) = if root.is_file() {
        (Vec::new(), vec![root.to_path_buf()])
    } else {
        let found = extension::discover(root);
        (found.extensions, found.loose_sql)
    };
    for ext in &extensions {
        let mut items = BTreeMap::new();
        let control_at = inv.files.len();
        inv.files.push(SourceFile::new(
            ext.control_path.display().to_string(),
            ext.control_text.as_bytes(),
        ));
        let control = ext.control.as_ref().ok();
        if let Some(c) = control {
            for (key, value) in control_values(c) {
                let span = control_line(&ext.control_text, key);
                add(&mut items, control_item(key, value, (control_at, span)));
            }
        }
        let chain = control
            .and_then(|c| c.default_version.as_deref())
            .and_then(|v| ext.install_chain(v))
            .unwrap_or_default();
        for script in chain {
            let Ok(bytes) = std::fs::read(&script.path) else {
                continue;
            };
            let file = SourceFile::new(script.path.display().to_string(), &bytes);
            script_items(&file, inv.files.len(), None, control, &mut items);
            inv.files.push(file);
        }
        inv.controls
            .insert(ext.name.clone(), (control_at, Span::new(0, 0)));
        inv.extensions.insert(ext.name.clone(), items);
    }
    for path in tle_files {
        tle_inventory(&path, &mut inv);
    }
    inv
}

/// The inventory of the pg_tle packages a `.sql` or JSON file defines:
/// each written out as pg_tle would install it, its install chain read
/// as any extension's, every item at the string literal it came from.
fn tle_inventory(path: &Path, inv: &mut Inventory) {
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let holder = SourceFile::new(path.display().to_string(), &bytes);
    if !pgtle::may_hold_packages(holder.text.as_bytes())
        && !pgtle::may_be_json_package(&holder.text)
    {
        return;
    }
    let packages = if path.extension().is_some_and(|e| e == "json") {
        pgtle::find_json_packages(&holder.text).unwrap_or_default()
    } else {
        pgtle::find_packages(&holder.text)
    };
    if packages.is_empty() {
        return;
    }
    let at = inv.files.len();
    for pkg in &packages {
        let Ok((dir, scripts)) = pgtle::materialise(pkg, &std::env::temp_dir()) else {
            continue;
        };
        let found = extension::discover(dir.path());
        let Some(ext) = found.extensions.first() else {
            continue;
        };
        let mut items = BTreeMap::new();
        let control = ext.control.as_ref().ok();
        if let Some(c) = control {
            for (key, value) in control_values(c) {
                add(&mut items, control_item(key, value, (at, pkg.at)));
            }
        }
        let chain = control
            .and_then(|c| c.default_version.as_deref())
            .and_then(|v| ext.install_chain(v))
            .unwrap_or_default();
        for script in chain {
            let Some(&k) = scripts.get(&script.path.display().to_string()) else {
                continue;
            };
            let sql = &pkg.scripts[k].sql;
            let file = SourceFile::new(script.path.display().to_string(), sql.value.as_bytes());
            script_items(&file, at, Some(&sql.map), control, &mut items);
        }
        inv.controls.insert(pkg.name.clone(), (at, pkg.at));
        inv.extensions.insert(pkg.name.clone(), items);
    }
    inv.files.push(holder);
}

/// The control file's values a diff compares.
fn control_values(c: &Control) -> [(&'static str, String); 3] {
    [
        ("trusted", c.trusted.to_string()),
        ("superuser", c.superuser.to_string()),
        ("schema", c.schema.clone().unwrap_or_else(|| "(any)".into())),
    ]
}

fn control_item(key: &'static str, value: String, at: (usize, Span)) -> Item {
    Item {
        kind: "control",
        object: key.to_string(),
        id: key.to_string(),
        detail: value,
        at,
    }
}

/// The items of one script's statements, at `file` index `at`; `map`
/// carries offsets in the script to offsets in that file (a pg_tle
/// literal), else they are the same.
fn script_items(
    script: &SourceFile,
    at: usize,
    map: Option<&[usize]>,
    control: Option<&Control>,
    items: &mut BTreeMap<(String, String), Item>,
) {
    let carry = |span: Span| match map {
        Some(m) => pgtle::carry_span(span, m),
        None => span,
    };
    for st in &script.statements {
        let text = script.prepared(st.start, st.end);
        let Ok(tree) = crate::parse::parse(&text) else {
            continue;
        };
        for raw in &tree.stmts {
            if let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
                let span = carry(Span::new(st.start, st.end));
                statement(node, &text, span, at, control, items);
            }
        }
    }
}

fn add(items: &mut BTreeMap<(String, String), Item>, item: Item) {
    items.insert((item.kind.to_string(), item.id.clone()), item);
}

/// The span of the line `key = ...` of a control file (or its first line).
fn control_line(text: &str, key: &str) -> Span {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(key) {
            return Span::new(at, at + line.trim_end().len());
        }
        at += line.len();
    }
    Span::new(0, 0)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn statement(
    node: &NodeEnum,
    text: &str,
    span: Span,
    file: usize,
    control: Option<&Control>,
    items: &mut BTreeMap<(String, String), Item>,
) {
    let item = |kind, id: String, object: String, detail: String| Item {
        kind,
        object,
        id,
        detail,
        at: (file, span),
    };
    match node {
        NodeEnum::CreateFunctionStmt(f) => {
            let definer = names::def_elem(&f.options, "security")
                .and_then(names::def_arg_text)
                .is_some_and(|v| v == "true");
            let module = control.and_then(|c| c.module_pathname.as_deref());
            let native = objects::native_function(f, module);
            if definer {
                let id = objects::create_id(f);
                let sig = crate::analysis::functions::signature(f);
                add(items, item("security-definer", id, sig, collapse(text)));
            }
            if let Some(n) = native {
                let as_ = n.as_items.join(", ");
                add(items, item("c-function", n.id, n.signature, as_.clone()));
                if n.language == "c" {
                    // MODULE_PATHNAME with no module_pathname: as written
                    let lib = n
                        .library
                        .unwrap_or_else(|| as_.split(", ").next().unwrap_or("").to_string());
                    add(items, item("library", lib.clone(), lib.clone(), lib));
                }
            }
        }
        NodeEnum::AlterFunctionStmt(a) => {
            if let Some(d) = names::def_elem(&a.actions, "security") {
                let name = a
                    .func
                    .as_ref()
                    .map(|o| names::dotted(&o.objname))
                    .unwrap_or_default();
                let definer = names::def_arg_text(d).is_some_and(|v| v == "true");
                if definer {
                    let id = format!("{name} (ALTER FUNCTION)");
                    add(
                        items,
                        item("security-definer", id.clone(), id, collapse(text)),
                    );
                }
            }
        }
        NodeEnum::GrantStmt(_) | NodeEnum::GrantRoleStmt(_) => {
            // the last statement about a (privilege, object, grantee) decides
            for p in objects::privileges(node) {
                let id = p.id();
                add(
                    items,
                    item("privilege", id.to_ascii_lowercase(), id, p.state().into()),
                );
            }
        }
        NodeEnum::CreateEventTrigStmt(e) => {
            let name = e.trigname.clone();
            add(
                items,
                item("event-trigger", name.clone(), name, collapse(text)),
            );
        }
        NodeEnum::DropStmt(d)
            if matches!(
                pg_query::protobuf::ObjectType::try_from(d.remove_type),
                Ok(pg_query::protobuf::ObjectType::ObjectFunction
                    | pg_query::protobuf::ObjectType::ObjectProcedure
                    | pg_query::protobuf::ObjectType::ObjectRoutine)
            ) =>
        {
            for o in &d.objects {
                if let Some(NodeEnum::ObjectWithArgs(o)) = &o.node {
                    let id = object_id(o);
                    items.retain(|(kind, i), _| {
                        !(i == &id && (kind == "security-definer" || kind == "c-function"))
                    });
                }
            }
        }
        NodeEnum::DropStmt(d)
            if pg_query::protobuf::ObjectType::try_from(d.remove_type)
                == Ok(pg_query::protobuf::ObjectType::ObjectEventTrigger) =>
        {
            let gone: Vec<String> = d
                .objects
                .iter()
                .filter_map(|o| match &o.node {
                    Some(NodeEnum::String(s)) => Some(s.sval.clone()),
                    _ => None,
                })
                .collect();
            items.retain(|(kind, i), _| !(kind == "event-trigger" && gone.contains(i)));
        }
        _ => {}
    }
}

/// Analyse OLD and NEW and compare them (see the module documentation).
pub fn run(old: &Path, new: &Path, opts: &Options) -> Outcome {
    // findings are matched by their fingerprints
    let mut opts = opts.clone();
    opts.config.detail = opts.config.detail.and(Detail::FINGERPRINTS);
    let opts = &opts;
    let mut out = Outcome::default();
    let a = driver::run_here(&[old.to_path_buf()], opts);
    let b = driver::run_here(&[new.to_path_buf()], opts);
    out.errors.extend(a.errors.iter().cloned());
    out.errors.extend(b.errors.iter().cloned());
    out.internal_error = a.internal_error || b.internal_error;
    out.interrupted = a.interrupted || b.interrupted;
    let sides = [old, new].map(|p| match open(p, opts) {
        Ok((unpacked, root, display)) => {
            let inv = inventory(&root, display);
            Some((unpacked, inv))
        }
        Err(e) => {
            out.errors.push(e);
            None
        }
    });
    let [Some((_ua, old_inv)), Some((_ub, new_inv))] = sides else {
        return out;
    };
    // findings by (extension, fingerprint), as many of each as OLD has
    let key = |u: &UnitResult, f: &ReportedFinding| (u.name.clone(), f.fingerprint);
    let mut old_left: HashMap<(String, Option<Fingerprint>), Vec<ReportedFinding>> = HashMap::new();
    for u in &a.units {
        for f in u.findings() {
            old_left.entry(key(u, f)).or_default().push(f.clone());
        }
    }
    // unit name -> (version, files in order)
    let mut per_unit: BTreeMap<String, (Option<String>, Vec<FileResult>)> = BTreeMap::new();
    for u in &b.units {
        let entry = per_unit.entry(u.name.clone()).or_default();
        entry.0 = u.version.clone();
        for file in &u.files {
            // the control file first, even without new findings
            let slot = slot(&mut entry.1, file);
            for f in &file.findings {
                if old_left.get_mut(&key(u, f)).and_then(|v| v.pop()).is_none() {
                    slot.push(f.clone());
                }
            }
        }
    }
    let old_files: HashMap<&str, &FileResult> = a
        .units
        .iter()
        .flat_map(|u| &u.files)
        .map(|f| (f.path.as_str(), f))
        .collect();
    for (k, gone) in old_left {
        for f in gone {
            let mut g = f.clone();
            g.finding.code = rules::EG011.code;
            g.finding.title = rules::EG011.title;
            g.finding.severity = Severity::Info;
            g.finding.message = format!(
                "finding gone in the new version: {} {}",
                f.finding.code, f.finding.message
            );
            let files = &mut per_unit.entry(k.0.clone()).or_default().1;
            if let Some(file) = old_files.get(f.finding.path.as_str()) {
                slot(files, file).push(g);
            }
        }
    }
    // the inventories
    let names: std::collections::BTreeSet<&String> = old_inv
        .extensions
        .keys()
        .chain(new_inv.extensions.keys())
        .collect();
    for name in names {
        let empty = BTreeMap::new();
        let was = old_inv.extensions.get(name).unwrap_or(&empty);
        let now = new_inv.extensions.get(name).unwrap_or(&empty);
        let mut changes: Vec<(&Inventory, &Item, Severity, String)> = Vec::new();
        for (k, item) in now {
            match was.get(k) {
                None if item.kind == "control" => {}
                None if item.kind == "privilege" => changes.push((
                    &new_inv,
                    item,
                    grant_severity(&item.detail),
                    format!("new privilege: {}: {}", item.object, item.detail),
                )),
                None => changes.push((
                    &new_inv,
                    item,
                    Severity::Warning,
                    format!("new {}: {}", item.kind, item.object),
                )),
                Some(old) if old.detail != item.detail => {
                    let (sev, msg) = match item.kind {
                        "control" => (
                            if item.detail == "false" {
                                Severity::Info
                            } else {
                                Severity::Warning
                            },
                            format!(
                                "control file: {} was {}, is now {}",
                                item.object, old.detail, item.detail
                            ),
                        ),
                        "privilege" => (
                            grant_severity(&item.detail),
                            format!(
                                "privilege changed: {}: was {}, is now {}",
                                item.object, old.detail, item.detail
                            ),
                        ),
                        _ => (
                            Severity::Warning,
                            format!("changed {}: {}", item.kind, item.object),
                        ),
                    };
                    changes.push((&new_inv, item, sev, msg));
                }
                Some(_) => {}
            }
        }
        for (k, item) in was {
            if now.contains_key(k) || item.kind == "control" {
                continue;
            }
            // a REVOKE dropped gives the privilege back to its default holders
            let (severity, message) = if item.kind == "privilege" {
                (
                    if item.detail.starts_with("granted") {
                        Severity::Info
                    } else {
                        Severity::Warning
                    },
                    format!(
                        "removed privilege statement: {} (was {})",
                        item.object, item.detail
                    ),
                )
            } else {
                (
                    Severity::Info,
                    format!("removed {}: {}", item.kind, item.object),
                )
            };
            changes.push((&old_inv, item, severity, message));
        }
        for (inv, item, severity, message) in changes {
            let file = &inv.files[item.at.0];
            let span = item.at.1;
            let mut f = Finding::at(
                file,
                &rules::EG011,
                span,
                message,
                Some(item.object.clone()),
            );
            f.severity = severity;
            let r = file_result(file, vec![f], &[], &inv.display, opts.config.detail);
            let files = &mut per_unit.entry(name.clone()).or_default().1;
            slot(files, &r).extend(r.findings);
        }
    }
    // the verdicts
    let verdicts = |o: &Outcome| -> BTreeMap<String, crate::verdict::Assessment> {
        o.units
            .iter()
            .filter(|u| u.kind == UnitKind::Extension)
            .filter_map(|u| Some((u.name.clone(), u.verdict.clone()?)))
            .collect()
    };
    let (was, now) = (verdicts(&a), verdicts(&b));
    for (name, new) in &now {
        let Some(old) = was.get(name) else { continue };
        let Some(&(at, span)) = new_inv.controls.get(name) else {
            continue;
        };
        if old.verdict == new.verdict {
            continue;
        }
        let file = &new_inv.files[at];
        let mut f = Finding::at(
            file,
            &rules::EG011,
            span,
            verdict_change(old, new),
            Some(name.clone()),
        );
        f.severity = if new.verdict > old.verdict {
            Severity::Warning
        } else {
            Severity::Info
        };
        let r = file_result(file, vec![f], &[], &new_inv.display, opts.config.detail);
        let files = &mut per_unit.entry(name.clone()).or_default().1;
        slot(files, &r).extend(r.findings);
    }
    // --select, --ignore and --min-severity apply to EG011 too
    for (_, files) in per_unit.values_mut() {
        for f in files.iter_mut() {
            f.findings.retain(|x| {
                opts.config.enabled(x.finding.code)
                    && x.finding.severity >= opts.config.min_severity
            });
        }
    }
    let label = format!("{} -> {}", old.display(), new.display());
    for (name, (version, files)) in per_unit {
        if files.iter().all(|f| f.findings.is_empty()) {
            continue;
        }
        let mut u = UnitResult::new(
            name,
            UnitKind::Extension,
            version,
            &label,
            &None,
            files,
            Vec::new(),
        );
        // the new version's verdict, shown as scan shows it
        u.verdict = now.get(&u.name).cloned();
        out.units.push(u);
    }
    out
}

/// A new privilege state's severity: a grant is worth a look, a revoke is not.
fn grant_severity(state: &str) -> Severity {
    if state.starts_with("granted") {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// `verdict was delegable, is now reject; new reasons: ...; reasons gone: ...`
/// (reasons matched by code and message: lines move between versions).
fn verdict_change(old: &crate::verdict::Assessment, new: &crate::verdict::Assessment) -> String {
    let key = |r: &crate::verdict::Reason| (r.code.clone(), r.message.clone());
    let show = |r: &crate::verdict::Reason| {
        format!(
            "{} {} ({}:{})",
            r.code,
            r.message,
            r.path.rsplit('/').next().unwrap_or(&r.path),
            r.line
        )
    };
    let mut left: Vec<_> = old.reasons.iter().map(key).collect();
    let mut came = Vec::new();
    for r in &new.reasons {
        match left.iter().position(|k| *k == key(r)) {
            Some(i) => {
                left.remove(i);
            }
            None => came.push(show(r)),
        }
    }
    let went: Vec<String> = old
        .reasons
        .iter()
        .filter(|r| left.contains(&key(r)))
        .map(show)
        .collect();
    let mut msg = format!("verdict was {}, is now {}", old.verdict, new.verdict);
    if !came.is_empty() {
        msg.push_str(&format!("; new reasons: {}", came.join("; ")));
    }
    if !went.is_empty() {
        msg.push_str(&format!("; reasons gone: {}", went.join("; ")));
    }
    msg
}

/// The findings of `file` in `files` (added, without findings, if missing).
fn slot<'a>(files: &'a mut Vec<FileResult>, file: &FileResult) -> &'a mut Vec<ReportedFinding> {
    let i = match files.iter().position(|f| f.path == file.path) {
        Some(i) => i,
        None => {
            files.push(FileResult {
                findings: Vec::new(),
                ..file.clone()
            });
            files.len() - 1
        }
    };
    &mut files[i].findings
}
