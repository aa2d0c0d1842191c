//! EG123: what a package's metadata claims about an extension (PGXN
//! META `tle`, a library that must be preloaded) that its scripts or
//! verdict contradict.

use crate::driver::inputs::Claims;
use crate::finding::Finding;
use crate::source::SourceFile;
use crate::span::Span;
use crate::verdict::{Assessment, Verdict};

declare_rule! {
    /// ## What it flags
    /// A package whose metadata claims more than its extension's scripts
    /// allow:
    /// - PGXN `META.json` (v2) says `"tle": true` for an extension (it may
    ///   be installed as a pg_tle Trusted Language Extension, by a
    ///   non-superuser, from SQL alone) while the extension loads native
    ///   code (`module_pathname`, `LANGUAGE c` functions) or its verdict
    ///   is not `trusted-safe`;
    /// - the metadata says a library the extension loads must be preloaded
    ///   (PGXN `contents.modules.*.preload`, Trunk `loadable_libraries`
    ///   with `requires_restart`) while the extension claims it can be
    ///   installed by a non-superuser (`trusted = true` in its control
    ///   file, or `"tle": true`): only a superuser can change
    ///   `shared_preload_libraries`, and a preloaded library runs in every
    ///   session of the server, not only in the databases that created the
    ///   extension.
    ///
    /// Reported on the metadata file's line that makes the claim, with the
    /// verdict's first reasons or the library.
    ///
    /// ## Why it is dangerous
    /// Registries and platforms decide from the metadata which packages a
    /// tenant may install (pg_tle packages on managed services, allow-lists
    /// built from `trusted`). A claim the code does not honour hands a
    /// tenant what the scripts need a superuser for.
    ///
    /// ## Example
    /// ```text
    /// META.json: "contents": {"extensions": {"pair": {"sql": "sql/pair.sql", "tle": true}}}
    /// pair.control: module_pathname = '$libdir/pair'
    /// ```
    ///
    /// ## Fix
    /// Drop the claim from the metadata, or remove from the scripts what
    /// contradicts it.
    pub static RULE = { code: "EG123", name: "package-claim-contradicted", title: "Package metadata claim contradicted by the scripts", severity: Warning };
}

/// `$libdir/pair.so`, `src/pair`, `pair`: the library's bare name (`pair`).
pub fn library_stem(lib: &str) -> &str {
    let base = lib.rsplit('/').next().unwrap_or(lib);
    [".so", ".dylib", ".dll"]
        .iter()
        .find_map(|s| base.strip_suffix(s))
        .unwrap_or(base)
}

/// The EG123 findings of extension `name` (its assessment `a`) against
/// the package's `claims`; `meta` is the metadata file they come from.
pub fn check(name: &str, a: &Assessment, claims: &Claims, meta: &SourceFile) -> Vec<Finding> {
    let mut out = Vec::new();
    let tle = claims.tle.iter().any(|t| t == name);
    let ext_key = meta.text.find(&format!("\"{name}\"")).unwrap_or(0);
    if tle {
        let span = key_span(&meta.text, "\"tle\"", ext_key);
        let why = if !a.libraries.is_empty() {
            Some(format!(
                "it loads native code ({}), which pg_tle cannot install",
                a.libraries.join(", ")
            ))
        } else if a.verdict != Verdict::TrustedSafe {
            Some(format!("its verdict is {}: {}", a.verdict, reasons(a)))
        } else {
            None
        };
        if let Some(why) = why {
            out.push(Finding::at(
                meta,
                &RULE,
                span,
                format!("the metadata claims extension {name} is a Trusted Language Extension (tle) but {why}"),
                Some(name.to_string()),
            ));
        }
    }
    if a.trusted_claim || tle {
        for (lib, when) in &claims.preload {
            if !a
                .libraries
                .iter()
                .any(|l| library_stem(l) == library_stem(lib))
            {
                continue;
            }
            let claim = if a.trusted_claim {
                "its control file says trusted = true"
            } else {
                "the metadata claims it is a Trusted Language Extension (tle)"
            };
            let needs = match when.as_str() {
                "session" => "session_preload_libraries or LOAD (superuser settings)",
                _ => "shared_preload_libraries (a superuser's server-wide change; the library then runs in every session)",
            };
            out.push(Finding::at(
                meta,
                &RULE,
                value_span(&meta.text, &["\"lib\"", "\"library_name\""], lib),
                format!(
                    "extension {name}: {claim}, but the metadata says its library '{lib}' must be preloaded ({when}): it needs {needs}"
                ),
                Some(name.to_string()),
            ));
        }
    }
    out
}

fn reasons(a: &Assessment) -> String {
    let shown: Vec<String> = a
        .reasons
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "{} at {}:{}",
                r.code,
                r.path.rsplit('/').next().unwrap_or(&r.path),
                r.line
            )
        })
        .collect();
    let more = a.reasons.len().saturating_sub(3);
    format!(
        "{}{}",
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// The span of the string `"value"` given as the value of one of `keys`
/// (`"lib": "src/hooked"`), else of its first occurrence, else the file's start.
fn value_span(text: &str, keys: &[&str], value: &str) -> Span {
    let quoted = format!("\"{value}\"");
    let mut first = None;
    for (i, _) in text.match_indices(&quoted) {
        first.get_or_insert(i);
        let before = text[..i].trim_end().trim_end_matches(':').trim_end();
        if keys.iter().any(|k| before.ends_with(k)) {
            return Span::new(i, i + quoted.len());
        }
    }
    first.map_or(Span::new(0, 0), |i| Span::new(i, i + quoted.len()))
}

/// The span of the first `key` at or after `from` (the start of the file when absent).
fn key_span(text: &str, key: &str, from: usize) -> Span {
    match text[from.min(text.len())..].find(key) {
        Some(i) => Span::new(from + i, from + i + key.len()),
        None => match text.find(key) {
            Some(i) => Span::new(i, i + key.len()),
            None => Span::new(0, 0),
        },
    }
}
