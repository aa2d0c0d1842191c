//! EG201: SQL injection through concatenation.

use crate::analysis::dynamic::Splice;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// Dynamic SQL (EXECUTE, RETURN QUERY EXECUTE, OPEN ... FOR EXECUTE,
    /// FOR ... IN EXECUTE, or an argument of a `--sql-accepting` function)
    /// built with `||`, concat() or concat_ws() from a value that is neither
    /// constant nor quoted: a parameter, a query result, or a variable
    /// computed from one. The finding points at the value where it is spliced
    /// in. It is an error inside a SECURITY DEFINER function and a warning
    /// elsewhere.
    ///
    /// ## Why it is dangerous
    /// The value becomes SQL text: a caller who controls it can close the
    /// statement's quoting and run SQL of their own, with the function
    /// owner's privileges in a SECURITY DEFINER function.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.drop_t(t text) RETURNS void LANGUAGE plpgsql
    /// SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    /// AS $$ BEGIN EXECUTE 'DROP TABLE ' || t; END $$;
    /// ```
    ///
    /// ## Fix
    /// Quote the value (`quote_ident(t)`, `quote_literal(v)`,
    /// `quote_nullable(v)`), use `format('%I', t)` / `format('%L', v)`, or
    /// pass values as parameters: `EXECUTE '... WHERE x = $1' USING v`.
    pub static RULE = { code: "EG201", name: "sql-injection-concat", title: "SQL injection: unquoted value concatenated into dynamic SQL", severity: Warning };
}

/// Report one spliced value; an error in a SECURITY DEFINER body.
pub fn check(ck: &mut RuleCx, s: &Splice) {
    let (severity, where_) = ck.escalated_in_definer(&RULE);
    ck.report_as(
        &RULE,
        severity,
        s.span,
        format!(
            "{} is concatenated into dynamic SQL without quote_ident/quote_literal/quote_nullable{where_}",
            s.what
        ),
        None,
    );
}
