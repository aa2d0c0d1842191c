/*
 * The analyzer's entry point to libpg_query's PL/pgSQL parser: the trees of
 * one statement's PL/pgSQL bodies, read in place (see plpgsql_compile.c).
 */
#ifndef EXTGUARD_PLPGSQL_H
#define EXTGUARD_PLPGSQL_H

#include "postgres.h"
#include "plpgsql.h"

typedef struct ExtguardPlpgsql
{
	/* the compiled bodies, in statement order (a body in another language
	 * is an empty function); valid until extguard_plpgsql_free */
	PLpgSQL_function **functions;
	int			count;
	/* when not NULL, the error that stopped parsing (then count is 0) */
	char	   *message;
	/* the error's context ("... near line N"), when it has one */
	char	   *context;
	/* the memory context holding the trees */
	MemoryContext memory;
} ExtguardPlpgsql;

/* Parse `text` (SQL holding CREATE FUNCTION or DO statements) and compile
 * the PL/pgSQL body of each, or `body` when not NULL (the statement's body
 * literal is then only a placeholder); with `check_syntax`, the SQL of
 * every expression is parsed too, as PostgreSQL does when it validates a
 * body. */
extern ExtguardPlpgsql extguard_plpgsql_compile(const char *text, const char *body,
												bool check_syntax);

/* Free what extguard_plpgsql_compile returned; call it exactly once. */
extern void extguard_plpgsql_free(ExtguardPlpgsql *result);

#endif
