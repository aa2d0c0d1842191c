//! Escape vectors: stable ids and the safe classification rules.
//!
//! Everything here is plain Rust on plain data (names, C symbols, option
//! lists) so it can be unit-tested without a server. The FFI layer in
//! [`crate::hooks`] extracts that data from parse trees and catalogs.

/// One escape vector. The id (see [`Vector::id`]) is stable: it appears in
/// records, in `extguard.block` and in `VECTORS.md`-style docs; never rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vector {
    CopyProgram,
    CopyFile,
    FileFdw,
    LoFile,
    FileRead,
    FileList,
    AdminpackWrite,
    UntrustedLanguage,
    CreateLanguage,
    Load,
    SensitiveSetting,
    ExtguardSetting,
    AlterSystem,
    GrantParameter,
    RoleAttribute,
    GrantPredefinedRole,
    SetRole,
    CatalogDml,
    EventTrigger,
    RemoteConnection,
    CreateSubscription,
    CreateServer,
    UserMapping,
    ServerControl,
    CreateTablespace,
    ExtguardTamper,
    Replication,
    /// Code (an extension's control file or script, a shared library)
    /// that the digest policy does not vet, about to run or be loaded.
    UnvettedCode,
    /// Not an attempt: the isolation self-check recorded at server start.
    Isolation,
}

/// How bad a vector is when it succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Runs OS commands or native code, or disables the auditor.
    Critical,
    /// Reads/writes files, escalates roles, persists.
    High,
    /// Reconnaissance or indirect preparation.
    Medium,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
        }
    }
}

impl Vector {
    /// Every vector, in documentation order.
    pub const ALL: [Vector; 29] = [
        Vector::CopyProgram,
        Vector::CopyFile,
        Vector::FileFdw,
        Vector::LoFile,
        Vector::FileRead,
        Vector::FileList,
        Vector::AdminpackWrite,
        Vector::UntrustedLanguage,
        Vector::CreateLanguage,
        Vector::Load,
        Vector::SensitiveSetting,
        Vector::ExtguardSetting,
        Vector::AlterSystem,
        Vector::GrantParameter,
        Vector::RoleAttribute,
        Vector::GrantPredefinedRole,
        Vector::SetRole,
        Vector::CatalogDml,
        Vector::EventTrigger,
        Vector::RemoteConnection,
        Vector::CreateSubscription,
        Vector::CreateServer,
        Vector::UserMapping,
        Vector::ServerControl,
        Vector::CreateTablespace,
        Vector::ExtguardTamper,
        Vector::Replication,
        Vector::UnvettedCode,
        Vector::Isolation,
    ];

    /// The stable id used in records and in `extguard.block`.
    pub fn id(self) -> &'static str {
        match self {
            Vector::CopyProgram => "copy_program",
            Vector::CopyFile => "copy_file",
            Vector::FileFdw => "file_fdw",
            Vector::LoFile => "lo_file",
            Vector::FileRead => "file_read",
            Vector::FileList => "file_list",
            Vector::AdminpackWrite => "adminpack_write",
            Vector::UntrustedLanguage => "untrusted_language",
            Vector::CreateLanguage => "create_language",
            Vector::Load => "load",
            Vector::SensitiveSetting => "sensitive_setting",
            Vector::ExtguardSetting => "extguard_setting",
            Vector::AlterSystem => "alter_system",
            Vector::GrantParameter => "grant_parameter",
            Vector::RoleAttribute => "role_attribute",
            Vector::GrantPredefinedRole => "grant_predefined_role",
            Vector::SetRole => "set_role",
            Vector::CatalogDml => "catalog_dml",
            Vector::EventTrigger => "event_trigger",
            Vector::RemoteConnection => "remote_connection",
            Vector::CreateSubscription => "create_subscription",
            Vector::CreateServer => "create_server",
            Vector::UserMapping => "user_mapping",
            Vector::ServerControl => "server_control",
            Vector::CreateTablespace => "create_tablespace",
            Vector::ExtguardTamper => "extguard_tamper",
            Vector::Replication => "replication",
            Vector::UnvettedCode => "unvetted_code",
            Vector::Isolation => "isolation",
        }
    }

    /// Parse a stable id (as written in `extguard.block`).
    pub fn from_id(id: &str) -> Option<Vector> {
        Vector::ALL.into_iter().find(|v| v.id() == id)
    }

    pub fn severity(self) -> Severity {
        use Vector::*;
        match self {
            CopyProgram | FileFdw | UntrustedLanguage | CreateLanguage | Load | AlterSystem
            | ExtguardSetting | ExtguardTamper | RoleAttribute | CatalogDml | UnvettedCode => {
                Severity::Critical
            }
            CopyFile | LoFile | FileRead | AdminpackWrite | SensitiveSetting | GrantParameter
            | GrantPredefinedRole | SetRole | EventTrigger | RemoteConnection
            | CreateSubscription | UserMapping | CreateTablespace | Replication => Severity::High,
            FileList | CreateServer | ServerControl | Isolation => Severity::Medium,
        }
    }
}

/// Classify a `LANGUAGE internal` function by its C symbol (`prosrc`), so an
/// alias created under any other name is recognised too.
pub fn classify_internal_symbol(prosrc: &str) -> Option<Vector> {
    match prosrc {
        "be_lo_import" | "be_lo_import_with_oid" | "be_lo_export" => Some(Vector::LoFile),
        "pg_read_file_off_len"
        | "pg_read_file_off_len_missing"
        | "pg_read_file_all"
        | "pg_read_file_all_missing"
        | "pg_read_file"
        | "pg_read_file_v2"
        | "pg_read_binary_file"
        | "pg_read_binary_file_off_len"
        | "pg_read_binary_file_off_len_missing"
        | "pg_read_binary_file_all"
        | "pg_read_binary_file_all_missing"
        | "pg_stat_file"
        | "pg_stat_file_1arg" => Some(Vector::FileRead),
        "pg_ls_dir"
        | "pg_ls_dir_1arg"
        | "pg_ls_logdir"
        | "pg_ls_waldir"
        | "pg_ls_tmpdir_noargs"
        | "pg_ls_tmpdir_1arg"
        | "pg_ls_archive_statusdir"
        | "pg_ls_logicalsnapdir"
        | "pg_ls_logicalmapdir"
        | "pg_ls_replslotdir"
        // PostgreSQL 18: WAL summaries directory; the files of every
        // library loaded into the backend.
        | "pg_ls_summariesdir"
        | "pg_get_loaded_modules" => Some(Vector::FileList),
        // Logical decoding loads the slot's output plugin, a library named
        // by the caller (a path when `output_plugin_libraries` allows it),
        // and a slot keeps WAL from being removed.
        "pg_create_logical_replication_slot"
        | "pg_copy_logical_replication_slot_a"
        | "pg_copy_logical_replication_slot_b"
        | "pg_copy_logical_replication_slot_c"
        | "pg_logical_slot_get_changes"
        | "pg_logical_slot_peek_changes"
        | "pg_logical_slot_get_binary_changes"
        | "pg_logical_slot_peek_binary_changes"
        | "pg_create_physical_replication_slot"
        | "pg_copy_physical_replication_slot_a"
        | "pg_copy_physical_replication_slot_b" => Some(Vector::Replication),
        "pg_reload_conf"
        | "pg_terminate_backend"
        | "pg_promote"
        | "pg_switch_wal"
        | "pg_rotate_logfile"
        | "pg_rotate_logfile_v2" => Some(Vector::ServerControl),
        _ => None,
    }
}

/// Classify a `LANGUAGE c` function by its library (`probin`) and symbol.
pub fn classify_c_symbol(probin: &str, prosrc: &str) -> Option<Vector> {
    match library_name(probin) {
        "adminpack" if prosrc.starts_with("pg_file_") || prosrc.starts_with("pg_logdir_ls") => {
            Some(Vector::AdminpackWrite)
        }
        "dblink"
            if prosrc.starts_with("dblink_connect")
                || prosrc == "dblink_record"
                || prosrc == "dblink_exec"
                || prosrc == "dblink_send_query" =>
        {
            Some(Vector::RemoteConnection)
        }
        _ => None,
    }
}

/// Base name of a C library path (`$libdir/file_fdw.so` gives `file_fdw`).
pub fn library_name(probin: &str) -> &str {
    let lib = probin.rsplit('/').next().unwrap_or(probin);
    lib.strip_suffix(".so").unwrap_or(lib)
}

/// Foreign-data wrappers whose scans reach outside the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdwKind {
    /// file_fdw: reads a server file or runs a program.
    File,
    /// postgres_fdw: opens a connection to a server.
    Postgres,
}

/// Recognise a wrapper by its handler function (a C function: library and
/// symbol), whatever the wrapper is called.
pub fn classify_fdw_handler(probin: &str, prosrc: &str) -> Option<FdwKind> {
    match (library_name(probin), prosrc) {
        ("file_fdw", "file_fdw_handler") => Some(FdwKind::File),
        ("postgres_fdw", "postgres_fdw_handler") => Some(FdwKind::Postgres),
        _ => None,
    }
}

/// Language call/inline handlers (C symbols) of the untrusted procedural
/// languages shipped with PostgreSQL: a language using one is untrusted
/// whatever `lanpltrusted` says (a superuser can flip that flag).
pub fn is_untrusted_pl_handler(prosrc: &str) -> bool {
    matches!(
        prosrc,
        "plpython3_call_handler"
            | "plpython3_inline_handler"
            | "plpython_call_handler"
            | "plpython_inline_handler"
            | "plperlu_call_handler"
            | "plperlu_inline_handler"
            | "pltclu_call_handler"
    )
}

/// Whether a language runs untrusted code: `c` and `internal` (by OID,
/// so renaming does not help), a language not marked trusted, or one whose
/// handler is an untrusted PL's.
pub fn language_is_untrusted(lang_oid: u32, lanpltrusted: bool, handler_symbol: &str) -> bool {
    const INTERNAL: u32 = 12;
    const C: u32 = 13;
    lang_oid == INTERNAL
        || lang_oid == C
        || !lanpltrusted
        || is_untrusted_pl_handler(handler_symbol)
}

/// A `LANGUAGE c` body naming a library shipped in the library directory
/// (`$libdir/name`): no further directories and no way out of it.
pub fn is_shipped_library_path(probin: &str) -> bool {
    probin
        .strip_prefix("$libdir/")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/') && rest != ".." && rest != ".")
}

/// What a setting name means to the auditor.
pub fn classify_setting(name: &str) -> Option<Vector> {
    let name = name.to_ascii_lowercase();
    if name.starts_with("extguard.") {
        return Some(Vector::ExtguardSetting);
    }
    match name.as_str() {
        "role" | "session_authorization" => Some(Vector::SetRole),
        "dynamic_library_path"
        | "session_preload_libraries"
        | "local_preload_libraries"
        | "shared_preload_libraries"
        | "session_replication_role"
        | "allow_system_table_mods"
        | "lo_compat_privileges"
        | "jit_provider"
        | "output_plugin_libraries"
        | "archive_command"
        | "archive_library"
        | "restore_command"
        | "archive_cleanup_command"
        | "recovery_end_command"
        | "ssl_passphrase_command"
        | "zero_damaged_pages"
        | "ignore_system_indexes"
        // PostgreSQL 17: ALTER SYSTEM on or off; event triggers (login
        // triggers included) on or off for the session.
        | "allow_alter_system"
        | "event_triggers"
        // PostgreSQL 18: where extension control files (and so the code
        // CREATE EXTENSION loads) come from; OAuth validator libraries.
        | "extension_control_path"
        | "oauth_validator_libraries" => Some(Vector::SensitiveSetting),
        n if n.starts_with("log_") || n.starts_with("pgaudit.") => Some(Vector::SensitiveSetting),
        _ => None,
    }
}

/// The `log_min_messages` a walsender keeps, given the configured one:
/// replication commands are recorded from their LOG message, which
/// `fatal` and `panic` would suppress.
pub fn walsender_log_level(configured: &str) -> &str {
    if configured.eq_ignore_ascii_case("fatal") || configured.eq_ignore_ascii_case("panic") {
        "log"
    } else {
        configured
    }
}

/// Whether setting `name` to `value` (as a check hook shows it) would stop
/// a walsender logging the commands it receives.
pub fn silences_replication_log(name: &str, value: &str) -> bool {
    (name.eq_ignore_ascii_case("log_min_messages") && walsender_log_level(value) != value)
        || (name.eq_ignore_ascii_case("log_replication_commands") && value == "false")
}

/// The kind of process a hook runs in, as far as exemption goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessKind {
    /// A client backend.
    Client,
    /// A replication connection (a login like a client's).
    WalSender,
    /// A parallel worker: it acts for its leader, with the leader's identity.
    ParallelWorker,
    /// Autovacuum, logical replication and other background workers: they
    /// run code that others planted (index expressions, replica triggers,
    /// jobs) under an owner's identity, not a login of their own.
    Background,
}

impl ProcessKind {
    /// Whether `extguard.exempt_roles` may apply: only to a login (and the
    /// workers acting for it), never to a process nobody logged in to.
    pub fn may_be_exempt(self) -> bool {
        self != ProcessKind::Background
    }
}

/// Role attributes that are escalation when granted (`CREATE/ALTER ROLE`).
/// On PostgreSQL 15 `CREATEROLE` lets a role grant itself any
/// non-superuser role, predefined ones included.
pub fn is_escalating_role_option(name: &str) -> bool {
    matches!(
        name,
        "superuser" | "replication" | "bypassrls" | "createrole"
    )
}

/// Predefined roles (`pg_*`) are reserved by the server and carry OS or
/// cluster-wide powers (`pg_execute_server_program`, `pg_read_server_files`,
/// `pg_write_all_data`, ...). Granting any of them is recorded.
pub fn is_predefined_role(name: &str) -> bool {
    name.starts_with("pg_")
}

/// `file_fdw` options that read files or run programs.
pub fn is_file_fdw_option(name: &str) -> bool {
    matches!(name, "program" | "filename")
}

/// Parse the `extguard.block` / `extguard.exempt_roles` list syntax:
/// comma separated, blanks ignored, case-insensitive for vector ids.
pub fn parse_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether `vector` is listed in an `extguard.block` value (`all` blocks all).
pub fn is_blocked(block_list: &str, vector: Vector) -> bool {
    parse_list(block_list)
        .iter()
        .any(|s| s.eq_ignore_ascii_case(vector.id()) || s.eq_ignore_ascii_case("all"))
}

/// Hide password-like values in a connection string or option list.
pub fn redact_secrets(conninfo: &str) -> String {
    crate::redact::redact(conninfo)
}

/// Names of the settings a `postgresql.auto.conf` text sets (lower case,
/// as PostgreSQL folds them), in file order.
pub fn auto_conf_names(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let name = l
                .split(|c: char| c == '=' || c.is_whitespace())
                .next()?
                .trim_matches('"');
            (!name.is_empty()).then(|| name.to_ascii_lowercase())
        })
        .collect()
}

/// The ids of an `extguard.block` value that are not vector ids.
pub fn unknown_vector_ids(list: &str) -> Vec<String> {
    parse_list(list)
        .into_iter()
        .filter(|s| {
            !s.eq_ignore_ascii_case("all") && Vector::from_id(&s.to_ascii_lowercase()).is_none()
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for v in Vector::ALL {
            assert!(seen.insert(v.id()), "duplicate id {}", v.id());
            assert_eq!(Vector::from_id(v.id()), Some(v));
        }
        assert_eq!(Vector::from_id("nope"), None);
    }

    #[test]
    fn internal_symbols() {
        assert_eq!(
            classify_internal_symbol("pg_read_file_all"),
            Some(Vector::FileRead)
        );
        assert_eq!(
            classify_internal_symbol("be_lo_export"),
            Some(Vector::LoFile)
        );
        assert_eq!(
            classify_internal_symbol("pg_ls_waldir"),
            Some(Vector::FileList)
        );
        assert_eq!(
            classify_internal_symbol("pg_create_logical_replication_slot"),
            Some(Vector::Replication)
        );
        assert_eq!(
            classify_internal_symbol("pg_logical_slot_peek_binary_changes"),
            Some(Vector::Replication)
        );
        assert_eq!(classify_internal_symbol("pg_drop_replication_slot"), None);
        assert_eq!(classify_internal_symbol("int4pl"), None);
    }

    #[test]
    fn walsenders_log_replication_commands() {
        assert_eq!(walsender_log_level("panic"), "log");
        assert_eq!(walsender_log_level("FATAL"), "log");
        assert_eq!(walsender_log_level("warning"), "warning");
        assert_eq!(walsender_log_level("log"), "log");
        assert_eq!(walsender_log_level("debug1"), "debug1");
    }

    #[test]
    fn settings_that_silence_walsender_commands() {
        assert!(silences_replication_log("log_min_messages", "panic"));
        assert!(silences_replication_log("LOG_MIN_MESSAGES", "fatal"));
        assert!(!silences_replication_log("log_min_messages", "error"));
        assert!(silences_replication_log(
            "log_replication_commands",
            "false"
        ));
        assert!(!silences_replication_log(
            "log_replication_commands",
            "true"
        ));
        assert!(!silences_replication_log("log_statement", "none"));
    }

    #[test]
    fn only_logins_can_be_exempt() {
        assert!(ProcessKind::Client.may_be_exempt());
        assert!(ProcessKind::WalSender.may_be_exempt());
        assert!(ProcessKind::ParallelWorker.may_be_exempt());
        assert!(!ProcessKind::Background.may_be_exempt());
    }

    #[test]
    fn output_plugin_libraries_is_sensitive() {
        assert_eq!(
            classify_setting("Output_Plugin_Libraries"),
            Some(Vector::SensitiveSetting)
        );
    }

    #[test]
    fn c_symbols() {
        assert_eq!(
            classify_c_symbol("$libdir/adminpack", "pg_file_write_v1_1"),
            Some(Vector::AdminpackWrite)
        );
        assert_eq!(
            classify_c_symbol("$libdir/dblink", "dblink_connect"),
            Some(Vector::RemoteConnection)
        );
        assert_eq!(
            classify_c_symbol("$libdir/dblink", "dblink_get_connections"),
            None
        );
        assert_eq!(classify_c_symbol("$libdir/other", "pg_file_write"), None);
    }

    #[test]
    fn fdw_identity() {
        assert_eq!(
            classify_fdw_handler("$libdir/file_fdw", "file_fdw_handler"),
            Some(FdwKind::File)
        );
        assert_eq!(
            classify_fdw_handler(
                "/usr/lib/postgresql/15/lib/postgres_fdw.so",
                "postgres_fdw_handler"
            ),
            Some(FdwKind::Postgres)
        );
        assert_eq!(
            classify_fdw_handler("$libdir/other", "file_fdw_handler"),
            None
        );
    }

    #[test]
    fn languages() {
        assert!(language_is_untrusted(13, true, ""));
        assert!(language_is_untrusted(12, true, ""));
        assert!(language_is_untrusted(99999, false, "plpgsql_call_handler"));
        assert!(language_is_untrusted(99999, true, "plpython3_call_handler"));
        assert!(!language_is_untrusted(99999, true, "plpgsql_call_handler"));
    }

    #[test]
    fn shipped_library_paths() {
        assert!(is_shipped_library_path("$libdir/lo"));
        assert!(!is_shipped_library_path("$libdir/../../../tmp/x"));
        assert!(!is_shipped_library_path("$libdir/a/b"));
        assert!(!is_shipped_library_path("$libdir/.."));
        assert!(!is_shipped_library_path("/tmp/x"));
        assert!(!is_shipped_library_path("lo"));
    }

    #[test]
    fn settings() {
        assert_eq!(classify_setting("ROLE"), Some(Vector::SetRole));
        assert_eq!(
            classify_setting("log_statement"),
            Some(Vector::SensitiveSetting)
        );
        assert_eq!(
            classify_setting("extguard.block"),
            Some(Vector::ExtguardSetting)
        );
        assert_eq!(classify_setting("work_mem"), None);
    }

    #[test]
    fn block_list() {
        assert!(is_blocked("load, copy_program", Vector::CopyProgram));
        assert!(is_blocked(" LOAD ", Vector::Load));
        assert!(!is_blocked("load", Vector::CopyProgram));
        assert!(!is_blocked("", Vector::Load));
        assert!(is_blocked("all", Vector::Load));
    }

    #[test]
    fn auto_conf() {
        let text = "# Do not edit this file manually!\n\
                    extguard.audit = 'off'\n\
                    \"EXTGUARD.block\" = 'load'\n\
                    work_mem='5MB'\n";
        assert_eq!(
            auto_conf_names(text),
            vec!["extguard.audit", "extguard.block", "work_mem"]
        );
        assert_eq!(
            unknown_vector_ids("load, nope ,ALL,Copy_Program"),
            vec!["nope"]
        );
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_secrets("host=x password=secret dbname=d"),
            "host=x password=*** dbname=d"
        );
    }
}

#[cfg(test)]
mod newer_versions {
    use super::*;

    #[test]
    fn settings_and_functions_of_postgresql_17_and_18() {
        for s in [
            "allow_alter_system",
            "event_triggers",
            "extension_control_path",
            "oauth_validator_libraries",
        ] {
            assert_eq!(classify_setting(s), Some(Vector::SensitiveSetting), "{s}");
        }
        for f in ["pg_ls_summariesdir", "pg_get_loaded_modules"] {
            assert_eq!(classify_internal_symbol(f), Some(Vector::FileList), "{f}");
        }
        for r in [
            "pg_create_subscription",
            "pg_use_reserved_connections",
            "pg_maintain",
            "pg_signal_autovacuum_worker",
        ] {
            assert!(is_predefined_role(r), "{r}");
        }
    }
}
