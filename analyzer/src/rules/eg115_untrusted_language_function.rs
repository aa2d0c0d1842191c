//! EG115: functions and DO blocks in untrusted languages: C from an
//! unexpected library, `internal` aliases of builtins, plpython3u and friends.

use crate::analysis::functions::FunctionInfo;
use crate::finding::Severity;
use crate::parse::names;
use crate::rules::RuleCx;
use crate::span::Span;

declare_rule! {
    /// ## What it flags
    /// - A `LANGUAGE c` function whose library is neither `MODULE_PATHNAME`
    ///   nor under `$libdir/` (an absolute or relative path, or a bare name
    ///   looked up through `dynamic_library_path`).
    /// - A `LANGUAGE internal` function: an error when its symbol is a
    ///   built-in that reaches files, settings, other sessions or the
    ///   server's processes (`pg_read_file_all`, `set_config_by_name`,
    ///   `pg_rotate_logfile`, ...), otherwise information (a superuser-only
    ///   alias of a harmless builtin such as `textin`).
    /// - A function or DO block in an untrusted procedural language
    ///   (`plpython3u`, `plperlu`, `pltclu`, any `pl...u`, `plsh`, `plr`).
    ///
    /// ## Why it is dangerous
    /// Code in these languages runs as the server process with no
    /// permission checks: a C library from `/tmp` or a writable directory is
    /// native code of the attacker's choosing, an `internal` alias gives a
    /// dangerous builtin a new innocent name (and new grants) that name-based
    /// checks miss, and untrusted PLs reach the operating system directly.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.f() RETURNS int AS '/tmp/x.so', 'f' LANGUAGE c;
    /// CREATE FUNCTION s.innocent(text) RETURNS text AS 'pg_read_file_all' LANGUAGE internal;
    /// ```
    ///
    /// ## Fix
    /// Load C functions from the extension's own module (`MODULE_PATHNAME`
    /// or `$libdir/name`), call builtins by their own names, and write
    /// functions in trusted languages.
    pub static RULE = { code: "EG115", name: "untrusted-language-function", title: "Function in an untrusted language", severity: Error };
}

/// Prefixes of internal symbols that reach files, settings, sessions or processes.
const DANGEROUS_INTERNAL: &[&str] = &[
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_",
    "pg_stat_file",
    "be_lo_import",
    "be_lo_export",
    "lo_import",
    "lo_export",
    "set_config_by_name",
    "pg_rotate_logfile",
    "pg_reload_conf",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_signal_backend",
    "pg_promote",
    "pg_switch_wal",
    "pg_backup_",
    "pg_create_logical_replication_slot",
    "pg_create_physical_replication_slot",
    "pg_logical_slot_",
    "pg_replication_origin_",
];

/// Is `lang` an untrusted procedural language (other than C and internal)?
pub fn untrusted_pl(lang: &str) -> bool {
    (lang.starts_with("pl") && lang.ends_with('u')) || matches!(lang, "plsh" | "plr")
}

/// CREATE FUNCTION / PROCEDURE; `lang_span` is the language name's span.
pub fn check_function(ck: &mut RuleCx, f: &FunctionInfo, lang_span: Span) {
    let as_items = names::def_elem(&f.stmt.options, "as")
        .map(names::def_arg_strings)
        .unwrap_or_default();
    match f.language.as_str() {
        "c" => {
            let Some(lib) = as_items.first().copied() else {
                return;
            };
            if lib == "MODULE_PATHNAME" || lib.starts_with("$libdir/") {
                return;
            }
            let span = ck.string_span(lib).unwrap_or(lang_span);
            let how = if lib.contains('/') {
                "a path outside $libdir"
            } else {
                "a bare name resolved through dynamic_library_path"
            };
            ck.report(
                &RULE,
                span,
                format!(
                    "C function {} loads native code from '{lib}', {how}",
                    f.signature
                ),
                Some(f.signature.clone()),
            );
        }
        "internal" => {
            let own_name = names::strings(&f.stmt.funcname)
                .last()
                .copied()
                .unwrap_or_default();
            let symbol = as_items.first().copied().unwrap_or(own_name);
            let dangerous = DANGEROUS_INTERNAL.iter().any(|p| symbol.starts_with(p));
            let span = ck.string_span(symbol).unwrap_or(lang_span);
            let (severity, what) = if dangerous {
                (
                    Severity::Error,
                    "a builtin that reaches outside the database",
                )
            } else {
                (Severity::Info, "a superuser-only alias of a builtin")
            };
            ck.report_as(
                &RULE,
                severity,
                span,
                format!(
                    "internal function {} calls the builtin '{symbol}', {what}",
                    f.signature
                ),
                Some(f.signature.clone()),
            );
        }
        lang if untrusted_pl(lang) => {
            ck.report(
                &RULE,
                lang_span,
                format!(
                    "function {} is written in the untrusted language {lang}",
                    f.signature
                ),
                Some(f.signature.clone()),
            );
        }
        _ => {}
    }
}

/// A DO block in `lang`.
pub fn check_do(ck: &mut RuleCx, lang: &str, lang_span: Span) {
    if !untrusted_pl(lang) {
        return;
    }
    ck.report(
        &RULE,
        lang_span,
        format!("the DO block runs code in the untrusted language {lang}"),
        Some(lang.to_string()),
    );
}
