//! EG118: GRANT EXECUTE ... TO PUBLIC on a SECURITY DEFINER function.

use pg_query::protobuf::GrantStmt;

use crate::rules::RuleCx;
use crate::search_path::Privileges;

use super::eg117_security_definer_executable_by_public::{execute_for_public, targets};

declare_rule! {
    /// ## What it flags
    /// `GRANT EXECUTE` (or `GRANT ALL`) `ON FUNCTION|PROCEDURE|ROUTINE f ...
    /// TO PUBLIC`, or `ON ALL FUNCTIONS IN SCHEMA s`, when `f` (or a
    /// function of `s`) is a SECURITY DEFINER function the script created or
    /// altered earlier.
    ///
    /// ## Why it is dangerous
    /// Every role can then run the function with its owner's privileges,
    /// even if an earlier REVOKE took EXECUTE away from PUBLIC.
    ///
    /// ## Example
    /// ```sql
    /// GRANT EXECUTE ON FUNCTION s.f() TO PUBLIC;
    /// ```
    ///
    /// ## Fix
    /// Grant EXECUTE to the specific roles that need it.
    pub static RULE = { code: "EG118", name: "grant-execute-to-public", title: "EXECUTE on a SECURITY DEFINER function granted to PUBLIC", severity: Error };
}

pub fn check(ck: &mut RuleCx, g: &GrantStmt) {
    if !g.is_grant {
        return;
    }
    let Some(public_loc) = execute_for_public(g) else {
        return;
    };
    for (schema, name) in targets(g) {
        let hit = ck
            .privileges()
            .definers
            .iter()
            .find(|d| Privileges::names(d, &schema, &name))
            .map(|d| {
                if d.schema.is_empty() {
                    d.name.clone()
                } else {
                    format!("{}.{}", d.schema, d.name)
                }
            });
        let Some(func) = hit else { continue };
        let span = ck.token_span(public_loc);
        ck.report(
            &RULE,
            span,
            format!("PUBLIC may execute the SECURITY DEFINER function {func}"),
            Some(func),
        );
    }
}
