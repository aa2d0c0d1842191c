//! ProcessUtility_hook: COPY, LOAD, DO/CREATE FUNCTION in untrusted
//! languages, settings, roles, grants, servers, ... (every utility statement,
//! top level or from SPI / PL/pgSQL / DO / EXECUTE / extension scripts).

use super::{cstr, report};
use crate::vectors::{self, Vector};
use pgrx::pg_sys::{self, NodeTag};
use pgrx::prelude::*;
use std::ffi::{c_char, c_void};

static mut PREV: pg_sys::ProcessUtility_hook_type = None;

pub fn install() {
    // SAFETY: _PG_init, single-threaded; previous hook saved and chained.
    unsafe {
        PREV = pg_sys::ProcessUtility_hook;
        pg_sys::ProcessUtility_hook = Some(process_utility);
    }
}

/// Pointers stored in a PostgreSQL `List`.
///
/// # Safety
/// `list` must be NULL (empty list) or a valid pointer `List`.
pub(crate) unsafe fn list_ptrs<T>(list: *mut pg_sys::List) -> Vec<*mut T> {
    let mut out = Vec::new();
    // SAFETY: caller guarantees a valid List; length bounds elements.
    unsafe {
        if let Some(l) = list.as_ref() {
            for i in 0..l.length as usize {
                out.push((*l.elements.add(i)).ptr_value.cast::<T>());
            }
        }
    }
    out
}

/// Whether `node` has tag `tag`.
///
/// # Safety
/// `node` must be NULL or point to a Node.
unsafe fn is(node: *const c_void, tag: NodeTag) -> bool {
    // SAFETY: every Node starts with its NodeTag.
    !node.is_null() && unsafe { (*node.cast::<pg_sys::Node>()).type_ } == tag
}

/// Text form of a DefElem argument / value node.
///
/// # Safety
/// `node` must be NULL or a valid parse-tree node.
unsafe fn node_text(node: *mut pg_sys::Node) -> String {
    // SAFETY: each branch casts only after checking the tag.
    unsafe {
        let n = node.cast::<c_void>();
        if is(n, NodeTag::T_String) {
            cstr((*node.cast::<pg_sys::String>()).sval)
        } else if is(n, NodeTag::T_Integer) {
            (*node.cast::<pg_sys::Integer>()).ival.to_string()
        } else if is(n, NodeTag::T_Boolean) {
            (*node.cast::<pg_sys::Boolean>()).boolval.to_string()
        } else if is(n, NodeTag::T_Float) {
            cstr((*node.cast::<pg_sys::Float>()).fval)
        } else if is(n, NodeTag::T_RoleSpec) {
            cstr((*node.cast::<pg_sys::RoleSpec>()).rolename)
        } else if is(n, NodeTag::T_List) {
            list_ptrs::<pg_sys::Node>(node.cast())
                .into_iter()
                .map(|p| node_text(p))
                .collect::<Vec<_>>()
                .join(",")
        } else {
            String::new()
        }
    }
}

/// DefElem list as (name, value text) pairs.
///
/// # Safety
/// `list` must be NULL or a List of DefElem.
pub(crate) unsafe fn def_elems(
    list: *mut pg_sys::List,
) -> Vec<(String, String, *mut pg_sys::Node)> {
    // SAFETY: caller guarantees DefElem elements.
    unsafe {
        list_ptrs::<pg_sys::DefElem>(list)
            .into_iter()
            .filter(|d| is(d.cast(), NodeTag::T_DefElem))
            .map(|d| (cstr((*d).defname), node_text((*d).arg), (*d).arg))
            .collect()
    }
}

/// True for a DefElem boolean option that is set (`SUPERUSER`, not `NOSUPERUSER`).
///
/// # Safety
/// `arg` must be NULL or a valid node.
unsafe fn option_true(arg: *mut pg_sys::Node) -> bool {
    // SAFETY: tags checked before casts.
    unsafe {
        if arg.is_null() {
            true
        } else if is(arg.cast(), NodeTag::T_Boolean) {
            (*arg.cast::<pg_sys::Boolean>()).boolval
        } else if is(arg.cast(), NodeTag::T_Integer) {
            (*arg.cast::<pg_sys::Integer>()).ival != 0
        } else {
            true
        }
    }
}

/// `Some(untrusted)` for an existing language, None if there is none.
/// Decided by what the language is (`c` / `internal` by OID, an untrusted
/// PL's handler), not only by `lanpltrusted`, which a superuser can set.
fn language_untrusted(name: &str) -> Option<bool> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: syscache lookup by NUL-terminated name; tuple released; the
    // attributes of pg_language are 1 oid, 5 lanpltrusted, 6 lanplcallfoid,
    // 7 laninline (all NOT NULL).
    let (oid, trusted, handlers) = unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::LANGNAME as i32,
            pg_sys::Datum::from(name.as_ptr()),
        );
        if tup.is_null() {
            return None;
        }
        let attr = |n: i16| {
            let mut isnull = false;
            let d = pg_sys::SysCacheGetAttr(
                pg_sys::SysCacheIdentifier::LANGNAME as i32,
                tup,
                n,
                &mut isnull,
            );
            if isnull {
                0
            } else {
                d.value()
            }
        };
        let found = (
            attr(1) as u32,
            attr(5) != 0,
            [attr(6) as u32, attr(7) as u32],
        );
        pg_sys::ReleaseSysCache(tup);
        found
    };
    let handler_symbols: Vec<String> = handlers
        .iter()
        .filter(|&&h| h != 0)
        .filter_map(|&h| super::object_access::proc_identity(pg_sys::Oid::from(h)))
        .map(|(_, _, src, _)| src)
        .collect();
    Some(
        handler_symbols
            .iter()
            .any(|h| vectors::language_is_untrusted(oid, trusted, h))
            || vectors::language_is_untrusted(oid, trusted, ""),
    )
}

/// True while a CREATE/ALTER EXTENSION script runs.
fn in_extension_script() -> bool {
    // SAFETY: plain read of an extension.c global.
    unsafe { pg_sys::creating_extension }
}

/// Classification of one VariableSetStmt (SET / RESET / ALTER ... SET).
///
/// # Safety
/// `stmt` must be NULL or a valid VariableSetStmt.
unsafe fn setting(stmt: *mut pg_sys::VariableSetStmt) -> Option<(Vector, String, String)> {
    // SAFETY: valid statement per caller; ExtractSetVariableArgs only reads it.
    unsafe {
        let s = stmt.as_ref()?;
        let name = cstr(s.name);
        let v = vectors::classify_setting(&name)?;
        let value = if s.kind == pg_sys::VariableSetKind::VAR_SET_VALUE {
            cstr(pg_sys::ExtractSetVariableArgs(stmt))
        } else {
            "DEFAULT".to_string()
        };
        Some((v, name, value))
    }
}

/// The library of a C function's `AS 'library', 'symbol'` (the list's
/// first item) or `AS 'library'`, from CREATE FUNCTION's options.
///
/// # Safety
/// `opts` come from `def_elems` of a valid CreateFunctionStmt.
unsafe fn function_library(opts: &[(String, String, *mut pg_sys::Node)]) -> Option<String> {
    // SAFETY: per caller; the tag is checked before the list is read.
    unsafe {
        opts.iter()
            .find(|(k, _, _)| k == "as")
            .and_then(|(_, _, arg)| {
                if is((*arg).cast(), NodeTag::T_List) {
                    list_ptrs::<pg_sys::Node>((*arg).cast()).first().copied()
                } else {
                    Some(*arg)
                }
            })
            .map(|n| node_text(n))
    }
}

/// Find the vectors in one utility statement.
///
/// # Safety
/// `node` must be the utilityStmt of a valid PlannedStmt.
unsafe fn classify(node: *mut pg_sys::Node) -> Vec<(Vector, String)> {
    let mut found = Vec::new();
    // SAFETY: every cast follows a tag check on the same node.
    unsafe {
        let n = node.cast::<c_void>();
        if is(n, NodeTag::T_CopyStmt) {
            let c = &*node.cast::<pg_sys::CopyStmt>();
            let dir = if c.is_from { "FROM" } else { "TO" };
            if c.is_program {
                found.push((
                    Vector::CopyProgram,
                    format!("{dir} PROGRAM {}", cstr(c.filename)),
                ));
            } else if !c.filename.is_null() {
                found.push((Vector::CopyFile, format!("{dir} {}", cstr(c.filename))));
            }
        } else if is(n, NodeTag::T_LoadStmt) {
            found.push((
                Vector::Load,
                cstr((*node.cast::<pg_sys::LoadStmt>()).filename),
            ));
        } else if is(n, NodeTag::T_DoStmt) {
            let opts = def_elems((*node.cast::<pg_sys::DoStmt>()).args);
            let lang = opts
                .iter()
                .find(|(k, _, _)| k == "language")
                .map_or("plpgsql".to_string(), |(_, v, _)| v.clone());
            if language_untrusted(&lang) == Some(true) {
                found.push((Vector::UntrustedLanguage, format!("DO LANGUAGE {lang}")));
            }
        } else if is(n, NodeTag::T_CreateFunctionStmt) {
            let f = &*node.cast::<pg_sys::CreateFunctionStmt>();
            let opts = def_elems(f.options);
            let lang = opts
                .iter()
                .find(|(k, _, _)| k == "language")
                .map_or("sql".to_string(), |(_, v, _)| v.clone());
            let body = opts
                .iter()
                .find(|(k, _, _)| k == "as")
                .map(|(_, v, _)| v.clone());
            // A C function of an extension script pointing at a library
            // in the library directory ($libdir/name) is the extension
            // itself, vetted by the package scanner; recording every one
            // of them would bury the real signals. Only statements of the
            // script itself count: not what an event trigger or a function
            // called by the script runs meanwhile (deeper nesting), and not
            // a path that leaves the directory ($libdir/../..).
            let library = function_library(&opts);
            let shipped_library = in_extension_script()
                && super::is_extension_script_statement()
                && lang == "c"
                && library
                    .as_deref()
                    .is_some_and(vectors::is_shipped_library_path);
            if language_untrusted(&lang) == Some(true) && !shipped_library {
                found.push((
                    Vector::UntrustedLanguage,
                    format!(
                        "CREATE FUNCTION {} LANGUAGE {lang} AS {}",
                        node_text(f.funcname.cast()),
                        body.unwrap_or_default()
                    ),
                ));
            }
        } else if is(n, NodeTag::T_CreatePLangStmt) {
            let p = &*node.cast::<pg_sys::CreatePLangStmt>();
            found.push((
                Vector::CreateLanguage,
                format!("{} trusted={}", cstr(p.plname), p.pltrusted),
            ));
        } else if is(n, NodeTag::T_VariableSetStmt) {
            if let Some((v, name, value)) = setting(node.cast()) {
                let target = if value == "DEFAULT" { "none" } else { &value };
                if !super::settings_check::is_noop_role_switch(&name, target) {
                    found.push((v, format!("SET {name} = {value}")));
                }
            }
        } else if is(n, NodeTag::T_AlterRoleSetStmt) {
            let s = &*node.cast::<pg_sys::AlterRoleSetStmt>();
            if let Some((v, name, value)) = setting(s.setstmt) {
                let role = role_spec_name(s.role, "ALL");
                found.push((v, format!("ALTER ROLE {role} SET {name} = {value}")));
            }
        } else if is(n, NodeTag::T_AlterDatabaseSetStmt) {
            let s = &*node.cast::<pg_sys::AlterDatabaseSetStmt>();
            if let Some((v, name, value)) = setting(s.setstmt) {
                found.push((
                    v,
                    format!("ALTER DATABASE {} SET {name} = {value}", cstr(s.dbname)),
                ));
            }
        } else if is(n, NodeTag::T_AlterSystemStmt) {
            found.push(alter_system(&*node.cast::<pg_sys::AlterSystemStmt>()));
        } else if is(n, NodeTag::T_GrantStmt) {
            let g = &*node.cast::<pg_sys::GrantStmt>();
            let what = if g.is_grant { "GRANT" } else { "REVOKE" };
            if g.objtype == pg_sys::ObjectType::OBJECT_PARAMETER_ACL {
                found.push((
                    Vector::GrantParameter,
                    format!("{what} ON PARAMETER {}", node_text(g.objects.cast())),
                ));
            } else if grant_touches_extguard(g) {
                // PostgreSQL 15 runs no object-access hook for GRANT.
                found.push((
                    Vector::ExtguardTamper,
                    format!("{what} on objects in schema extguard"),
                ));
            } else if g.is_grant {
                found.extend(grant_of_vector_functions(g));
            }
        } else if is(n, NodeTag::T_CreateRoleStmt) {
            let r = &*node.cast::<pg_sys::CreateRoleStmt>();
            let role = cstr(r.role);
            if protected_role(&role).is_some() {
                found.push((
                    Vector::ExtguardTamper,
                    format!(
                        "CREATE ROLE {role} ({})",
                        protected_role(&role).unwrap_or("")
                    ),
                ));
            }
            role_options(&mut found, &role, None, r.options, 1);
        } else if is(n, NodeTag::T_AlterRoleStmt) {
            let r = &*node.cast::<pg_sys::AlterRoleStmt>();
            let target = rolespec(r.role);
            let role = target.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
            // ALTER GROUP … ADD/DROP USER is a membership change, judged below.
            let membership = def_elems(r.options)
                .iter()
                .any(|(k, _, _)| k == "rolemembers");
            if let Some(why) = protected_role(&role).filter(|_| !membership) {
                found.push((Vector::ExtguardTamper, format!("ALTER ROLE {role} ({why})")));
            }
            role_options(
                &mut found,
                &role,
                target.map(|(_, oid)| oid),
                r.options,
                r.action,
            );
        } else if is(n, NodeTag::T_DropRoleStmt) {
            let d = &*node.cast::<pg_sys::DropRoleStmt>();
            for spec in list_ptrs::<pg_sys::RoleSpec>(d.roles) {
                let name = cstr((*spec).rolename);
                if let Some(why) = protected_role(&name) {
                    found.push((Vector::ExtguardTamper, format!("DROP ROLE {name} ({why})")));
                }
            }
        } else if is(n, NodeTag::T_RenameStmt) {
            let r = &*node.cast::<pg_sys::RenameStmt>();
            if r.renameType == pg_sys::ObjectType::OBJECT_ROLE {
                let (old, new) = (cstr(r.subname), cstr(r.newname));
                if let Some(why) = protected_role(&old).or(protected_role(&new)) {
                    found.push((
                        Vector::ExtguardTamper,
                        format!("ALTER ROLE {old} RENAME TO {new} ({why})"),
                    ));
                }
            }
        } else if is(n, NodeTag::T_AlterOwnerStmt) {
            let a = &*node.cast::<pg_sys::AlterOwnerStmt>();
            if matches!(
                a.objectType,
                pg_sys::ObjectType::OBJECT_FUNCTION
                    | pg_sys::ObjectType::OBJECT_PROCEDURE
                    | pg_sys::ObjectType::OBJECT_ROUTINE
            ) {
                let f = pg_sys::LookupFuncWithArgs(a.objectType, a.object.cast(), true);
                if let Some((v, what)) = super::object_access::classify(f) {
                    found.push((
                        v,
                        format!(
                            "ALTER FUNCTION {what} OWNER TO {}",
                            rolespec(a.newowner).map(|(n, _)| n).unwrap_or_default()
                        ),
                    ));
                }
            }
        } else if is(n, NodeTag::T_GrantRoleStmt) {
            let g = &*node.cast::<pg_sys::GrantRoleStmt>();
            if g.is_grant {
                let roles: Vec<String> = list_ptrs::<pg_sys::AccessPriv>(g.granted_roles)
                    .into_iter()
                    .map(|p| cstr((*p).priv_name))
                    .collect();
                // SAFETY: a GrantRoleStmt from the parser.
                let options = crate::compat::grant_role_options(g);
                let grantees = node_text(g.grantee_roles.cast());
                let grantees = if options.is_empty() {
                    grantees
                } else {
                    format!("{grantees} WITH {}", options.join(", "))
                };
                membership_grants(&mut found, &roles, &grantees);
            }
        } else if is(n, NodeTag::T_CreateEventTrigStmt) {
            let e = &*node.cast::<pg_sys::CreateEventTrigStmt>();
            found.push((
                Vector::EventTrigger,
                format!(
                    "{} ON {} EXECUTE {}",
                    cstr(e.trigname),
                    cstr(e.eventname),
                    node_text(e.funcname.cast())
                ),
            ));
        } else if is(n, NodeTag::T_CreateSubscriptionStmt) {
            let s = &*node.cast::<pg_sys::CreateSubscriptionStmt>();
            found.push((
                Vector::CreateSubscription,
                format!(
                    "{} CONNECTION {}",
                    cstr(s.subname),
                    vectors::redact_secrets(&cstr(s.conninfo))
                ),
            ));
        } else if is(n, NodeTag::T_CreateForeignServerStmt) {
            let s = &*node.cast::<pg_sys::CreateForeignServerStmt>();
            found.push((
                Vector::CreateServer,
                format!(
                    "{} FDW {} OPTIONS ({})",
                    cstr(s.servername),
                    cstr(s.fdwname),
                    options_text(s.options)
                ),
            ));
            file_fdw_options(&mut found, s.options);
        } else if is(n, NodeTag::T_AlterForeignServerStmt) {
            let s = &*node.cast::<pg_sys::AlterForeignServerStmt>();
            if !s.options.is_null() {
                found.push((
                    Vector::CreateServer,
                    format!(
                        "ALTER SERVER {} OPTIONS ({})",
                        cstr(s.servername),
                        options_text(s.options)
                    ),
                ));
                file_fdw_options(&mut found, s.options);
            }
        } else if is(n, NodeTag::T_CreateFdwStmt) {
            file_fdw_options(&mut found, (*node.cast::<pg_sys::CreateFdwStmt>()).options);
        } else if is(n, NodeTag::T_AlterFdwStmt) {
            file_fdw_options(&mut found, (*node.cast::<pg_sys::AlterFdwStmt>()).options);
        } else if is(n, NodeTag::T_AlterUserMappingStmt) {
            let s = &*node.cast::<pg_sys::AlterUserMappingStmt>();
            let user = role_spec_name(s.user, "");
            found.push((
                Vector::UserMapping,
                format!(
                    "ALTER FOR {user} SERVER {} OPTIONS ({})",
                    cstr(s.servername),
                    options_text(s.options)
                ),
            ));
        } else if is(n, NodeTag::T_ImportForeignSchemaStmt) {
            let s = &*node.cast::<pg_sys::ImportForeignSchemaStmt>();
            found.push((
                Vector::RemoteConnection,
                format!(
                    "IMPORT FOREIGN SCHEMA {} FROM {}",
                    cstr(s.remote_schema),
                    super::fdw::server_text(&cstr(s.server_name))
                ),
            ));
        } else if is(n, NodeTag::T_AlterSubscriptionStmt) {
            let s = &*node.cast::<pg_sys::AlterSubscriptionStmt>();
            if s.kind == pg_sys::AlterSubscriptionType::ALTER_SUBSCRIPTION_CONNECTION {
                found.push((
                    Vector::CreateSubscription,
                    format!(
                        "ALTER SUBSCRIPTION {} CONNECTION {}",
                        cstr(s.subname),
                        vectors::redact_secrets(&cstr(s.conninfo))
                    ),
                ));
            }
        } else if is(n, NodeTag::T_VacuumStmt) {
            analyze_targets(&mut found, &*node.cast::<pg_sys::VacuumStmt>());
        } else if is(n, NodeTag::T_CreateUserMappingStmt) {
            let s = &*node.cast::<pg_sys::CreateUserMappingStmt>();
            let user = role_spec_name(s.user, "");
            found.push((
                Vector::UserMapping,
                format!(
                    "FOR {user} SERVER {} OPTIONS ({})",
                    cstr(s.servername),
                    options_text(s.options)
                ),
            ));
        } else if is(n, NodeTag::T_CreateTableSpaceStmt) {
            let t = &*node.cast::<pg_sys::CreateTableSpaceStmt>();
            found.push((
                Vector::CreateTablespace,
                format!("{} LOCATION {}", cstr(t.tablespacename), cstr(t.location)),
            ));
        } else if is(n, NodeTag::T_CreateForeignTableStmt) {
            let t = &*node.cast::<pg_sys::CreateForeignTableStmt>();
            file_fdw_options(&mut found, t.options);
        } else if is(n, NodeTag::T_AlterTableStmt) {
            // ALTER TABLE works on foreign tables too: any object type.
            let a = &*node.cast::<pg_sys::AlterTableStmt>();
            for cmd in list_ptrs::<pg_sys::AlterTableCmd>(a.cmds) {
                if (*cmd).subtype == pg_sys::AlterTableType::AT_GenericOptions {
                    file_fdw_options(&mut found, (*cmd).def.cast());
                }
            }
        } else if is(n, NodeTag::T_RuleStmt) {
            let r = &*node.cast::<pg_sys::RuleStmt>();
            if let Some(rel) = extguard_relation(r.relation) {
                found.push((
                    Vector::ExtguardTamper,
                    format!("CREATE RULE {} ON {rel}", cstr(r.rulename)),
                ));
            }
        } else if is(n, NodeTag::T_ViewStmt) {
            let v = &*node.cast::<pg_sys::ViewStmt>();
            if let Some(rel) = extguard_relation(v.view) {
                found.push((
                    Vector::ExtguardTamper,
                    format!("CREATE OR REPLACE VIEW {rel}"),
                ));
            }
        } else if is(n, NodeTag::T_CreateTrigStmt) {
            let t = &*node.cast::<pg_sys::CreateTrigStmt>();
            if let Some(rel) = extguard_relation(t.relation) {
                found.push((
                    Vector::ExtguardTamper,
                    format!("CREATE TRIGGER {} ON {rel}", cstr(t.trigname)),
                ));
            }
        } else if is(n, NodeTag::T_DropStmt) {
            let d = &*node.cast::<pg_sys::DropStmt>();
            let schema = super::object_access::extguard_schema();
            if d.removeType == pg_sys::ObjectType::OBJECT_EXTENSION {
                let names = node_text(d.objects.cast());
                if names.split(',').any(|s| s == "extguard") {
                    found.push((Vector::ExtguardTamper, format!("DROP {names}")));
                }
            } else if d.removeType == pg_sys::ObjectType::OBJECT_SCHEMA {
                let names = node_text(d.objects.cast());
                if schema.is_some_and(|oid| names.split(',').any(|s| namespace_oid(s) == oid)) {
                    found.push((Vector::ExtguardTamper, format!("DROP SCHEMA {names}")));
                }
            } else if matches!(
                d.removeType,
                pg_sys::ObjectType::OBJECT_RULE | pg_sys::ObjectType::OBJECT_TRIGGER
            ) {
                // objects: lists of names, [schema.]relation.rule
                for obj in list_ptrs::<pg_sys::List>(d.objects) {
                    let names: Vec<String> = list_ptrs::<pg_sys::Node>(obj)
                        .into_iter()
                        .map(|p| node_text(p))
                        .collect();
                    let Some((member, rel)) = names.split_last() else {
                        continue;
                    };
                    let rv = match rel {
                        [schema, rel] => pg_sys::makeRangeVar(
                            pg_sys::pstrdup(cstring(schema).as_ptr()),
                            pg_sys::pstrdup(cstring(rel).as_ptr()),
                            -1,
                        ),
                        [rel] => pg_sys::makeRangeVar(
                            std::ptr::null_mut(),
                            pg_sys::pstrdup(cstring(rel).as_ptr()),
                            -1,
                        ),
                        _ => continue,
                    };
                    if let Some(rel) = extguard_relation(rv) {
                        found.push((Vector::ExtguardTamper, format!("DROP {member} ON {rel}")));
                    }
                }
            }
        } else if is(n, NodeTag::T_AlterExtensionStmt) {
            let a = &*node.cast::<pg_sys::AlterExtensionStmt>();
            if cstr(a.extname) == "extguard" {
                found.push((
                    Vector::ExtguardTamper,
                    "ALTER EXTENSION extguard UPDATE".into(),
                ));
            }
        } else if is(n, NodeTag::T_AlterExtensionContentsStmt) {
            let a = &*node.cast::<pg_sys::AlterExtensionContentsStmt>();
            if cstr(a.extname) == "extguard" {
                found.push((
                    Vector::ExtguardTamper,
                    "ALTER EXTENSION extguard ADD/DROP".into(),
                ));
            }
        }
    }
    found
}

/// ANALYZE reads foreign tables through their wrapper (file_fdw reads the
/// file or runs the program, postgres_fdw connects), also as partitions
/// or children of a listed table. A plain ANALYZE skips foreign tables.
///
/// # Safety
/// `v` is a valid VacuumStmt; in a transaction (catalog lookups).
unsafe fn analyze_targets(found: &mut Vec<(Vector, String)>, v: &pg_sys::VacuumStmt) {
    // SAFETY: per caller; lookups are missing_ok.
    unsafe {
        let analyze = !v.is_vacuumcmd
            || def_elems(v.options)
                .iter()
                .any(|(k, _, arg)| k == "analyze" && option_true(*arg));
        if !analyze {
            return;
        }
        for vr in list_ptrs::<pg_sys::VacuumRelation>(v.rels) {
            let relid = if (*vr).oid != pg_sys::InvalidOid {
                (*vr).oid
            } else if !(*vr).relation.is_null() {
                pg_sys::RangeVarGetRelidExtended(
                    (*vr).relation,
                    pg_sys::NoLock as i32,
                    pg_sys::RVROption::RVR_MISSING_OK,
                    None,
                    std::ptr::null_mut(),
                )
            } else {
                pg_sys::InvalidOid
            };
            if relid == pg_sys::InvalidOid {
                continue;
            }
            for rel in super::fdw::with_inheritors(relid) {
                if let Some(hit) = super::fdw::foreign_table_target(rel, "analyze") {
                    found.push(hit);
                }
            }
        }
    }
}

/// True when a GRANT / REVOKE names extguard's schema or an object in it.
///
/// # Safety
/// `g` is a valid GrantStmt; in a transaction (catalog lookups).
unsafe fn grant_touches_extguard(g: &pg_sys::GrantStmt) -> bool {
    use pg_sys::ObjectType::*;
    // SAFETY: per caller; lookups are missing_ok; casts follow objtype.
    unsafe {
        let Some(schema) = super::object_access::extguard_schema() else {
            return false;
        };
        let names = || {
            list_ptrs::<pg_sys::Node>(g.objects)
                .into_iter()
                .any(|n| namespace_oid(&node_text(n)) == schema)
        };
        if g.targtype == pg_sys::GrantTargetType::ACL_TARGET_ALL_IN_SCHEMA {
            return names();
        }
        if g.targtype != pg_sys::GrantTargetType::ACL_TARGET_OBJECT {
            return false;
        }
        match g.objtype {
            OBJECT_SCHEMA => names(),
            OBJECT_TABLE | OBJECT_SEQUENCE => list_ptrs::<pg_sys::RangeVar>(g.objects)
                .into_iter()
                .any(|rv| {
                    let rel = pg_sys::RangeVarGetRelidExtended(
                        rv,
                        pg_sys::NoLock as i32,
                        pg_sys::RVROption::RVR_MISSING_OK,
                        None,
                        std::ptr::null_mut(),
                    );
                    rel != pg_sys::InvalidOid && pg_sys::get_rel_namespace(rel) == schema
                }),
            OBJECT_FUNCTION | OBJECT_PROCEDURE | OBJECT_ROUTINE => {
                list_ptrs::<pg_sys::ObjectWithArgs>(g.objects)
                    .into_iter()
                    .any(|owa| {
                        let f = pg_sys::LookupFuncWithArgs(g.objtype, owa, true);
                        f != pg_sys::InvalidOid && pg_sys::get_func_namespace(f) == schema
                    })
            }
            _ => false,
        }
    }
}

/// True for `CREATE EXTENSION extguard`.
///
/// # Safety
/// `node` must be NULL or a valid parse node.
unsafe fn creates_extguard(node: *mut pg_sys::Node) -> bool {
    // SAFETY: tag checked before the cast.
    unsafe {
        is(node.cast(), NodeTag::T_CreateExtensionStmt)
            && cstr((*node.cast::<pg_sys::CreateExtensionStmt>()).extname) == "extguard"
    }
}

/// True for CREATE / ALTER EXTENSION (they run scripts).
///
/// # Safety
/// `node` must be NULL or a valid parse node.
unsafe fn runs_extension_script(node: *mut pg_sys::Node) -> bool {
    // SAFETY: tag checks only.
    unsafe {
        is(node.cast(), NodeTag::T_CreateExtensionStmt)
            || is(node.cast(), NodeTag::T_AlterExtensionStmt)
    }
}

/// Option list as text, password values hidden.
///
/// # Safety
/// `list` must be NULL or a List of DefElem.
pub(crate) unsafe fn options_text(list: *mut pg_sys::List) -> String {
    // SAFETY: per caller.
    unsafe { def_elems(list) }
        .into_iter()
        .map(|(k, v, _)| {
            if k.contains("password") {
                format!("{k} '***'")
            } else {
                format!("{k} '{v}'")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The file_fdw options of an option list that read files or run programs,
/// as `name 'value'`.
///
/// # Safety
/// `list` must be NULL or a List of DefElem.
pub(crate) unsafe fn file_fdw_hits(list: *mut pg_sys::List) -> Vec<String> {
    // SAFETY: per caller.
    unsafe { def_elems(list) }
        .into_iter()
        .filter(|(k, _, _)| vectors::is_file_fdw_option(k))
        .map(|(k, v, _)| format!("{k} '{v}'"))
        .collect()
}

/// # Safety
/// `list` must be NULL or a List of DefElem.
unsafe fn file_fdw_options(found: &mut Vec<(Vector, String)>, list: *mut pg_sys::List) {
    // SAFETY: per caller.
    let hits = unsafe { file_fdw_hits(list) };
    if !hits.is_empty() {
        found.push((Vector::FileFdw, hits.join(", ")));
    }
}

/// Why a role name is extguard's business: its reader role, or a role
/// listed in `extguard.exempt_roles` (taking one over is tampering).
fn protected_role(name: &str) -> Option<&'static str> {
    if name.is_empty() || super::in_own_script() {
        None
    } else if name == crate::READER_ROLE {
        Some("extguard's reader role")
    } else if super::exempt_role_names().iter().any(|r| r == name) {
        Some("exempt role")
    } else {
        None
    }
}

/// Name and OID of a role specification (a name, CURRENT_USER, ...), if
/// the role exists.
///
/// # Safety
/// `spec` must be NULL or a valid RoleSpec; in a transaction.
unsafe fn rolespec(spec: *mut pg_sys::RoleSpec) -> Option<(String, pg_sys::Oid)> {
    // SAFETY: per caller; PUBLIC is not a role (get_rolespec_oid would
    // raise an ERROR for it).
    unsafe {
        let s = spec.as_ref()?;
        if s.roletype == pg_sys::RoleSpecType::ROLESPEC_PUBLIC {
            return None;
        }
        let oid = pg_sys::get_rolespec_oid(spec, true);
        let name = if s.rolename.is_null() {
            cstr(pg_sys::GetUserNameFromId(oid, true))
        } else {
            cstr(s.rolename)
        };
        Some((name, oid))
    }
}

fn cstring(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s.replace('\0', "")).unwrap_or_default()
}

fn namespace_oid(name: &str) -> pg_sys::Oid {
    // SAFETY: missing_ok catalog lookup by NUL-terminated name.
    unsafe { pg_sys::get_namespace_oid(cstring(name).as_ptr(), true) }
}

/// `schema.relation` when `rv` names an existing relation in extguard's
/// schema (found by OID, so a renamed schema is still extguard's).
///
/// # Safety
/// `rv` must be NULL or a valid RangeVar; in a transaction.
unsafe fn extguard_relation(rv: *mut pg_sys::RangeVar) -> Option<String> {
    let schema = super::object_access::extguard_schema()?;
    // SAFETY: per caller; missing_ok lookup without a lock.
    unsafe {
        if rv.is_null() {
            return None;
        }
        let rel = pg_sys::RangeVarGetRelidExtended(
            rv,
            pg_sys::NoLock as i32,
            pg_sys::RVROption::RVR_MISSING_OK,
            None,
            std::ptr::null_mut(),
        );
        (rel != pg_sys::InvalidOid && pg_sys::get_rel_namespace(rel) == schema).then(|| {
            format!(
                "{}.{}",
                cstr(pg_sys::get_namespace_name(schema)),
                cstr((*rv).relname)
            )
        })
    }
}

/// The privileged roles that membership in `role` hands over: the role
/// itself and every role it is (transitively) a member of that is a
/// superuser, a predefined `pg_*` role, extguard's reader role or an
/// exempt role. Read with SPI as the current user (pg_roles and
/// pg_auth_members are readable by every role).
fn privileged_holdings(role: pg_sys::Oid) -> Vec<String> {
    if role == pg_sys::InvalidOid {
        return Vec::new();
    }
    let exempt = super::exempt_role_names();
    Spi::connect(|c| {
        c.select(
            "WITH RECURSIVE up(r) AS (SELECT $1::oid UNION                SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN up ON m.member = up.r)              SELECT a.rolname::text FROM up JOIN pg_catalog.pg_roles a ON a.oid = up.r              WHERE a.rolsuper OR a.rolname LIKE 'pg\\_%' OR a.rolname = $2                 OR a.rolname = ANY($3) ORDER BY 1",
            None,
            &[
                role.into(),
                crate::READER_ROLE.into(),
                exempt.into(),
            ],
        )
        .map(|rows| {
            rows.filter_map(|row| row.get::<String>(1).ok().flatten())
                .collect()
        })
        .unwrap_or_default()
    })
}

/// Record membership grants in privileged roles (`GRANT r TO u`, `CREATE
/// ROLE … IN ROLE r`, `ALTER GROUP r ADD USER u`): `extguard_tamper` when
/// the membership reaches an exempt role, else `grant_predefined_role`
/// (superusers, `pg_*` roles, extguard's reader role).
fn membership_grants(found: &mut Vec<(Vector, String)>, granted: &[String], grantees: &str) {
    let exempt = super::exempt_role_names();
    let mut predefined = Vec::new();
    let mut tamper = Vec::new();
    for role in granted {
        // SAFETY: missing_ok lookup by NUL-terminated name.
        let oid = unsafe { pg_sys::get_role_oid(cstring(role).as_ptr(), true) };
        let mut holds = privileged_holdings(oid);
        if oid == pg_sys::InvalidOid && vectors::is_predefined_role(role) {
            holds.push(role.clone());
        }
        if holds.is_empty() {
            continue;
        }
        let text = if holds.len() == 1 && holds[0] == *role {
            role.clone()
        } else {
            format!("{role} (holds {})", holds.join(", "))
        };
        if holds.iter().any(|h| exempt.contains(h)) {
            tamper.push(text);
        } else {
            predefined.push(text);
        }
    }
    for (v, list) in [
        (Vector::GrantPredefinedRole, predefined),
        (Vector::ExtguardTamper, tamper),
    ] {
        if !list.is_empty() {
            found.push((v, format!("GRANT {} TO {grantees}", list.join(", "))));
        }
    }
}

/// # Safety
/// `list` must be NULL or a List of DefElem; in a transaction.
unsafe fn role_options(
    found: &mut Vec<(Vector, String)>,
    role: &str,
    target: Option<pg_sys::Oid>,
    list: *mut pg_sys::List,
    action: i32,
) {
    // SAFETY: per caller; option_true checks node tags.
    unsafe {
        let opts = def_elems(list);
        let attrs: Vec<&str> = opts
            .iter()
            .filter(|(k, _, arg)| vectors::is_escalating_role_option(k) && option_true(*arg))
            .map(|(k, _, _)| k.as_str())
            .collect();
        if !attrs.is_empty() {
            found.push((
                Vector::RoleAttribute,
                format!("{role} {}", attrs.join(" ").to_uppercase()),
            ));
        }
        // A new password (or login) for a superuser is a way into it.
        let super_target = target.is_some_and(|oid| pg_sys::superuser_arg(oid));
        let password = opts.iter().any(|(k, _, _)| k == "password");
        if super_target && password && protected_role(role).is_none() {
            found.push((
                Vector::RoleAttribute,
                format!("{role} PASSWORD (superuser)"),
            ));
        }
        for (k, v, _) in &opts {
            match k.as_str() {
                // CREATE ROLE x IN ROLE r: x joins r.
                "addroleto" => {
                    let granted: Vec<String> = v.split(',').map(str::to_string).collect();
                    membership_grants(found, &granted, role);
                }
                // ALTER GROUP r ADD USER u / CREATE ROLE r ROLE u: u joins r.
                "rolemembers" | "adminmembers" if target.is_some() && action >= 0 => {
                    membership_grants(found, &[role.to_string()], v);
                }
                _ => {}
            }
        }
    }
}

/// Vector functions an EXECUTE grant hands over (`GRANT EXECUTE ON
/// FUNCTION pg_read_file(text) TO u`, or on all functions of pg_catalog),
/// recorded under the function's own vector.
///
/// # Safety
/// `g` is a valid GrantStmt; in a transaction.
unsafe fn grant_of_vector_functions(g: &pg_sys::GrantStmt) -> Vec<(Vector, String)> {
    use pg_sys::ObjectType::*;
    let mut out = Vec::new();
    if !matches!(
        g.objtype,
        OBJECT_FUNCTION | OBJECT_PROCEDURE | OBJECT_ROUTINE
    ) {
        return out;
    }
    // SAFETY: per caller; missing_ok lookups; casts follow targtype.
    unsafe {
        let grantees = node_text(g.grantees.cast());
        if g.targtype == pg_sys::GrantTargetType::ACL_TARGET_ALL_IN_SCHEMA {
            let catalog = list_ptrs::<pg_sys::Node>(g.objects)
                .into_iter()
                .any(|n| namespace_oid(&node_text(n)).to_u32() == pg_sys::PG_CATALOG_NAMESPACE);
            if catalog {
                out.push((
                    Vector::FileRead,
                    format!(
                        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_catalog TO {grantees}                          (pg_read_file, lo_export, pg_ls_dir, ...)"
                    ),
                ));
            }
            return out;
        }
        if g.targtype != pg_sys::GrantTargetType::ACL_TARGET_OBJECT {
            return out;
        }
        for owa in list_ptrs::<pg_sys::ObjectWithArgs>(g.objects) {
            let f = pg_sys::LookupFuncWithArgs(g.objtype, owa, true);
            if let Some((v, what)) = super::object_access::classify(f) {
                out.push((v, format!("GRANT EXECUTE ON FUNCTION {what} TO {grantees}")));
            }
        }
    }
    out
}

/// Classification of ALTER SYSTEM. Setting names are folded like
/// PostgreSQL folds them (`"EXTGUARD.audit"` is `extguard.audit`); `RESET
/// ALL` is an `extguard_setting` change when `postgresql.auto.conf` (read
/// before the statement runs) sets any extguard setting, which it lists.
///
/// # Safety
/// `s` must be a valid AlterSystemStmt.
unsafe fn alter_system(s: &pg_sys::AlterSystemStmt) -> (Vector, String) {
    // SAFETY: per caller; ExtractSetVariableArgs only reads the statement.
    unsafe {
        let st = &*s.setstmt;
        if st.kind == pg_sys::VariableSetKind::VAR_RESET_ALL {
            let path = format!("{}/postgresql.auto.conf", cstr(pg_sys::DataDir));
            let removed: Vec<String> = std::fs::read_to_string(&path)
                .map(|t| vectors::auto_conf_names(&t))
                .unwrap_or_default()
                .into_iter()
                .filter(|n| vectors::classify_setting(n) == Some(Vector::ExtguardSetting))
                .collect();
            return if removed.is_empty() {
                (Vector::AlterSystem, "ALTER SYSTEM RESET ALL".into())
            } else {
                (
                    Vector::ExtguardSetting,
                    format!("ALTER SYSTEM RESET ALL removes {}", removed.join(", ")),
                )
            };
        }
        let name = cstr(st.name);
        let value = if st.kind == pg_sys::VariableSetKind::VAR_SET_VALUE {
            cstr(pg_sys::ExtractSetVariableArgs(s.setstmt))
        } else {
            "DEFAULT".to_string()
        };
        let v = if vectors::classify_setting(&name) == Some(Vector::ExtguardSetting) {
            Vector::ExtguardSetting
        } else {
            Vector::AlterSystem
        };
        (v, format!("ALTER SYSTEM {name} = {value}"))
    }
}

/// The text of this statement within a multi-statement query string.
///
/// # Safety
/// `pstmt` valid; `query` NULL or the NUL-terminated source string.
pub(crate) unsafe fn statement_text(
    pstmt: *mut pg_sys::PlannedStmt,
    query: *const c_char,
) -> String {
    // SAFETY: per caller; location/len are byte offsets into `query`.
    let all = unsafe { cstr(query) };
    let (loc, len) = unsafe { ((*pstmt).stmt_location, (*pstmt).stmt_len) };
    let start = (loc.max(0) as usize).min(all.len());
    let end = if len > 0 {
        (start + len as usize).min(all.len())
    } else {
        all.len()
    };
    all.get(start..end).unwrap_or(&all).trim().to_string()
}

#[pg_guard]
#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    // SAFETY: PostgreSQL passes a valid PlannedStmt and source text.
    let mut found = unsafe { classify((*pstmt).utilityStmt) };
    if super::in_own_script() {
        // CREATE EXTENSION extguard's script grants on its own objects.
        found.retain(|(v, _)| *v != Vector::ExtguardTamper);
    }
    let mut setting_guard = None;
    // SAFETY: as above.
    let own_script = unsafe { creates_extguard((*pstmt).utilityStmt) };
    let _tamper = super::tamper_scope(
        found.iter().any(|(v, _)| *v == Vector::ExtguardTamper),
        own_script,
    );
    let _stmt = super::set_utility_stmt(pstmt, query_string);
    // SAFETY: as above.
    let _script =
        unsafe { runs_extension_script((*pstmt).utilityStmt) }.then(super::extension_script_scope);
    if !found.is_empty() {
        // SAFETY: as above.
        let stmt = unsafe { statement_text(pstmt, query_string) };
        for (v, detail) in found {
            if matches!(
                v,
                Vector::SensitiveSetting | Vector::SetRole | Vector::ExtguardSetting
            ) {
                setting_guard.get_or_insert_with(super::suppress_setting_checks);
            }
            report(v, "utility", detail, Some(stmt.clone()));
        }
    }
    if super::gate::enabled() {
        // SAFETY: as above.
        unsafe { gate_check((*pstmt).utilityStmt, pstmt, query_string) };
    }
    let _depth = super::enter_depth();
    // SAFETY: PREV is the hook installed before ours; the arguments are
    // PostgreSQL's, passed on unchanged.
    unsafe {
        super::chain_process_utility(
            PREV,
            pstmt,
            query_string,
            read_only_tree,
            context,
            params,
            query_env,
            dest,
            qc,
        )
    }
}

/// The digest gate for the statements that run or load code from files:
/// CREATE EXTENSION (and what CASCADE creates), ALTER EXTENSION ...
/// UPDATE, LOAD, CREATE FUNCTION ... LANGUAGE c (the validator loads the
/// library).
///
/// # Safety
/// `node` is the utilityStmt of `pstmt`, PostgreSQL's valid statement with
/// its source text `query_string`.
unsafe fn gate_check(
    node: *mut pg_sys::Node,
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const c_char,
) {
    use super::gate;
    // SAFETY: every cast follows a tag check on the same node.
    unsafe {
        let n = node.cast::<c_void>();
        if is(n, NodeTag::T_CreateExtensionStmt) {
            let c = &*node.cast::<pg_sys::CreateExtensionStmt>();
            let cascade = def_elems(c.options)
                .iter()
                .any(|(k, _, arg)| k == "cascade" && option_true(*arg));
            gate::check_extension(
                &cstr(c.extname),
                cascade,
                statement_text(pstmt, query_string),
            );
        } else if is(n, NodeTag::T_AlterExtensionStmt) {
            let a = &*node.cast::<pg_sys::AlterExtensionStmt>();
            gate::check_extension(&cstr(a.extname), false, statement_text(pstmt, query_string));
        } else if is(n, NodeTag::T_LoadStmt) {
            let name = cstr((*node.cast::<pg_sys::LoadStmt>()).filename);
            gate::check_library(&name, "utility", "LOAD");
        } else if is(n, NodeTag::T_CreateFunctionStmt) {
            let f = &*node.cast::<pg_sys::CreateFunctionStmt>();
            let opts = def_elems(f.options);
            let is_c = opts
                .iter()
                .find(|(k, _, _)| k == "language")
                .is_some_and(|(_, lang, _)| gate::is_c_language(lang));
            if let (true, Some(lib)) = (is_c, function_library(&opts)) {
                let context = format!("CREATE FUNCTION {}", node_text(f.funcname.cast()));
                gate::check_library(&lib, "utility", &context);
            }
        } else if is(n, NodeTag::T_AlterSystemStmt) {
            // Settings naming libraries other processes load later (the
            // archiver, every login, the next start): vetted when they are
            // configured, as no hook runs where those processes load them.
            let st = &*(*node.cast::<pg_sys::AlterSystemStmt>()).setstmt;
            let name = cstr(st.name).to_ascii_lowercase();
            if st.kind == pg_sys::VariableSetKind::VAR_SET_VALUE
                && crate::gate::library_setting(&name)
            {
                let value = cstr(pg_sys::ExtractSetVariableArgs(
                    (*node.cast::<pg_sys::AlterSystemStmt>()).setstmt,
                ));
                let context = format!("ALTER SYSTEM SET {name}");
                for lib in crate::gate::split_library_list(&value) {
                    let lib = crate::gate::as_loaded_by(&name, &lib);
                    gate::check_library(&lib, "utility", &context);
                }
            }
        }
    }
}

/// The role a `RoleSpec` names, `absent` when there is none (ALTER ROLE ALL,
/// a user mapping for PUBLIC).
///
/// # Safety
/// `spec` must be NULL or a valid `RoleSpec` of the statement being run.
unsafe fn role_spec_name(spec: *mut pg_sys::RoleSpec, absent: &str) -> String {
    // SAFETY: per the caller.
    match unsafe { spec.as_ref() } {
        Some(r) => cstr(r.rolename),
        None => absent.to_string(),
    }
}
