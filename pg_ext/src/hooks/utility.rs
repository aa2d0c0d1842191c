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

/// `Some(trusted)` for an existing language, None if there is none.
fn language_trusted(name: &str) -> Option<bool> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: syscache lookup by NUL-terminated name; tuple released; the
    // attribute 5 of pg_language is lanpltrusted (bool, NOT NULL).
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::LANGNAME as i32,
            pg_sys::Datum::from(name.as_ptr()),
        );
        if tup.is_null() {
            return None;
        }
        let mut isnull = false;
        let d = pg_sys::SysCacheGetAttr(
            pg_sys::SysCacheIdentifier::LANGNAME as i32,
            tup,
            5,
            &mut isnull,
        );
        let trusted = !isnull && d.value() != 0;
        pg_sys::ReleaseSysCache(tup);
        Some(trusted)
    }
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
            if language_trusted(&lang) == Some(false) {
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
            // A C function of an extension script pointing at the library
            // the extension ships ($libdir/...) is the extension itself,
            // vetted by the package scanner; recording every one of them
            // would bury the real signals.
            let shipped_library = in_extension_script()
                && lang.eq_ignore_ascii_case("c")
                && body.as_deref().is_some_and(|b| b.starts_with("$libdir/"));
            if language_trusted(&lang) == Some(false) && !shipped_library {
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
                found.push((v, format!("SET {name} = {value}")));
            }
        } else if is(n, NodeTag::T_AlterRoleSetStmt) {
            let s = &*node.cast::<pg_sys::AlterRoleSetStmt>();
            if let Some((v, name, value)) = setting(s.setstmt) {
                let role = if s.role.is_null() {
                    "ALL".into()
                } else {
                    cstr((*s.role).rolename)
                };
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
            let s = &*node.cast::<pg_sys::AlterSystemStmt>();
            let (name, value) = match setting(s.setstmt) {
                Some((_, name, value)) => (name, value),
                None => {
                    let st = &*s.setstmt;
                    (
                        cstr(st.name),
                        cstr(pg_sys::ExtractSetVariableArgs(s.setstmt)),
                    )
                }
            };
            let v = if name.starts_with("extguard.") {
                Vector::ExtguardSetting
            } else {
                Vector::AlterSystem
            };
            found.push((v, format!("ALTER SYSTEM {name} = {value}")));
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
            }
        } else if is(n, NodeTag::T_CreateRoleStmt) {
            let r = &*node.cast::<pg_sys::CreateRoleStmt>();
            role_options(&mut found, &cstr(r.role), r.options);
        } else if is(n, NodeTag::T_AlterRoleStmt) {
            let r = &*node.cast::<pg_sys::AlterRoleStmt>();
            let role = if r.role.is_null() {
                String::new()
            } else {
                cstr((*r.role).rolename)
            };
            role_options(&mut found, &role, r.options);
        } else if is(n, NodeTag::T_GrantRoleStmt) {
            let g = &*node.cast::<pg_sys::GrantRoleStmt>();
            if g.is_grant {
                let roles: Vec<String> = list_ptrs::<pg_sys::AccessPriv>(g.granted_roles)
                    .into_iter()
                    .map(|p| cstr((*p).priv_name))
                    .collect();
                let predefined: Vec<&String> = roles
                    .iter()
                    .filter(|r| vectors::is_predefined_role(r))
                    .collect();
                if !predefined.is_empty() {
                    let options = crate::compat::grant_role_options(g);
                    found.push((
                        Vector::GrantPredefinedRole,
                        format!(
                            "GRANT {} TO {}{}",
                            predefined
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(","),
                            node_text(g.grantee_roles.cast()),
                            if options.is_empty() {
                                String::new()
                            } else {
                                format!(" WITH {}", options.join(", "))
                            }
                        ),
                    ));
                }
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
        } else if is(n, NodeTag::T_CreateUserMappingStmt) {
            let s = &*node.cast::<pg_sys::CreateUserMappingStmt>();
            let user = if s.user.is_null() {
                String::new()
            } else {
                cstr((*s.user).rolename)
            };
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
            let a = &*node.cast::<pg_sys::AlterTableStmt>();
            if a.objtype == pg_sys::ObjectType::OBJECT_FOREIGN_TABLE {
                for cmd in list_ptrs::<pg_sys::AlterTableCmd>(a.cmds) {
                    if (*cmd).subtype == pg_sys::AlterTableType::AT_GenericOptions {
                        file_fdw_options(&mut found, (*cmd).def.cast());
                    }
                }
            }
        } else if is(n, NodeTag::T_DropStmt) {
            let d = &*node.cast::<pg_sys::DropStmt>();
            if d.removeType == pg_sys::ObjectType::OBJECT_EXTENSION
                || d.removeType == pg_sys::ObjectType::OBJECT_SCHEMA
            {
                let names = node_text(d.objects.cast());
                if names.split(',').any(|s| s == "extguard") {
                    found.push((Vector::ExtguardTamper, format!("DROP {names}")));
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

/// True when a GRANT / REVOKE names extguard's schema or an object in it.
///
/// # Safety
/// `g` is a valid GrantStmt; in a transaction (catalog lookups).
unsafe fn grant_touches_extguard(g: &pg_sys::GrantStmt) -> bool {
    use pg_sys::ObjectType::*;
    // SAFETY: per caller; lookups are missing_ok; casts follow objtype.
    unsafe {
        let schema = pg_sys::get_namespace_oid(c"extguard".as_ptr(), true);
        if schema == pg_sys::InvalidOid {
            return false;
        }
        let names = || {
            list_ptrs::<pg_sys::Node>(g.objects)
                .into_iter()
                .any(|n| node_text(n) == "extguard")
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

/// # Safety
/// `list` must be NULL or a List of DefElem.
unsafe fn role_options(found: &mut Vec<(Vector, String)>, role: &str, list: *mut pg_sys::List) {
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
        // CREATE ROLE x IN ROLE pg_... grants membership too.
        for (k, v, _) in &opts {
            if k == "addroleto" && v.split(',').any(vectors::is_predefined_role) {
                found.push((Vector::GrantPredefinedRole, format!("GRANT {v} TO {role}")));
            }
        }
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
    let _depth = super::enter_depth();
    // SAFETY: chain to the previous hook (a raw C pointer: wrapped in the
    // FFI boundary) or to the standard implementation (a pgrx binding, which
    // is already guarded; wrapping it again would let the panic it raises
    // cross the sigsetjmp trampoline).
    unsafe {
        match PREV {
            Some(prev) => pg_sys::ffi::pg_guard_ffi_boundary(|| {
                prev(
                    pstmt,
                    query_string,
                    read_only_tree,
                    context,
                    params,
                    query_env,
                    dest,
                    qc,
                )
            }),
            None => pg_sys::standard_ProcessUtility(
                pstmt,
                query_string,
                read_only_tree,
                context,
                params,
                query_env,
                dest,
                qc,
            ),
        }
    }
}
