//! Executor hooks: ExecutorCheckPerms (DML on pg_catalog tables, scans of
//! file_fdw and postgres_fdw foreign tables),
//! ExecutorStart and ExecutorRun (remember the statement text for records
//! made while the plan is set up or runs; nesting depth).

use super::{report, BackendLocal};
use crate::compat::{self, CheckPermsArgs, ExecutorRunArgs, RelationUse};
use crate::vectors::Vector;
use pgrx::pg_sys::{self, NodeTag};
use std::cell::Cell;
use std::ffi::c_char;

/// Plan being set up by ExecutorStart (NULL outside it).
static CURRENT_PLAN: BackendLocal<Cell<*mut pg_sys::PlannedStmt>> =
    BackendLocal::new(Cell::new(std::ptr::null_mut()));

static mut PREV_PERMS: pg_sys::ExecutorCheckPerms_hook_type = None;
static mut PREV_START: pg_sys::ExecutorStart_hook_type = None;
static mut PREV_RUN: pg_sys::ExecutorRun_hook_type = None;

pub fn install() {
    // SAFETY: _PG_init, single-threaded; hooks saved and chained.
    unsafe {
        PREV_PERMS = pg_sys::ExecutorCheckPerms_hook;
        pg_sys::ExecutorCheckPerms_hook = Some(check_perms);
        PREV_START = pg_sys::ExecutorStart_hook;
        pg_sys::ExecutorStart_hook = Some(executor_start);
        PREV_RUN = pg_sys::ExecutorRun_hook;
        pg_sys::ExecutorRun_hook = Some(executor_run);
    }
}

/// Catalog tables written by this range table, as "INSERT pg_authid" etc.
///
/// # Safety
/// `args` must be what the executor passed to ExecutorCheckPerms.
unsafe fn catalog_writes(args: CheckPermsArgs) -> Vec<String> {
    let mut out = Vec::new();
    // SAFETY: per caller; catalog OIDs are below FirstNormalObjectId, which
    // keeps the namespace lookup off the common path.
    unsafe {
        for r in args.relations() {
            if !writes_system_oid(&r) {
                continue;
            }
            if pg_sys::get_rel_namespace(r.relid).to_u32() != pg_sys::PG_CATALOG_NAMESPACE {
                continue;
            }
            let op = if r.required_perms & compat::ACL_INSERT != 0 {
                "INSERT"
            } else if r.required_perms & compat::ACL_UPDATE != 0 {
                "UPDATE"
            } else {
                "DELETE"
            };
            out.push(format!(
                "{op} {}",
                super::cstr(pg_sys::get_rel_name(r.relid))
            ));
        }
    }
    out
}

/// Foreign tables this range table reads or writes through file_fdw (a
/// program run or a server file read at scan time) or postgres_fdw (a
/// connection opened at scan time), however long ago they were created
/// and whatever their wrapper is called.
///
/// # Safety
/// `args` must be what the executor passed to ExecutorCheckPerms.
unsafe fn foreign_scans(args: CheckPermsArgs) -> Vec<(Vector, String)> {
    // SAFETY: per caller; the executor holds a lock on each table.
    unsafe {
        args.relations()
            .filter(is_foreign_table)
            .filter_map(|r| super::fdw::foreign_table_target(r.relid, "scan"))
            .collect()
    }
}

/// Whether a range table may hold something to record: a write to a
/// table with a catalog OID, or a foreign table. One pass, no lookups:
/// this runs for every query.
///
/// # Safety
/// `args` must be what the executor passed to ExecutorCheckPerms.
#[inline(always)]
unsafe fn worth_a_look(args: CheckPermsArgs) -> bool {
    // SAFETY: per caller.
    unsafe { args.relations() }.any(|r| writes_system_oid(&r) || is_foreign_table(&r))
}

/// A write (INSERT, UPDATE, DELETE) to a relation with a system OID: the
/// candidates for catalog DML, before the namespace lookup.
#[inline(always)]
fn writes_system_oid(r: &RelationUse) -> bool {
    let write = compat::ACL_INSERT | compat::ACL_UPDATE | compat::ACL_DELETE;
    r.required_perms & write != 0 && r.relid.to_u32() < pg_sys::FirstNormalObjectId
}

#[inline(always)]
fn is_foreign_table(r: &RelationUse) -> bool {
    r.relkind == pg_sys::RELKIND_FOREIGN_TABLE
}

/// Record the catalog writes and foreign-table scans of a range table.
///
/// # Safety
/// `args` must be what the executor passed to ExecutorCheckPerms.
#[cold]
#[inline(never)]
unsafe fn record_range_table(args: CheckPermsArgs) {
    // SAFETY: per caller.
    let writes = unsafe { catalog_writes(args) };
    if !writes.is_empty() {
        report(Vector::CatalogDml, "check_perms", writes.join(", "), None);
    }
    // SAFETY: as above.
    for (v, detail) in unsafe { foreign_scans(args) } {
        report(v, "check_perms", detail, None);
    }
}

compat::check_perms_hook!(check_perms => check_perms_body);

/// # Safety
/// `args` must be what the executor passed to ExecutorCheckPerms.
unsafe fn check_perms_body(args: CheckPermsArgs) -> bool {
    // SAFETY: the executor passes its range table (and permission infos).
    if unsafe { worth_a_look(args) } {
        // SAFETY: as above.
        unsafe { record_range_table(args) };
    }
    // SAFETY: PREV_PERMS is the hook installed before ours.
    unsafe { args.chain(PREV_PERMS) }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: i32) {
    // SAFETY: valid QueryDesc; its sourceText and plan outlive this call.
    let _text = super::set_source_text(unsafe { (*query_desc).sourceText });
    let _plan = super::Restore::set(&CURRENT_PLAN, unsafe { (*query_desc).plannedstmt });
    // SAFETY: raw previous hook inside the FFI boundary; the standard
    // function is a pgrx binding and already guarded.
    unsafe {
        match PREV_START {
            Some(prev) => pg_sys::ffi::pg_guard_ffi_boundary(|| prev(query_desc, eflags)),
            None => pg_sys::standard_ExecutorStart(query_desc, eflags),
        }
    }
}

compat::executor_run_hook!(executor_run => executor_run_body);

/// # Safety
/// `args` must be what the executor passed to ExecutorRun.
unsafe fn executor_run_body(args: ExecutorRunArgs) {
    let _depth = super::enter_depth();
    // Records made while the plan runs (trigger functions, index support
    // functions, ...) name this statement.
    // SAFETY: valid QueryDesc; its sourceText outlives this call.
    let _text = super::set_source_text(unsafe { (*args.query_desc).sourceText });
    // SAFETY: PREV_RUN is the hook installed before ours.
    unsafe { args.chain(PREV_RUN) }
}

/// Constant text arguments of the calls to function `funcid` in the plan
/// ExecutorStart is setting up (e.g. a dblink connection string), joined
/// with " | "; None outside ExecutorStart (PL/pgSQL simple expressions) or
/// when no argument is a constant.
pub(crate) fn const_args_of(funcid: pg_sys::Oid) -> Option<String> {
    let mut out = Vec::new();
    visit_calls(funcid, &mut |f| {
        // SAFETY: `f` is a FuncExpr of the plan being set up.
        let texts: Vec<String> = unsafe { super::utility::list_ptrs::<pg_sys::Node>((*f).args) }
            .into_iter()
            // SAFETY: each argument is an expression node.
            .filter_map(|a| unsafe { const_text(a) })
            .collect();
        if !texts.is_empty() {
            out.push(texts.join(", "));
        }
    })?;
    (!out.is_empty()).then(|| out.join(" | "))
}

/// Argument `n` (from 0) of each call to function `funcid` in the plan
/// ExecutorStart is setting up: its text when it is a text constant, None
/// when it is anything else. None outside ExecutorStart.
pub(crate) fn const_arg_at(funcid: pg_sys::Oid, n: usize) -> Option<Vec<Option<String>>> {
    let mut out = Vec::new();
    visit_calls(funcid, &mut |f| {
        // SAFETY: `f` is a FuncExpr of the plan being set up; its
        // arguments are expression nodes.
        let arg = unsafe { super::utility::list_ptrs::<pg_sys::Node>((*f).args) }
            .get(n)
            .and_then(|a| unsafe { const_text(*a) });
        out.push(arg);
    })?;
    Some(out)
}

/// Call `visit` with each call of function `funcid` in the plan
/// ExecutorStart is setting up; None outside ExecutorStart.
fn visit_calls(funcid: pg_sys::Oid, visit: &mut dyn FnMut(*mut pg_sys::FuncExpr)) -> Option<()> {
    let plan = CURRENT_PLAN.get();
    if plan.is_null() {
        return None;
    }
    // SAFETY: `plan` is the PlannedStmt of the running ExecutorStart; the
    // walk only follows node pointers after checking their tags.
    unsafe {
        scan_plan((*plan).planTree, funcid, visit, 0);
        for sub in super::utility::list_ptrs::<pg_sys::Plan>((*plan).subplans) {
            scan_plan(sub, funcid, visit, 0);
        }
    }
    Some(())
}

fn tag_of(node: *const pg_sys::Node) -> Option<NodeTag> {
    // SAFETY: callers pass NULL or a valid node.
    unsafe { node.as_ref().map(|n| n.type_) }
}

/// # Safety
/// `plan` must be NULL or a valid plan tree.
unsafe fn scan_plan(
    plan: *mut pg_sys::Plan,
    funcid: pg_sys::Oid,
    out: &mut dyn FnMut(*mut pg_sys::FuncExpr),
    depth: u32,
) {
    if plan.is_null() || depth > 64 {
        return;
    }
    // SAFETY: per caller; FunctionScan checked by tag before the cast.
    unsafe {
        scan_node((*plan).targetlist.cast(), funcid, out, depth);
        scan_node((*plan).qual.cast(), funcid, out, depth);
        if tag_of(plan.cast()) == Some(NodeTag::T_FunctionScan) {
            let fs = plan.cast::<pg_sys::FunctionScan>();
            for rtf in super::utility::list_ptrs::<pg_sys::RangeTblFunction>((*fs).functions) {
                scan_node((*rtf).funcexpr, funcid, out, depth);
            }
        }
        scan_plan((*plan).lefttree, funcid, out, depth + 1);
        scan_plan((*plan).righttree, funcid, out, depth + 1);
    }
}

/// # Safety
/// `node` must be NULL or a valid expression node.
unsafe fn scan_node(
    node: *mut pg_sys::Node,
    funcid: pg_sys::Oid,
    out: &mut dyn FnMut(*mut pg_sys::FuncExpr),
    depth: u32,
) {
    if depth > 64 {
        return;
    }
    // SAFETY: every cast follows a tag check.
    unsafe {
        match tag_of(node) {
            Some(NodeTag::T_List) => {
                for n in super::utility::list_ptrs::<pg_sys::Node>(node.cast()) {
                    scan_node(n, funcid, out, depth + 1);
                }
            }
            Some(NodeTag::T_TargetEntry) => scan_node(
                (*node.cast::<pg_sys::TargetEntry>()).expr.cast(),
                funcid,
                out,
                depth + 1,
            ),
            Some(NodeTag::T_OpExpr) => scan_node(
                (*node.cast::<pg_sys::OpExpr>()).args.cast(),
                funcid,
                out,
                depth + 1,
            ),
            Some(NodeTag::T_FuncExpr) => {
                let f = node.cast::<pg_sys::FuncExpr>();
                if (*f).funcid == funcid {
                    out(f);
                }
                scan_node((*f).args.cast(), funcid, out, depth + 1);
            }
            _ => {}
        }
    }
}

/// Constant text arguments of one call expression (FuncExpr or OpExpr),
/// joined with ", "; None if there are none.
///
/// # Safety
/// `expr` must be NULL or a valid expression node.
pub(crate) unsafe fn const_args_of_expr(expr: *mut pg_sys::Node) -> Option<String> {
    // SAFETY: casts follow tag checks.
    let args = unsafe {
        match tag_of(expr) {
            Some(NodeTag::T_FuncExpr) => (*expr.cast::<pg_sys::FuncExpr>()).args,
            Some(NodeTag::T_OpExpr) => (*expr.cast::<pg_sys::OpExpr>()).args,
            _ => return None,
        }
    };
    // SAFETY: args is a List of expression nodes.
    let texts: Vec<String> = unsafe { super::utility::list_ptrs::<pg_sys::Node>(args) }
        .into_iter()
        // SAFETY: each element is an expression node.
        .filter_map(|a| unsafe { const_text(a) })
        .collect();
    (!texts.is_empty()).then(|| texts.join(", "))
}

/// Text of a non-NULL `text` or `name` constant (file names, connection
/// strings, slot and output plugin names).
///
/// # Safety
/// `node` must be NULL or a valid expression node.
unsafe fn const_text(node: *mut pg_sys::Node) -> Option<String> {
    if tag_of(node) != Some(NodeTag::T_Const) {
        return None;
    }
    // SAFETY: tag checked; a text Const holds a (possibly toasted) varlena,
    // which text_to_cstring detoasts; a name Const points to a
    // NUL-terminated NAMEDATALEN buffer.
    unsafe {
        let c = &*node.cast::<pg_sys::Const>();
        if c.constisnull {
            return None;
        }
        if c.consttype == pg_sys::TEXTOID {
            Some(super::cstr(pg_sys::text_to_cstring(
                c.constvalue.cast_mut_ptr(),
            )))
        } else if c.consttype == pg_sys::NAMEOID {
            Some(super::cstr(c.constvalue.cast_mut_ptr::<c_char>()))
        } else {
            None
        }
    }
}
