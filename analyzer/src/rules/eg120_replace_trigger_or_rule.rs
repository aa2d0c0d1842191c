//! EG120: CREATE OR REPLACE TRIGGER / RULE on a table of a schema the script did not create.

use pg_query::protobuf::{CreateTrigStmt, RangeVar, RuleStmt};

use crate::rules::RuleCx;

use super::ps012_unsafe_table_creation::rel_name;

declare_rule! {
    /// ## What it flags
    /// `CREATE OR REPLACE TRIGGER` and `CREATE OR REPLACE RULE` on a table
    /// that is not in a schema the script created (unqualified tables
    /// included).
    ///
    /// ## Why it is dangerous
    /// If a trigger or rule of that name already exists on the table, it is
    /// silently replaced: the script overwrites someone else's trigger or
    /// rule, or an attacker who created the name first decides what the
    /// script's own object looks like until then. pgspot checks OR REPLACE
    /// for functions, views and aggregates but not for these.
    ///
    /// ## Example
    /// ```sql
    /// CREATE OR REPLACE TRIGGER t BEFORE INSERT ON public.x
    ///   FOR EACH ROW EXECUTE FUNCTION s.f();
    /// ```
    ///
    /// ## Fix
    /// Create it without OR REPLACE (after `DROP TRIGGER IF EXISTS` if the
    /// script must be re-runnable), or only on tables in the extension's own
    /// schema.
    pub static RULE = { code: "EG120", name: "replace-trigger-or-rule", title: "CREATE OR REPLACE TRIGGER/RULE outside the script's schemas", severity: Error };
}

fn check(ck: &mut RuleCx, what: &str, name: &str, rel: Option<&RangeVar>) {
    let Some(rel) = rel else { return };
    if ck.created_schema(&rel.schemaname) {
        return;
    }
    let span = ck.keyword_span("replace");
    let table = rel_name(rel);
    ck.report(
        &RULE,
        span,
        format!("CREATE OR REPLACE {what} {name} on {table} can replace one someone else created"),
        Some(format!("{name} on {table}")),
    );
}

pub fn check_trigger(ck: &mut RuleCx, t: &CreateTrigStmt) {
    if t.replace {
        check(ck, "TRIGGER", &t.trigname, t.relation.as_ref());
    }
}

pub fn check_rule(ck: &mut RuleCx, r: &RuleStmt) {
    if r.replace {
        check(ck, "RULE", &r.rulename, r.relation.as_ref());
    }
}
