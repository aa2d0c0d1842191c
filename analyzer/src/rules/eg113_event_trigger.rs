//! EG113: CREATE EVENT TRIGGER.

use pg_query::protobuf::CreateEventTrigStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE EVENT TRIGGER`.
    ///
    /// ## Why it is dangerous
    /// The trigger function runs inside other roles' sessions whenever they
    /// run DDL, including the platform's administrative connections: code the
    /// extension controls then runs with their privileges. Creating one needs
    /// superuser.
    ///
    /// ## Example
    /// ```sql
    /// CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION s.f();
    /// ```
    ///
    /// ## Fix
    /// Avoid event triggers in extensions; if one is unavoidable, make its
    /// function SECURITY INVOKER, schema-qualified, and do nothing for roles
    /// it does not concern.
    pub static RULE = { code: "EG113", name: "event-trigger", title: "Event trigger", severity: Warning };
}

pub fn check(ck: &mut RuleCx, e: &CreateEventTrigStmt) {
    let span = ck.find_name_span_after("trigger", &[&e.trigname]);
    ck.report(
        &RULE,
        span,
        format!(
            "event trigger {} runs its function in every session that runs DDL ({})",
            e.trigname, e.eventname
        ),
        Some(e.trigname.clone()),
    );
}
