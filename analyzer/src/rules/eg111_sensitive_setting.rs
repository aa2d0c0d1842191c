//! EG111: SET / set_config / ALTER ROLE|DATABASE SET of settings that load
//! code, run commands or silence auditing.

use pg_query::protobuf::{FuncCall, VariableSetKind, VariableSetStmt};

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// Setting, with `SET`, `set_config()`, `ALTER ROLE/DATABASE/FUNCTION
    /// ... SET` or a `SET` clause of CREATE FUNCTION, a parameter that loads native code
    /// (`shared_preload_libraries`, `session_preload_libraries`,
    /// `local_preload_libraries`, `dynamic_library_path`, `jit_provider`),
    /// runs shell commands or archive modules (`archive_command`,
    /// `archive_library`, `restore_command`, ...), disables triggers or
    /// catalog protection (`session_replication_role`,
    /// `allow_system_table_mods`, `lo_compat_privileges`), or silences logging
    /// and auditing (`log_statement`, `log_min_messages`, `log_directory`, ...,
    /// `pgaudit.*`). `ALTER SYSTEM` is EG103.
    ///
    /// ## Why it is dangerous
    /// A library path or preload list decides which native code the server
    /// runs (a writable directory first in `dynamic_library_path` takes over
    /// every later `LOAD` and C function); `session_replication_role =
    /// replica` turns off ordinary triggers, including audit triggers; the
    /// logging settings hide what the script does.
    ///
    /// ## Example
    /// ```sql
    /// SET dynamic_library_path = '/tmp/w:$libdir';
    /// ```
    ///
    /// ## Fix
    /// Leave these settings to the operator.
    pub static RULE = { code: "EG111", name: "sensitive-setting", title: "Change of a security-sensitive setting", severity: Error };
}

/// Parameters whose change loads code, runs commands or hides activity.
const SENSITIVE: &[&str] = &[
    "shared_preload_libraries",
    "session_preload_libraries",
    "local_preload_libraries",
    "dynamic_library_path",
    "jit_provider",
    "archive_command",
    "archive_library",
    "restore_command",
    "archive_cleanup_command",
    "recovery_end_command",
    "ssl_passphrase_command",
    "output_plugin_libraries",
    "session_replication_role",
    "allow_system_table_mods",
    "lo_compat_privileges",
    "allow_in_place_tablespaces",
    "log_statement",
    "log_min_messages",
    "log_min_error_statement",
    "log_directory",
    "log_filename",
    "log_file_mode",
];

/// Is `name` (case-insensitive) a sensitive parameter?
pub fn sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE.contains(&name.as_str()) || name.starts_with("pgaudit.")
}

pub fn check_set(ck: &mut RuleCx, v: &VariableSetStmt) {
    if !sensitive(&v.name)
        || ck.in_alter_system()
        || VariableSetKind::try_from(v.kind) != Ok(VariableSetKind::VarSetValue)
    {
        return;
    }
    let parts: Vec<&str> = v.name.split('.').collect();
    let span = ck.find_name_span(&parts);
    ck.report(
        &RULE,
        span,
        format!(
            "changing {} can load code, run commands or hide activity",
            v.name
        ),
        Some(v.name.clone()),
    );
}

pub fn check_call(ck: &mut RuleCx, f: &FuncCall) {
    let Some((param, loc)) = super::eg110_role_switch::set_config_parameter(f) else {
        return;
    };
    if !sensitive(param) {
        return;
    }
    let span = ck.token_span(loc as i32);
    ck.report(
        &RULE,
        span,
        format!("set_config('{param}', ...) can load code, run commands or hide activity"),
        Some(param.to_string()),
    );
}
