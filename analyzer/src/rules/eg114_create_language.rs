//! EG114: CREATE LANGUAGE.

use pg_query::protobuf::CreatePLangStmt;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE [OR REPLACE] [TRUSTED] [PROCEDURAL] LANGUAGE`.
    ///
    /// ## Why it is dangerous
    /// A language's handler is native code, and a language marked `TRUSTED`
    /// lets every role with USAGE write functions in it: declaring an
    /// untrusted language trusted hands out the server's operating-system
    /// access. It needs superuser.
    ///
    /// ## Example
    /// ```sql
    /// CREATE TRUSTED LANGUAGE plpython3u HANDLER plpython3_call_handler;
    /// ```
    ///
    /// ## Fix
    /// Depend on the language's own extension (`requires = 'plpgsql'` in the
    /// control file) instead of creating it.
    pub static RULE = { code: "EG114", name: "create-language", title: "CREATE LANGUAGE", severity: Warning };
}

pub fn check(ck: &mut RuleCx, l: &CreatePLangStmt) {
    let span = ck.find_name_span_after("language", &[&l.plname]);
    let trusted = if l.pltrusted { "trusted " } else { "" };
    ck.report(
        &RULE,
        span,
        format!(
            "the script creates the {trusted}procedural language {}",
            l.plname
        ),
        Some(l.plname.clone()),
    );
}
