//! PS002: CREATE OR REPLACE FUNCTION outside a schema the script owns.

use crate::analysis::functions::FunctionInfo;
use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE OR REPLACE FUNCTION` or `PROCEDURE` for a function that the script did not
    /// create itself earlier and that is not in a schema the script created.
    ///
    /// ## Why it is dangerous
    /// If someone created a function with that signature first, OR REPLACE
    /// silently takes it over: the attacker stays its owner and can change its
    /// body later, while the extension believes the function is its own
    /// (CVE-2022-2625).
    ///
    /// ## Example
    /// ```sql
    /// CREATE OR REPLACE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
    /// ```
    ///
    /// ## Fix
    /// Use plain `CREATE FUNCTION` (it fails if the function already exists),
    /// or create it in a schema the script created.
    pub static RULE = { code: "PS002", name: "unsafe-function-creation", title: "Unsafe function creation", severity: Warning };
}

pub fn check(ck: &mut RuleCx, f: &FunctionInfo) {
    if !f.stmt.replace {
        return;
    }
    if names::schema_of(&f.stmt.funcname).is_some_and(|s| ck.created_schema(s))
        || ck.created_function(&f.signature)
    {
        return;
    }
    let span = ck.keyword_span("replace");
    ck.report(
        &RULE,
        span,
        format!(
            "CREATE OR REPLACE of {} can take over a function someone else created first",
            f.signature
        ),
        Some(f.signature.clone()),
    );
}
