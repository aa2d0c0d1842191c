//! Reading libpg_query's PL/pgSQL trees in place.
//!
//! `csrc/plpgsql_compile.c` compiles the bodies of a statement and leaves
//! the trees in libpg_query's memory; they are read here into [`Json`],
//! the same tree libpg_query's JSON output of them describes (field names,
//! nesting, and which fields are left out when zero, false or NULL), so the
//! walk over a body does not depend on which way the tree arrived.
//! `tests::matches_libpg_query_json` compares the two on bodies using every
//! statement kind.

use std::os::raw::{c_char, c_int};

use super::{cells, string as c_string, sys};
use crate::parse::json::{Json, MAX_DEPTH};
use crate::parse::PlpgsqlError;

type Pairs = Vec<(&'static str, Json)>;

/// A tree nested more deeply than [`MAX_DEPTH`] levels of arrays and
/// objects (counted as in its JSON document).
#[derive(Debug, Clone, PartialEq)]
pub struct TooDeep;

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_DEPTH} levels")
    }
}

/// Parse `text` (SQL holding CREATE FUNCTION or DO statements) and compile
/// the PL/pgSQL body of each: an array of their trees, as libpg_query's
/// `pg_query_parse_plpgsql` describes them, or its error with the error's
/// context (which names the body line). With `check_syntax`, the SQL of
/// every expression is parsed as well, as libpg_query's own entry point
/// (and PostgreSQL validating a body) does; without, the tree is the same
/// but an expression that does not parse goes unnoticed. With `body`, that
/// is the body compiled, and the statement's literal only a placeholder.
pub fn compile(
    text: &std::ffi::CStr,
    body: Option<&std::ffi::CStr>,
    check_syntax: bool,
) -> Result<Result<Json, TooDeep>, PlpgsqlError> {
    // SAFETY: `extguard_plpgsql_compile` catches every PostgreSQL error in
    // its own frame (PG_TRY), so no longjmp crosses Rust frames. It works on
    // libpg_query's thread-local state and one memory context it enters on
    // this thread; the trees in that context are only read, and the result
    // is freed exactly once, after the last read, on this thread.
    unsafe {
        let mut r = sys::extguard_plpgsql_compile(
            text.as_ptr(),
            body.map_or(std::ptr::null(), std::ffi::CStr::as_ptr),
            check_syntax,
        );
        let out = if r.message.is_null() {
            let mut cx = Cx { too_deep: false };
            let count = usize::try_from(r.count).unwrap_or(0);
            let functions: &[*mut sys::PLpgSQL_function] = if count == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(r.functions, count)
            };
            let tree = Json::Array(functions.iter().map(|&f| function(&mut cx, 2, f)).collect());
            cx.check(1);
            Ok(if cx.too_deep { Err(TooDeep) } else { Ok(tree) })
        } else {
            Err(PlpgsqlError {
                message: c_string(r.message),
                context: c_string(r.context),
            })
        };
        sys::extguard_plpgsql_free(&mut r);
        out
    }
}

struct Cx {
    too_deep: bool,
}

impl Cx {
    /// An array or object at depth `d` (the document's outer array is 1).
    fn check(&mut self, d: usize) {
        if d > MAX_DEPTH {
            self.too_deep = true;
        }
    }

    /// `{"<tag>": {fields}}` with the outer object at depth `d`.
    fn tagged(&mut self, d: usize, tag: &'static str, fields: Pairs) -> Json {
        self.check(d + 1);
        Json::Object(vec![(tag, Json::Object(fields))])
    }
}

fn int(f: &mut Pairs, key: &'static str, v: i64) {
    if v != 0 {
        f.push((key, Json::Int(v)));
    }
}

fn enumeration(f: &mut Pairs, key: &'static str, v: i64) {
    f.push((key, Json::Int(v)));
}

fn flag(f: &mut Pairs, key: &'static str, v: bool) {
    if v {
        f.push((key, Json::Bool(true)));
    }
}

unsafe fn string(f: &mut Pairs, key: &'static str, p: *const c_char) {
    if !p.is_null() {
        f.push((key, Json::Str(c_string(p).into_boxed_str())));
    }
}

/// An expression field, its value at depth `d`.
unsafe fn expr_field(
    cx: &mut Cx,
    f: &mut Pairs,
    key: &'static str,
    d: usize,
    p: *const sys::PLpgSQL_expr,
) {
    if !p.is_null() {
        f.push((key, expr(cx, d, p)));
    }
}

/// A list field whose items are converted by `item` (each at depth `d + 1`),
/// the array at depth `d`; left out when the list is empty.
unsafe fn list_field<T>(
    cx: &mut Cx,
    f: &mut Pairs,
    key: &'static str,
    d: usize,
    l: *const sys::List,
    item: impl Fn(&mut Cx, usize, *const T) -> Json,
) {
    let cells = cells(l);
    if cells.is_empty() {
        return;
    }
    cx.check(d);
    let items = cells
        .iter()
        .map(|c| item(cx, d + 1, c.ptr_value as *const T))
        .collect();
    f.push((key, Json::Array(items)));
}

unsafe fn stmts_field(
    cx: &mut Cx,
    f: &mut Pairs,
    key: &'static str,
    d: usize,
    l: *const sys::List,
) {
    list_field(cx, f, key, d, l, |cx, d, s| stmt(cx, d, s));
}

unsafe fn exprs_field(
    cx: &mut Cx,
    f: &mut Pairs,
    key: &'static str,
    d: usize,
    l: *const sys::List,
) {
    list_field(cx, f, key, d, l, |cx, d, e| expr(cx, d, e));
}

unsafe fn variable_field(
    cx: &mut Cx,
    f: &mut Pairs,
    key: &'static str,
    d: usize,
    p: *const sys::PLpgSQL_variable,
) {
    if !p.is_null() {
        f.push((key, datum(cx, d, p.cast())));
    }
}

unsafe fn function(cx: &mut Cx, d: usize, p: *const sys::PLpgSQL_function) -> Json {
    let func = &*p;
    let mut f = Pairs::new();
    int(&mut f, "new_varno", func.new_varno.into());
    int(&mut f, "old_varno", func.old_varno.into());
    let datums: &[*mut sys::PLpgSQL_datum] = if func.ndatums <= 0 || func.datums.is_null() {
        &[]
    } else {
        std::slice::from_raw_parts(func.datums, func.ndatums as usize)
    };
    cx.check(d + 2);
    let datums = datums.iter().map(|&x| datum(cx, d + 3, x)).collect();
    f.push(("datums", Json::Array(datums)));
    if !func.action.is_null() {
        f.push(("action", block(cx, d + 2, func.action)));
    }
    cx.tagged(d, "PLpgSQL_function", f)
}

unsafe fn datum(cx: &mut Cx, d: usize, p: *const sys::PLpgSQL_datum) -> Json {
    match (*p).dtype {
        sys::PLPGSQL_DTYPE_VAR => {
            let v = &*p.cast::<sys::PLpgSQL_var>();
            let mut f = Pairs::new();
            string(&mut f, "refname", v.refname);
            int(&mut f, "lineno", v.lineno.into());
            if !v.datatype.is_null() {
                let mut t = Pairs::new();
                string(&mut t, "typname", (*v.datatype).typname);
                f.push(("datatype", cx.tagged(d + 2, "PLpgSQL_type", t)));
            }
            flag(&mut f, "isconst", v.isconst);
            flag(&mut f, "notnull", v.notnull);
            expr_field(cx, &mut f, "default_val", d + 2, v.default_val);
            expr_field(
                cx,
                &mut f,
                "cursor_explicit_expr",
                d + 2,
                v.cursor_explicit_expr,
            );
            int(
                &mut f,
                "cursor_explicit_argrow",
                v.cursor_explicit_argrow.into(),
            );
            int(&mut f, "cursor_options", v.cursor_options.into());
            cx.tagged(d, "PLpgSQL_var", f)
        }
        sys::PLPGSQL_DTYPE_ROW => {
            let r = &*p.cast::<sys::PLpgSQL_row>();
            let mut f = Pairs::new();
            string(&mut f, "refname", r.refname);
            int(&mut f, "lineno", r.lineno.into());
            let n = usize::try_from(r.nfields).unwrap_or(0);
            cx.check(d + 2);
            let mut fields = Vec::with_capacity(n);
            for i in 0..n {
                let name = *r.fieldnames.add(i);
                if name.is_null() {
                    fields.push(Json::Null);
                } else {
                    cx.check(d + 3);
                    let mut field = Pairs::new();
                    string(&mut field, "name", name);
                    int(&mut field, "varno", (*r.varnos.add(i)).into());
                    fields.push(Json::Object(field));
                }
            }
            f.push(("fields", Json::Array(fields)));
            cx.tagged(d, "PLpgSQL_row", f)
        }
        sys::PLPGSQL_DTYPE_REC => {
            let r = &*p.cast::<sys::PLpgSQL_rec>();
            let mut f = Pairs::new();
            string(&mut f, "refname", r.refname);
            int(&mut f, "dno", r.dno.into());
            int(&mut f, "lineno", r.lineno.into());
            cx.tagged(d, "PLpgSQL_rec", f)
        }
        sys::PLPGSQL_DTYPE_RECFIELD => {
            let r = &*p.cast::<sys::PLpgSQL_recfield>();
            let mut f = Pairs::new();
            string(&mut f, "fieldname", r.fieldname);
            int(&mut f, "recparentno", r.recparentno.into());
            cx.tagged(d, "PLpgSQL_recfield", f)
        }
        // promises are made only when compiling against a catalog
        _ => {
            cx.check(d);
            Json::Object(Vec::new())
        }
    }
}

unsafe fn expr(cx: &mut Cx, d: usize, p: *const sys::PLpgSQL_expr) -> Json {
    let e = &*p;
    let mut f = Pairs::new();
    string(&mut f, "query", e.query);
    enumeration(&mut f, "parseMode", e.parseMode.into());
    cx.tagged(d, "PLpgSQL_expr", f)
}

unsafe fn block(cx: &mut Cx, d: usize, p: *const sys::PLpgSQL_stmt_block) -> Json {
    let b = &*p;
    let mut f = Pairs::new();
    int(&mut f, "lineno", b.lineno.into());
    string(&mut f, "label", b.label);
    stmts_field(cx, &mut f, "body", d + 2, b.body);
    if !b.exceptions.is_null() {
        let mut x = Pairs::new();
        list_field(
            cx,
            &mut x,
            "exc_list",
            d + 4,
            (*b.exceptions).exc_list,
            |cx, d, e| exception(cx, d, e),
        );
        f.push(("exceptions", cx.tagged(d + 2, "PLpgSQL_exception_block", x)));
    }
    cx.tagged(d, "PLpgSQL_stmt_block", f)
}

unsafe fn exception(cx: &mut Cx, d: usize, p: *const sys::PLpgSQL_exception) -> Json {
    let e = &*p;
    let mut f = Pairs::new();
    cx.check(d + 2);
    let mut conditions = Vec::new();
    let mut c = e.conditions;
    while !c.is_null() {
        let mut cf = Pairs::new();
        string(&mut cf, "condname", (*c).condname);
        conditions.push(cx.tagged(d + 3, "PLpgSQL_condition", cf));
        c = (*c).next;
    }
    f.push(("conditions", Json::Array(conditions)));
    stmts_field(cx, &mut f, "action", d + 2, e.action);
    cx.tagged(d, "PLpgSQL_exception", f)
}

/// Fields every statement starts with.
fn head(f: &mut Pairs, lineno: c_int) {
    int(f, "lineno", lineno.into());
}

unsafe fn stmt(cx: &mut Cx, d: usize, p: *const sys::PLpgSQL_stmt) -> Json {
    // past the bound the tree is not used: stop descending (this also
    // bounds the recursion, whatever the body's nesting)
    if d > MAX_DEPTH {
        cx.too_deep = true;
        return Json::Null;
    }
    // the fields of a statement's object sit at depth d + 2
    let v = d + 2;
    let mut f = Pairs::new();
    let tag = match (*p).cmd_type {
        sys::PLPGSQL_STMT_BLOCK => return block(cx, d, p.cast()),
        sys::PLPGSQL_STMT_ASSIGN => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_assign>();
            head(&mut f, s.lineno);
            int(&mut f, "varno", s.varno.into());
            expr_field(cx, &mut f, "expr", v, s.expr);
            "PLpgSQL_stmt_assign"
        }
        sys::PLPGSQL_STMT_IF => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_if>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "cond", v, s.cond);
            stmts_field(cx, &mut f, "then_body", v, s.then_body);
            list_field(
                cx,
                &mut f,
                "elsif_list",
                v,
                s.elsif_list,
                |cx, d, e: *const sys::PLpgSQL_if_elsif| {
                    let e = &*e;
                    let mut g = Pairs::new();
                    int(&mut g, "lineno", e.lineno.into());
                    expr_field(cx, &mut g, "cond", d + 2, e.cond);
                    stmts_field(cx, &mut g, "stmts", d + 2, e.stmts);
                    cx.tagged(d, "PLpgSQL_if_elsif", g)
                },
            );
            stmts_field(cx, &mut f, "else_body", v, s.else_body);
            "PLpgSQL_stmt_if"
        }
        sys::PLPGSQL_STMT_CASE => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_case>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "t_expr", v, s.t_expr);
            int(&mut f, "t_varno", s.t_varno.into());
            list_field(
                cx,
                &mut f,
                "case_when_list",
                v,
                s.case_when_list,
                |cx, d, w: *const sys::PLpgSQL_case_when| {
                    let w = &*w;
                    let mut g = Pairs::new();
                    int(&mut g, "lineno", w.lineno.into());
                    expr_field(cx, &mut g, "expr", d + 2, w.expr);
                    stmts_field(cx, &mut g, "stmts", d + 2, w.stmts);
                    cx.tagged(d, "PLpgSQL_case_when", g)
                },
            );
            flag(&mut f, "have_else", s.have_else);
            stmts_field(cx, &mut f, "else_stmts", v, s.else_stmts);
            "PLpgSQL_stmt_case"
        }
        sys::PLPGSQL_STMT_LOOP => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_loop>();
            head(&mut f, s.lineno);
            string(&mut f, "label", s.label);
            stmts_field(cx, &mut f, "body", v, s.body);
            "PLpgSQL_stmt_loop"
        }
        sys::PLPGSQL_STMT_WHILE => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_while>();
            head(&mut f, s.lineno);
            string(&mut f, "label", s.label);
            expr_field(cx, &mut f, "cond", v, s.cond);
            stmts_field(cx, &mut f, "body", v, s.body);
            "PLpgSQL_stmt_while"
        }
        sys::PLPGSQL_STMT_FORI => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_fori>();
            head(&mut f, s.lineno);
            string(&mut f, "label", s.label);
            variable_field(cx, &mut f, "var", v, s.var.cast());
            expr_field(cx, &mut f, "lower", v, s.lower);
            expr_field(cx, &mut f, "upper", v, s.upper);
            expr_field(cx, &mut f, "step", v, s.step);
            flag(&mut f, "reverse", s.reverse != 0);
            stmts_field(cx, &mut f, "body", v, s.body);
            "PLpgSQL_stmt_fori"
        }
        sys::PLPGSQL_STMT_FORS => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_fors>();
            head(&mut f, s.lineno);
            string(&mut f, "label", s.label);
            variable_field(cx, &mut f, "var", v, s.var);
            stmts_field(cx, &mut f, "body", v, s.body);
            expr_field(cx, &mut f, "query", v, s.query);
            "PLpgSQL_stmt_fors"
        }
        sys::PLPGSQL_STMT_FORC => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_forc>();
            head(&mut f, s.lineno);
            string(&mut f, "label", s.label);
            variable_field(cx, &mut f, "var", v, s.var);
            stmts_field(cx, &mut f, "body", v, s.body);
            int(&mut f, "curvar", s.curvar.into());
            expr_field(cx, &mut f, "argquery", v, s.argquery);
            "PLpgSQL_stmt_forc"
        }
        sys::PLPGSQL_STMT_FOREACH_A => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_foreach_a>();
            head(&mut f, s.lineno);
            string(&mut f, "label", s.label);
            int(&mut f, "varno", s.varno.into());
            int(&mut f, "slice", s.slice.into());
            expr_field(cx, &mut f, "expr", v, s.expr);
            stmts_field(cx, &mut f, "body", v, s.body);
            "PLpgSQL_stmt_foreach_a"
        }
        sys::PLPGSQL_STMT_EXIT => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_exit>();
            head(&mut f, s.lineno);
            flag(&mut f, "is_exit", s.is_exit);
            string(&mut f, "label", s.label);
            expr_field(cx, &mut f, "cond", v, s.cond);
            "PLpgSQL_stmt_exit"
        }
        sys::PLPGSQL_STMT_RETURN => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_return>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "expr", v, s.expr);
            "PLpgSQL_stmt_return"
        }
        sys::PLPGSQL_STMT_RETURN_NEXT => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_return_next>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "expr", v, s.expr);
            "PLpgSQL_stmt_return_next"
        }
        sys::PLPGSQL_STMT_RETURN_QUERY => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_return_query>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "query", v, s.query);
            expr_field(cx, &mut f, "dynquery", v, s.dynquery);
            exprs_field(cx, &mut f, "params", v, s.params);
            "PLpgSQL_stmt_return_query"
        }
        sys::PLPGSQL_STMT_RAISE => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_raise>();
            head(&mut f, s.lineno);
            int(&mut f, "elog_level", s.elog_level.into());
            string(&mut f, "condname", s.condname);
            string(&mut f, "message", s.message);
            exprs_field(cx, &mut f, "params", v, s.params);
            list_field(
                cx,
                &mut f,
                "options",
                v,
                s.options,
                |cx, d, o: *const sys::PLpgSQL_raise_option| {
                    let o = &*o;
                    let mut g = Pairs::new();
                    enumeration(&mut g, "opt_type", o.opt_type.into());
                    expr_field(cx, &mut g, "expr", d + 2, o.expr);
                    cx.tagged(d, "PLpgSQL_raise_option", g)
                },
            );
            "PLpgSQL_stmt_raise"
        }
        sys::PLPGSQL_STMT_ASSERT => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_assert>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "cond", v, s.cond);
            expr_field(cx, &mut f, "message", v, s.message);
            "PLpgSQL_stmt_assert"
        }
        sys::PLPGSQL_STMT_EXECSQL => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_execsql>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "sqlstmt", v, s.sqlstmt);
            flag(&mut f, "into", s.into);
            flag(&mut f, "strict", s.strict);
            variable_field(cx, &mut f, "target", v, s.target);
            "PLpgSQL_stmt_execsql"
        }
        sys::PLPGSQL_STMT_DYNEXECUTE => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_dynexecute>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "query", v, s.query);
            flag(&mut f, "into", s.into);
            flag(&mut f, "strict", s.strict);
            variable_field(cx, &mut f, "target", v, s.target);
            exprs_field(cx, &mut f, "params", v, s.params);
            "PLpgSQL_stmt_dynexecute"
        }
        sys::PLPGSQL_STMT_DYNFORS => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_dynfors>();
            head(&mut f, s.lineno);
            string(&mut f, "label", s.label);
            variable_field(cx, &mut f, "var", v, s.var);
            stmts_field(cx, &mut f, "body", v, s.body);
            expr_field(cx, &mut f, "query", v, s.query);
            exprs_field(cx, &mut f, "params", v, s.params);
            "PLpgSQL_stmt_dynfors"
        }
        sys::PLPGSQL_STMT_GETDIAG => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_getdiag>();
            head(&mut f, s.lineno);
            flag(&mut f, "is_stacked", s.is_stacked);
            list_field(
                cx,
                &mut f,
                "diag_items",
                v,
                s.diag_items,
                |cx, d, i: *const sys::PLpgSQL_diag_item| {
                    let i = &*i;
                    let mut g = Pairs::new();
                    let kind = c_string(sys::plpgsql_getdiag_kindname(i.kind));
                    g.push(("kind", Json::Str(kind.into_boxed_str())));
                    int(&mut g, "target", i.target.into());
                    cx.tagged(d, "PLpgSQL_diag_item", g)
                },
            );
            "PLpgSQL_stmt_getdiag"
        }
        sys::PLPGSQL_STMT_OPEN => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_open>();
            head(&mut f, s.lineno);
            int(&mut f, "curvar", s.curvar.into());
            int(&mut f, "cursor_options", s.cursor_options.into());
            expr_field(cx, &mut f, "argquery", v, s.argquery);
            expr_field(cx, &mut f, "query", v, s.query);
            expr_field(cx, &mut f, "dynquery", v, s.dynquery);
            exprs_field(cx, &mut f, "params", v, s.params);
            "PLpgSQL_stmt_open"
        }
        sys::PLPGSQL_STMT_FETCH => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_fetch>();
            head(&mut f, s.lineno);
            variable_field(cx, &mut f, "target", v, s.target);
            int(&mut f, "curvar", s.curvar.into());
            enumeration(&mut f, "direction", s.direction.into());
            int(&mut f, "how_many", s.how_many);
            expr_field(cx, &mut f, "expr", v, s.expr);
            flag(&mut f, "is_move", s.is_move);
            flag(&mut f, "returns_multiple_rows", s.returns_multiple_rows);
            "PLpgSQL_stmt_fetch"
        }
        sys::PLPGSQL_STMT_CLOSE => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_close>();
            head(&mut f, s.lineno);
            int(&mut f, "curvar", s.curvar.into());
            "PLpgSQL_stmt_close"
        }
        sys::PLPGSQL_STMT_PERFORM => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_perform>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "expr", v, s.expr);
            "PLpgSQL_stmt_perform"
        }
        sys::PLPGSQL_STMT_CALL => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_call>();
            head(&mut f, s.lineno);
            expr_field(cx, &mut f, "expr", v, s.expr);
            flag(&mut f, "is_call", s.is_call);
            variable_field(cx, &mut f, "target", v, s.target);
            "PLpgSQL_stmt_call"
        }
        sys::PLPGSQL_STMT_COMMIT => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_commit>();
            head(&mut f, s.lineno);
            flag(&mut f, "chain", s.chain);
            "PLpgSQL_stmt_commit"
        }
        sys::PLPGSQL_STMT_ROLLBACK => {
            let s = &*p.cast::<sys::PLpgSQL_stmt_rollback>();
            head(&mut f, s.lineno);
            flag(&mut f, "chain", s.chain);
            "PLpgSQL_stmt_rollback"
        }
        // every kind PostgreSQL 17's PL/pgSQL has is above
        _ => {
            cx.check(d);
            return Json::Object(Vec::new());
        }
    };
    cx.tagged(d, tag, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lexer;

    fn to_serde(v: &Json) -> serde_json::Value {
        use serde_json::Value as V;
        match v {
            Json::Null => V::Null,
            Json::Bool(b) => V::Bool(*b),
            Json::Int(i) => V::from(*i),
            Json::Str(s) => V::from(s.to_string()),
            Json::Array(a) => V::Array(a.iter().map(to_serde).collect()),
            Json::Object(o) => V::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), to_serde(v)))
                    .collect(),
            ),
        }
    }

    fn ours(sql: &str) -> Result<Result<Json, TooDeep>, PlpgsqlError> {
        compile(&std::ffi::CString::new(sql).unwrap(), None, true)
    }

    /// The tree read from C equals what libpg_query's JSON output of it
    /// says, or both paths fail with the same message.
    fn same_as_libpg_query(sql: &str) -> Result<(), String> {
        let theirs = pg_query::parse_plpgsql(sql);
        match (ours(sql), theirs) {
            (Ok(Ok(tree)), Ok(json)) if to_serde(&tree) == json => Ok(()),
            (Ok(Ok(tree)), Ok(json)) => Err(format!(
                "trees differ for {sql}\nours:   {}\ntheirs: {json}",
                to_serde(&tree)
            )),
            (Err(e), Err(pg_query::Error::Parse(m))) if e.message == m => Ok(()),
            (ours, theirs) => Err(format!(
                "outcomes differ for {sql}\nours: {ours:?}\ntheirs: {theirs:?}"
            )),
        }
    }

    const EVERY_STATEMENT: &str = "CREATE FUNCTION s.f(a int, INOUT b text, c refcursor, VARIADIC d int[] DEFAULT '{}')
        RETURNS SETOF record LANGUAGE plpgsql AS $$
        DECLARE r record; c2 refcursor; v int := 1; k CONSTANT text NOT NULL := 'x';
                cur CURSOR (p int) FOR SELECT p; nc NO SCROLL CURSOR FOR SELECT 1;
                arr int[]; t pg_class%ROWTYPE; x s.t; y alias for $1;
        BEGIN
          <<outer>> LOOP EXIT outer WHEN v > 3; v := v + 1; CONTINUE; END LOOP outer;
          IF a > 0 THEN b := 'p'; ELSIF a < 0 THEN b := 'n'; ELSIF a = 0 THEN NULL; ELSE NULL; END IF;
          CASE a WHEN 1, 2 THEN PERFORM 1; ELSE RAISE NOTICE 'x % %', a, b USING HINT = 'h', DETAIL = 'd'; END CASE;
          CASE WHEN a IS NULL THEN RETURN NEXT; END CASE;
          FOR i IN REVERSE 10..1 BY 2 LOOP v := i; END LOOP;
          <<l2>> FOR r IN SELECT * FROM pg_class LOOP v := v + 1; EXIT l2; END LOOP;
          FOR r IN EXECUTE 'SELECT $1' USING a LOOP NULL; END LOOP;
          FOR v, b IN SELECT 1, 'x' LOOP NULL; END LOOP;
          FOREACH v SLICE 1 IN ARRAY arr LOOP NULL; END LOOP;
          FOR r IN cur(1) LOOP NULL; END LOOP;
          WHILE v < 10 LOOP v := v * 2; END LOOP;
          OPEN c2 FOR SELECT 1; FETCH c2 INTO v; FETCH RELATIVE 2 FROM c2 INTO v, b;
          MOVE FORWARD ALL IN c2; MOVE c2; CLOSE c2;
          OPEN c2 SCROLL FOR EXECUTE 'SELECT $1' USING a; OPEN cur(2); OPEN cur(p := 3); CLOSE cur;
          EXECUTE format('SELECT %s', a) INTO STRICT v USING a, b;
          SELECT relname INTO r FROM pg_class LIMIT 1; v := r.relpages; r.f := 1;
          INSERT INTO tab VALUES (1) RETURNING 1, 'y' INTO v, b;
          GET DIAGNOSTICS v = ROW_COUNT, b = PG_CONTEXT; GET STACKED DIAGNOSTICS b = MESSAGE_TEXT;
          ASSERT v > 0, 'message'; ASSERT true;
          CALL p(1, b); COMMIT AND CHAIN; ROLLBACK;
          RETURN QUERY SELECT 1; RETURN QUERY EXECUTE 'SELECT $1' USING a;
          RAISE EXCEPTION USING ERRCODE = '22000'; RAISE division_by_zero; RAISE SQLSTATE '22012';
          BEGIN NULL; EXCEPTION WHEN unique_violation THEN NULL; END;
        EXCEPTION WHEN division_by_zero OR SQLSTATE '22012' THEN NULL;
          WHEN OTHERS THEN RAISE;
        END $$";

    #[test]
    fn matches_libpg_query_json() {
        let cases = [
            EVERY_STATEMENT,
            // a trigger function: NEW and OLD, field references
            "CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN NEW.a := OLD.a; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
            // OUT parameters, no RETURN at the end, an exception handler
            "CREATE FUNCTION o(OUT x int, OUT y text) LANGUAGE plpgsql AS $$
             BEGIN x := 1; y := 'a'; EXCEPTION WHEN OTHERS THEN x := 0; END $$",
            "CREATE FUNCTION tab() RETURNS TABLE (n int) LANGUAGE plpgsql AS $$
             BEGIN n := 1; RETURN NEXT; END $$",
            "CREATE FUNCTION rn() RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN RETURN NEXT 1; RETURN; END $$",
            "CREATE PROCEDURE pr(INOUT n int) LANGUAGE plpgsql AS $$ BEGIN n := n + 1; COMMIT; END $$",
            "CREATE FUNCTION e() RETURNS void LANGUAGE plpgsql AS 'BEGIN END'",
            "CREATE FUNCTION u(int, text) RETURNS int AS $$ BEGIN RETURN $1; END $$ LANGUAGE plpgsql",
            "CREATE FUNCTION q() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'é ''quoted'' \\ \"x\"\ttab'; END $$",
            "DO $$ DECLARE n int; BEGIN FOR n IN 1..3 LOOP RAISE NOTICE '%', n; END LOOP; END $$",
            "DO LANGUAGE plpgsql $$ BEGIN PERFORM 1; END $$",
            // other languages: an empty function, as libpg_query gives
            "CREATE FUNCTION s() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "DO LANGUAGE plperl $$ 1; $$",
            // not a function at all: no tree
            "SELECT 1",
            // rejected bodies: the same error
            "CREATE FUNCTION bad() RETURNS void LANGUAGE plpgsql AS $$ BEGIN x := 1; END $$",
            "CREATE FUNCTION bad() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE 'a % %', 1; END $$",
            "CREATE FUNCTION bad() RETURNS void LANGUAGE plpgsql AS $$ BEGIN SELEC 1; END $$",
            "CREATE FUNCTION bad( RETURNS void",
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|sql| same_as_libpg_query(sql).err())
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        let tree = ours(EVERY_STATEMENT).unwrap().unwrap();
        let text = to_serde(&tree).to_string();
        for kind in [
            "PLpgSQL_stmt_foreach_a",
            "PLpgSQL_stmt_getdiag",
            "PLpgSQL_stmt_dynfors",
            "PLpgSQL_stmt_forc",
            "PLpgSQL_stmt_fetch",
            "PLpgSQL_stmt_commit",
            "PLpgSQL_stmt_rollback",
            "PLpgSQL_stmt_call",
            "PLpgSQL_stmt_assert",
            "PLpgSQL_recfield",
            "PLpgSQL_row",
            "PLpgSQL_raise_option",
            "PLpgSQL_exception_block",
        ] {
            assert!(text.contains(kind), "{kind} is not exercised");
        }
    }

    /// Every PL/pgSQL statement of the project's own fixtures.
    #[test]
    fn matches_libpg_query_json_on_the_fixtures() {
        fn sql_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    sql_files(&p, out);
                } else if p.extension().is_some_and(|x| x == "sql") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        sql_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus"),
            &mut files,
        );
        let mut failures = Vec::new();
        let mut compared = 0;
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            for r in lexer::split(&text, lexer::Lexer::new(&text)) {
                let stmt = &text[r.start..r.end];
                let head = stmt.get(..16).unwrap_or(stmt).to_ascii_lowercase();
                if !(head.starts_with("create") || head.starts_with("do"))
                    || !stmt.to_ascii_lowercase().contains("plpgsql")
                    || stmt.contains('\0')
                {
                    continue;
                }
                compared += 1;
                if let Err(e) = same_as_libpg_query(stmt) {
                    failures.push(format!("{}: {e}", f.display()));
                }
            }
        }
        assert!(compared >= 50, "only {compared} statements compared");
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    /// Without the syntax check the tree is the same, and a body whose SQL
    /// does not parse still compiles.
    #[test]
    fn the_syntax_check_changes_no_tree() {
        let c = std::ffi::CString::new(EVERY_STATEMENT).unwrap();
        assert_eq!(
            compile(&c, None, false).unwrap(),
            compile(&c, None, true).unwrap()
        );
        let bad = std::ffi::CString::new("DO $$ BEGIN PERFORM (1 +); END $$").unwrap();
        assert!(compile(&bad, None, true).is_err());
        assert!(matches!(compile(&bad, None, false), Ok(Ok(_))));
        // a statement error is found by the PL/pgSQL grammar either way
        let bad = std::ffi::CString::new("DO $$ BEGIN RAISE 'a % %', 1; END $$").unwrap();
        assert!(compile(&bad, None, false).is_err());
    }

    /// A body handed over apart from its statement compiles as it does
    /// inside it, errors and their lines included.
    #[test]
    fn a_body_apart_compiles_as_inside() {
        let c = |s: &str| std::ffi::CString::new(s).unwrap();
        for (stmt, body) in [
            (
                "CREATE FUNCTION s.f(a int) RETURNS int LANGUAGE plpgsql AS ",
                "\nBEGIN\n  RETURN a + 1;\nEND",
            ),
            ("DO ", "\nDECLARE n int;\nBEGIN\n  n := 1;\nEND"),
            ("DO ", "\nBEGIN\n\n  RAISE 'a % %', 1;\nEND"),
            (
                "CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS ",
                "BEGIN RETURN NEW; END",
            ),
        ] {
            let inside = compile(&c(&format!("{stmt}$x${body}$x$")), None, true);
            let apart = compile(&c(&format!("{stmt}''")), Some(&c(body)), true);
            match (inside, apart) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{stmt}"),
                (Err(a), Err(b)) => {
                    assert_eq!((a.message, a.context), (b.message, b.context), "{stmt}")
                }
                (a, b) => panic!("{stmt}: {a:?} / {b:?}"),
            }
        }
    }

    #[test]
    fn errors_keep_the_body_line() {
        let e = ours(
            "CREATE FUNCTION s.bad() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  x := 1;\nEND $$",
        )
        .unwrap_err();
        assert_eq!(e.message, "\"x\" is not a known variable");
        assert!(
            e.context
                .starts_with("compilation of PL/pgSQL function \"s\" near line "),
            "{}",
            e.context
        );
        let e = ours("DO $$\nBEGIN\n\n  RAISE 'a % %', 1;\nEND $$").unwrap_err();
        assert_eq!(e.message, "too few parameters specified for RAISE");
        assert!(e.context.ends_with("near line 4"), "{}", e.context);
        // the parser's state is sound after an error
        assert!(matches!(ours("DO $$ BEGIN NULL; END $$"), Ok(Ok(_))));
    }

    /// The depth bound falls where it fell for the JSON document (serde_json,
    /// behind `pg_query::parse_plpgsql`, stops at the same depth).
    #[test]
    fn depth_is_bounded_as_in_the_json_document() {
        let nested = |n: usize| {
            format!(
                "DO $$ BEGIN {} NULL; {} END $$",
                "IF true THEN ".repeat(n),
                "END IF; ".repeat(n)
            )
        };
        let deepest = (1..80)
            .take_while(|&n| matches!(ours(&nested(n)), Ok(Ok(_))))
            .last()
            .expect("one IF is not too deep");
        assert!(deepest > 30, "{deepest}");
        assert_eq!(ours(&nested(deepest + 1)).unwrap(), Err(TooDeep));
        // far deeper: too deep, or beyond the PL/pgSQL parser itself
        assert!(matches!(ours(&nested(2000)), Ok(Err(TooDeep)) | Err(_)));
        assert!(pg_query::parse_plpgsql(&nested(deepest)).is_ok());
        assert!(pg_query::parse_plpgsql(&nested(deepest + 1)).is_err());
    }
}
