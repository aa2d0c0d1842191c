//! EG202: SQL injection through format('%s').

use crate::analysis::dynamic::Splice;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// Dynamic SQL built with format() where a value that is neither constant
    /// nor quoted is substituted with `%s` (or when the format string itself
    /// is such a value). The finding points at the argument. It is an error
    /// inside a SECURITY DEFINER function and a warning elsewhere.
    ///
    /// ## Why it is dangerous
    /// `%s` inserts the value as it is: a caller who controls it can inject
    /// SQL, with the function owner's privileges in a SECURITY DEFINER function.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.count_rows(t text) RETURNS bigint LANGUAGE plpgsql
    /// SET search_path = pg_catalog, pg_temp
    /// AS $$ DECLARE n bigint;
    /// BEGIN EXECUTE format('SELECT count(*) FROM %s', t) INTO n; RETURN n; END $$;
    /// ```
    ///
    /// ## Fix
    /// Use `%I` for identifiers and `%L` for literals, or pass values with
    /// `EXECUTE ... USING`.
    pub static RULE = { code: "EG202", name: "sql-injection-format", title: "SQL injection: unquoted value substituted with format('%s')", severity: Warning };
}

/// Report one value substituted with `%s`; an error in a SECURITY DEFINER body.
pub fn check(ck: &mut RuleCx, s: &Splice) {
    let (severity, where_) = ck.escalated_in_definer(&RULE);
    ck.report_as(
        &RULE,
        severity,
        s.span,
        format!(
            "{} is substituted into dynamic SQL with format('%s') instead of %I or %L{where_}",
            s.what
        ),
        None,
    );
}
