/*
 * Compile the PL/pgSQL bodies of one SQL statement into libpg_query's
 * PL/pgSQL trees, and hand the trees to the analyzer as they are.
 *
 * libpg_query's own entry point writes every tree out as JSON, which the
 * analyzer then had to read back: on real extension code that round trip
 * cost about a tenth of a check. Its compile step is internal, so this file
 * drives the PL/pgSQL parser through the functions libpg_query exports,
 * setting the compiler up the same way, so that the tree is the one its
 * JSON describes.
 *
 * The body may be passed apart from the statement (whose literal is then a
 * placeholder): the SQL parser need not scan a long body only to hand it
 * over as a string.
 *
 * With check_syntax false, the SQL of expressions and embedded statements
 * is not parsed during the compile (PostgreSQL parses each of them once to
 * check it): the analyzer parses them itself, and compiles again with the
 * check only when one of them does not parse, to report the error
 * PostgreSQL would.
 *
 * Every PostgreSQL error is caught here (PG_TRY), so no longjmp ever
 * crosses a Rust frame. Everything is allocated in one memory context,
 * freed by extguard_plpgsql_free after the analyzer has read the trees.
 */
#include "extguard_plpgsql.h"

#include <stdlib.h>
#include <string.h>

#include "pg_query.h"
#include "pg_query_internal.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "utils/guc.h"
#include "nodes/parsenodes.h"

/* The error context PostgreSQL adds when a function body fails to compile;
 * the analyzer reads the line number from it. */
static void
compile_error_context(void *arg)
{
	errcontext("compilation of PL/pgSQL function \"%s\" near line %d",
			   (const char *) arg, plpgsql_latest_lineno());
}

static const char *
option_string(List *options, const char *name)
{
	const char *value = NULL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, name) != 0)
			continue;
		if (IsA(opt->arg, List))
		{
			/* AS 'body' or AS 'obj_file', 'link_symbol': the last item */
			ListCell   *item;

			foreach(item, (List *) opt->arg)
				value = strVal(lfirst(item));
		}
		else
			value = strVal(opt->arg);
	}
	return value;
}

/*
 * A function returning void may end without RETURN: the compiler appends
 * one, in a block of its own when the body has an exception handler.
 */
static void
append_implicit_return(PLpgSQL_function *function)
{
	PLpgSQL_stmt_return *ret;

	if (function->action->exceptions != NULL)
	{
		PLpgSQL_stmt_block *outer = palloc0(sizeof(PLpgSQL_stmt_block));

		outer->cmd_type = PLPGSQL_STMT_BLOCK;
		outer->body = list_make1(function->action);
		function->action = outer;
	}
	if (function->action->body != NIL &&
		((PLpgSQL_stmt *) llast(function->action->body))->cmd_type == PLPGSQL_STMT_RETURN)
		return;
	ret = palloc0(sizeof(PLpgSQL_stmt_return));
	ret->cmd_type = PLPGSQL_STMT_RETURN;
	ret->retvarno = function->out_param_varno;
	function->action->body = lappend(function->action->body, ret);
}

static bool
returns_trigger(TypeName *type)
{
	ListCell   *lc;

	if (type == NULL)
		return false;
	foreach(lc, type->names)
	{
		if (strcmp(strVal(lfirst(lc)), "trigger") == 0)
			return true;
	}
	return false;
}

/* The function of a CREATE FUNCTION statement in LANGUAGE plpgsql, compiled
 * without a catalog: parameters are declared with the types as written. */
static PLpgSQL_function *
compile_function(CreateFunctionStmt *stmt, const char *body, bool check_syntax)
{
	const char *language = option_string(stmt->options, "language");
	const char *source = body != NULL ? body : option_string(stmt->options, "as");
	char	   *name = strVal(linitial(stmt->funcname));
	PLpgSQL_function *function;
	ErrorContextCallback context;
	MemoryContext func_cxt;
	PLpgSQL_variable *found;
	ListCell   *lc;

	if (source == NULL)
		elog(ERROR, "the function has no body");
	if (language != NULL && strcmp(language, "plpgsql") != 0)
		return palloc0(sizeof(PLpgSQL_function));

	plpgsql_scanner_init(source);
	plpgsql_error_funcname = name;
	context.callback = compile_error_context;
	context.arg = name;
	context.previous = error_context_stack;
	error_context_stack = &context;
	plpgsql_check_syntax = check_syntax;

	function = palloc0(sizeof(PLpgSQL_function));
	plpgsql_curr_compile = function;
	func_cxt = AllocSetContextCreate(CurrentMemoryContext,
									 "extguard PL/pgSQL function",
									 ALLOCSET_DEFAULT_SIZES);
	plpgsql_compile_tmp_cxt = MemoryContextSwitchTo(func_cxt);

	function->fn_signature = pstrdup(name);
	function->fn_is_trigger = PLPGSQL_NOT_TRIGGER;
	function->fn_input_collation = InvalidOid;
	function->fn_cxt = func_cxt;
	function->out_param_varno = -1;
	function->resolve_option = plpgsql_variable_conflict;
	function->print_strict_params = plpgsql_print_strict_params;
	function->extra_warnings = 0;
	function->extra_errors = 0;

	plpgsql_ns_init();
	plpgsql_ns_push(name, PLPGSQL_LABEL_BLOCK);
	plpgsql_DumpExecTree = false;
	plpgsql_start_datums();

	foreach(lc, stmt->parameters)
	{
		FunctionParameter *param = lfirst_node(FunctionParameter, lc);
		char		positional[32];
		PLpgSQL_variable *var;
		PLpgSQL_nsitem_type kind;

		snprintf(positional, sizeof(positional), "$%d", foreach_current_index(lc) + 1);
		var = plpgsql_build_variable(param->name ? param->name : positional, 0,
									 plpgsql_build_datatype(UNKNOWNOID, -1, InvalidOid,
															param->argType),
									 false);
		if (param->mode == FUNC_PARAM_OUT || param->mode == FUNC_PARAM_INOUT ||
			param->mode == FUNC_PARAM_TABLE)
			function->out_param_varno = var->dno;
		kind = var->dtype == PLPGSQL_DTYPE_VAR ? PLPGSQL_NSTYPE_VAR : PLPGSQL_NSTYPE_REC;
		plpgsql_ns_additem(kind, var->dno, positional);
		if (param->name != NULL)
			plpgsql_ns_additem(kind, var->dno, param->name);
	}

	/* compiled as a function returning void (the type is not looked up) */
	function->fn_rettype = VOIDOID;
	function->fn_retset = stmt->returnType != NULL && stmt->returnType->setof;
	function->fn_retistuple = false;
	function->fn_retisdomain = false;
	function->fn_prokind = PROKIND_FUNCTION;
	function->fn_retbyval = true;
	function->fn_rettyplen = sizeof(int32);
	function->fn_readonly = false;

	found = plpgsql_build_variable("found", 0,
								   plpgsql_build_datatype(BOOLOID, -1, InvalidOid, NULL),
								   true);
	function->found_varno = found->dno;
	if (returns_trigger(stmt->returnType))
	{
		function->new_varno = plpgsql_build_record("new", 0, NULL, RECORDOID, true)->dno;
		function->old_varno = plpgsql_build_record("old", 0, NULL, RECORDOID, true)->dno;
	}

	if (plpgsql_yyparse() != 0)
		elog(ERROR, "the PL/pgSQL parser failed");
	function->action = plpgsql_parse_result;
	plpgsql_scanner_finish();
	append_implicit_return(function);
	function->fn_nargs = 0;
	plpgsql_finish_datums(function);

	error_context_stack = context.previous;
	plpgsql_error_funcname = NULL;
	plpgsql_check_syntax = false;
	MemoryContextSwitchTo(plpgsql_compile_tmp_cxt);
	plpgsql_compile_tmp_cxt = NULL;
	return function;
}

static PLpgSQL_function *
compile_do(DoStmt *stmt, const char *body, bool check_syntax)
{
	const char *language = option_string(stmt->args, "language");
	const char *source = body != NULL ? body : option_string(stmt->args, "as");

	if (source == NULL)
		elog(ERROR, "the DO statement has no body");
	if (language != NULL && strcmp(language, "plpgsql") != 0)
		return palloc0(sizeof(PLpgSQL_function));
	/* an inline block is syntax-checked when function bodies are */
	check_function_bodies = check_syntax;
	return plpgsql_compile_inline((char *) source);
}

static char *
copy_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

ExtguardPlpgsql
extguard_plpgsql_compile(const char *text, const char *body, bool check_syntax)
{
	ExtguardPlpgsql result = {0};
	PgQueryInternalParsetreeAndError parsed;
	MemoryContext cxt;
	ListCell   *lc;

	result.memory = pg_query_enter_memory_context();
	parsed = pg_query_raw_parse(text, PG_QUERY_PARSE_DEFAULT);
	free(parsed.stderr_buffer);
	if (parsed.error != NULL)
	{
		result.message = copy_or_null(parsed.error->message);
		pg_query_free_error(parsed.error);
		return result;
	}
	result.functions = palloc0(sizeof(PLpgSQL_function *) * (list_length(parsed.tree) + 1));

	cxt = CurrentMemoryContext;
	foreach(lc, parsed.tree)
	{
		Node	   *stmt = ((RawStmt *) lfirst(lc))->stmt;
		PLpgSQL_function *volatile function = NULL;

		if (!IsA(stmt, CreateFunctionStmt) && !IsA(stmt, DoStmt))
			continue;
		PG_TRY();
		{
			if (IsA(stmt, CreateFunctionStmt))
				function = compile_function((CreateFunctionStmt *) stmt, body, check_syntax);
			else
				function = compile_do((DoStmt *) stmt, body, check_syntax);
		}
		PG_CATCH();
		{
			ErrorData  *error;

			MemoryContextSwitchTo(cxt);
			error = CopyErrorData();
			result.message = copy_or_null(error->message);
			result.context = copy_or_null(error->context);
			FlushErrorState();
		}
		PG_END_TRY();
		check_function_bodies = true;
		plpgsql_check_syntax = false;
		if (result.message != NULL)
		{
			result.count = 0;
			return result;
		}
		result.functions[result.count++] = function;
	}
	return result;
}

void
extguard_plpgsql_free(ExtguardPlpgsql *result)
{
	free(result->message);
	free(result->context);
	result->message = NULL;
	result->context = NULL;
	if (result->memory != NULL)
		pg_query_exit_memory_context(result->memory);
	result->memory = NULL;
	result->functions = NULL;
	result->count = 0;
}
