//! PS006: CREATE OR REPLACE TRANSFORM.

use pg_query::protobuf::CreateTransformStmt;

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE OR REPLACE TRANSFORM`.
    ///
    /// ## Why it is dangerous
    /// A transform someone created first is taken over instead of failing,
    /// and keeps functions the attacker controls.
    ///
    /// ## Example
    /// ```sql
    /// CREATE OR REPLACE TRANSFORM FOR s.t LANGUAGE plpgsql (FROM SQL WITH FUNCTION s.f(internal));
    /// ```
    ///
    /// ## Fix
    /// Drop `OR REPLACE`.
    pub static RULE = { code: "PS006", name: "unsafe-transform-creation", title: "Unsafe transform creation", severity: Warning };
}

pub fn check(ck: &mut RuleCx, t: &CreateTransformStmt) {
    if !t.replace {
        return;
    }
    let object = t
        .type_name
        .as_ref()
        .map(|n| names::dotted(&n.names))
        .unwrap_or_default();
    let span = ck.keyword_span("replace");
    ck.report(
        &RULE,
        span,
        format!("CREATE OR REPLACE TRANSFORM FOR {object} can take over an existing transform"),
        Some(object),
    );
}
