//! PS011: CREATE SEQUENCE IF NOT EXISTS.

use pg_query::protobuf::CreateSeqStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE SEQUENCE IF NOT EXISTS` outside a schema the script created.
    ///
    /// ## Why it is dangerous
    /// A sequence someone created first is kept, with its owner.
    ///
    /// ## Example
    /// ```sql
    /// CREATE SEQUENCE IF NOT EXISTS public.sq;
    /// ```
    ///
    /// ## Fix
    /// `CREATE SEQUENCE public.sq;`
    pub static RULE = { code: "PS011", name: "unsafe-sequence-creation", title: "Unsafe sequence creation", severity: Error };
}

pub fn check(ck: &mut RuleCx, s: &CreateSeqStmt) {
    let Some(seq) = &s.sequence else { return };
    if !s.if_not_exists || ck.created_schema(&seq.schemaname) {
        return;
    }
    let object = super::ps012_unsafe_table_creation::rel_name(seq);
    let span = ck.keyword_span("exists");
    ck.report(
        &RULE,
        span,
        format!("sequence {object} may already exist and be owned by someone else"),
        Some(object),
    );
    // pgspot prints the sequence's name quoted where SQL would need it
    ck.pgspot_context(|| {
        use crate::analysis::functions::quote_ident;
        [&seq.catalogname, &seq.schemaname, &seq.relname]
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| quote_ident(p))
            .collect::<Vec<_>>()
            .join(".")
    });
}
