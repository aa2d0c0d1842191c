//! What a rule may read and report: [`RuleCx`].
//!
//! Rules see the statement being analysed (its spans), the facts the walk
//! has established about the session and the script (is the search_path
//! secure, which schemas, tables and functions the script created, whether
//! the code runs in a SECURITY DEFINER body), the PostgreSQL catalog of the
//! target version, and a place to report findings. They never see the
//! walker or the search_path state itself, so a rule cannot change how the
//! rest of the script is analysed.

use pg_query::protobuf::VariableSetStmt;

use crate::analysis::{functions, Cx, Unit};
use crate::catalog::{self, Catalog};
use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::rules::Rule;
use crate::search_path::{Privileges, State};
use crate::span::Span;

/// The narrow view of the analysis a rule gets for one call.
pub struct RuleCx<'a, 'f> {
    cx: &'a mut Cx<'f>,
    state: &'a mut State,
    unit: &'a Unit<'a>,
    ctes: &'a [&'a str],
    in_alter_system: bool,
}

impl<'a, 'f> RuleCx<'a, 'f> {
    /// A context for a statement (or expression) `unit` analysed under `state`.
    pub(crate) fn new(cx: &'a mut Cx<'f>, state: &'a mut State, unit: &'a Unit<'a>) -> Self {
        RuleCx {
            cx,
            state,
            unit,
            ctes: &[],
            in_alter_system: false,
        }
    }

    /// The same, inside a statement with these CTE names in scope and
    /// possibly inside ALTER SYSTEM.
    pub(crate) fn in_scope(mut self, ctes: &'a [&'a str], in_alter_system: bool) -> Self {
        self.ctes = ctes;
        self.in_alter_system = in_alter_system;
        self
    }

    // ---- where: spans in the statement ----

    /// File span of the token at a node location.
    pub fn token_span(&self, loc: i32) -> Span {
        self.unit.token_span(loc)
    }

    /// File span of the (qualified) name at a node location.
    pub fn name_span(&self, loc: i32) -> Span {
        self.unit.name_span(loc)
    }

    /// File span of the whole statement.
    pub fn statement_span(&self) -> Span {
        self.unit.statement_span()
    }

    /// File span of the first word `kw` of the statement, else of its first token.
    pub fn keyword_span(&self, kw: &str) -> Span {
        self.unit.keyword_span(kw)
    }

    /// File span of the last word `kw` starting before file offset `before`.
    pub fn keyword_span_before(&self, kw: &str, before: usize) -> Option<Span> {
        self.unit.keyword_span_before(kw, before)
    }

    /// File span of `n` consecutive tokens from a node location.
    pub fn tokens_span(&self, loc: i32, n: usize) -> Span {
        self.unit.tokens_span(loc, n)
    }

    /// File span of a `SET name = value, ...` clause at a DefElem location.
    pub fn set_clause_span(&self, loc: i32) -> Span {
        self.unit.set_clause_span(loc)
    }

    /// File span of the first occurrence of a (qualified) name.
    pub fn find_name_span(&self, parts: &[&str]) -> Span {
        self.unit.find_name_span(parts)
    }

    /// File span of a (qualified) name after the word `kw`, else anywhere.
    pub fn find_name_span_after(&self, kw: &str, parts: &[&str]) -> Span {
        self.unit.find_name_span_after(kw, parts)
    }

    /// File span of the last string literal whose value is `value`.
    pub fn string_span(&self, value: &str) -> Option<Span> {
        self.unit.string_span(value)
    }

    // ---- the session: search_path and the function being run ----

    /// Is the search_path in force secure here?
    pub fn secure(&self) -> bool {
        self.state.secure
    }

    /// Would a function's `SET search_path` clause make its body secure?
    pub fn clause_secure(&self, v: &VariableSetStmt) -> bool {
        functions::clause_secure(self.state, v)
    }

    /// Does the search_path list pg_catalog with nothing but pg_temp before
    /// it (or not at all, so that pg_catalog is searched first)?
    pub fn catalog_searched_first(&self) -> bool {
        match self.state.path.iter().position(|s| s == "pg_catalog") {
            Some(i) => self.state.path[..i].iter().all(|s| s == "pg_temp"),
            None => true,
        }
    }

    /// Is the path exactly pg_catalog then a trailing pg_temp? See
    /// [`State::only_catalog_then_temp`].
    pub fn only_catalog_then_temp(&self) -> bool {
        self.state.only_catalog_then_temp()
    }

    /// Is this code a function body (rather than top-level script)?
    pub fn in_function_body(&self) -> bool {
        self.state.in_function_body
    }

    /// Is this code the body of a SECURITY DEFINER function?
    pub fn in_security_definer(&self) -> bool {
        self.state.security_definer
    }

    /// For findings that are worse with the owner's privileges: an error in
    /// a SECURITY DEFINER body (and words saying where), else the rule's
    /// own severity.
    pub fn escalated_in_definer(&self, rule: &Rule) -> (Severity, &'static str) {
        if self.in_security_definer() {
            (Severity::Error, " in a SECURITY DEFINER function")
        } else {
            (rule.severity, "")
        }
    }

    // ---- the script: what it created, where the statement sits ----

    /// Is `schema` one the script created?
    pub fn created_schema(&self, schema: &str) -> bool {
        self.state.created_schemas.contains(schema)
    }

    /// Does the unqualified relation `name` resolve to a table the script created?
    pub fn created_table(&self, name: &str) -> bool {
        self.state.resolves_to_created_table(name)
    }

    /// Did the script create a function with this signature?
    pub fn created_function(&self, signature: &str) -> bool {
        self.state.created_functions.contains(signature)
    }

    /// Did the script create an aggregate with this signature?
    pub fn created_aggregate(&self, signature: &str) -> bool {
        self.state.created_aggregates.contains(signature)
    }

    /// Remember an aggregate the script created.
    pub fn note_created_aggregate(&mut self, signature: String) {
        std::sync::Arc::make_mut(&mut self.state.created_aggregates).insert(signature);
    }

    /// SECURITY DEFINER routines and EXECUTE revokes seen so far (EG117, EG118).
    pub fn privileges(&self) -> &Privileges {
        &self.state.privileges
    }

    pub fn privileges_mut(&mut self) -> &mut Privileges {
        &mut self.state.privileges
    }

    /// Is `name` a CTE in scope?
    pub fn is_cte(&self, name: &str) -> bool {
        self.ctes.contains(&name)
    }

    /// Is this SET part of ALTER SYSTEM?
    pub fn in_alter_system(&self) -> bool {
        self.in_alter_system
    }

    // ---- the target server ----

    /// The built-in objects of the PostgreSQL version analysed for.
    pub fn catalog(&self) -> &'static Catalog {
        catalog::for_version(self.cx.cfg.pg_version())
    }

    /// The run's configuration (options some rules take).
    pub fn config(&self) -> &Config {
        self.cx.cfg
    }

    /// Is this `extguard pgspot`, which keeps pgspot's severities and texts?
    pub fn pgspot_mode(&self) -> bool {
        self.cx.cfg.pgspot_text
    }

    // ---- reporting ----

    pub fn report(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: String,
        object: Option<String>,
    ) {
        self.report_as(rule, rule.severity, span, message, object);
    }

    pub fn report_as(
        &mut self,
        rule: &'static Rule,
        severity: Severity,
        span: Span,
        message: String,
        object: Option<String>,
    ) {
        self.cx.report(rule, severity, span, message, object);
    }

    /// A finding built but not reported (kept until the end of the script).
    pub fn finding(
        &self,
        rule: &'static Rule,
        span: Span,
        message: String,
        object: Option<String>,
    ) -> Finding {
        self.cx.finding(rule, rule.severity, span, message, object)
    }

    /// Report a finding built earlier with [`RuleCx::finding`].
    pub fn report_finding(&mut self, f: Finding) {
        self.cx.findings.push(f);
    }

    /// Attach pgspot's rendering of the finding just reported
    /// ([`crate::Finding::pgspot_context`]), computed only in pgspot mode.
    pub fn pgspot_context(&mut self, text: impl FnOnce() -> String) {
        if self.cx.cfg.pgspot_text {
            if let Some(f) = self.cx.findings.last_mut() {
                f.pgspot_context = Some(text());
            }
        }
    }
}
