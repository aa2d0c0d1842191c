//! The statement walker: keeps search_path state and scopes, and calls the
//! rules for each node kind (one rule, one place: the logic lives in
//! `crate::rules`).

use pg_query::protobuf::{self as pb, TransactionStmtKind, VariableSetKind};
use pg_query::NodeRef;

use super::{functions, Cx, Unit};
use crate::finding::Severity;
use crate::parse::names;
use crate::parse::walk::{self, Visitor};
use crate::rules::{self, Rule};
use crate::search_path::{split_path, PathChange, State};
use crate::span::Span;

/// Walks one parsed statement of a [`Unit`].
pub struct Checker<'c, 'f, 'u, 't> {
    pub cx: &'c mut Cx<'f>,
    pub state: &'c mut State,
    pub unit: &'c Unit<'u>,
    /// Names of CTEs in scope (innermost last).
    ctes: Vec<&'t str>,
    cte_marks: Vec<(usize, usize)>,
    /// Inside ALTER ROLE/DATABASE/FUNCTION ... SET: a SET there does not change this session.
    foreign_set: usize,
    /// Inside ALTER SYSTEM (reported as a whole by EG103).
    alter_system: usize,
}

impl<'c, 'f, 'u, 't> Checker<'c, 'f, 'u, 't> {
    pub fn new(cx: &'c mut Cx<'f>, state: &'c mut State, unit: &'c Unit<'u>) -> Self {
        Checker {
            cx,
            state,
            unit,
            ctes: Vec::new(),
            cte_marks: Vec::new(),
            foreign_set: 0,
            alter_system: 0,
        }
    }

    /// Is the search_path in force secure here?
    pub fn secure(&self) -> bool {
        self.state.secure
    }

    /// Is `schema` one the script created?
    pub fn created_schema(&self, schema: &str) -> bool {
        self.state.created_schemas.contains(schema)
    }

    /// Is this SET part of ALTER SYSTEM?
    pub fn in_alter_system(&self) -> bool {
        self.alter_system > 0
    }

    pub fn is_cte(&self, name: &str) -> bool {
        self.ctes.contains(&name)
    }

    /// File span of the token at a node location (local to the unit).
    pub fn token_span(&self, loc: i32) -> Span {
        self.unit.span(self.unit.token_range(loc.max(0) as usize))
    }

    /// File span of the (qualified) name at a node location.
    pub fn name_span(&self, loc: i32) -> Span {
        self.unit.span(self.unit.name_range(loc.max(0) as usize))
    }

    /// File span of the whole statement being walked.
    pub fn statement_span(&self) -> Span {
        self.unit.span((0, self.unit.text.len()))
    }

    /// File span of the first token at or after `loc` that is the word `kw`,
    /// else of the statement's first token.
    pub fn keyword_span(&self, kw: &str) -> Span {
        for t in self.unit.tokens().iter() {
            if t.kind == crate::parse::lexer::TokenKind::Word
                && self.unit.text[t.start..t.end].eq_ignore_ascii_case(kw)
            {
                return self.unit.span((t.start, t.end));
            }
        }
        self.token_span(0)
    }

    /// File span of the last word `kw` that starts before the file offset
    /// `before` (the keyword right in front of a literal), if any.
    pub fn keyword_span_before(&self, kw: &str, before: usize) -> Option<Span> {
        self.unit
            .tokens()
            .iter()
            .rev()
            .map(|t| (t.start, t.end, t.kind))
            .find(|&(s, e, k)| {
                k == crate::parse::lexer::TokenKind::Word
                    && self.unit.map.to_file(s) < before
                    && self.unit.text[s..e].eq_ignore_ascii_case(kw)
            })
            .map(|(s, e, _)| self.unit.span((s, e)))
    }

    /// Local tokens of the unit with offsets relative to its text.
    fn local_tokens(&self) -> impl Iterator<Item = (usize, crate::parse::lexer::Token)> + '_ {
        self.unit.tokens().iter().copied().enumerate()
    }

    /// File span of `n` consecutive tokens starting at a node location.
    pub fn tokens_span(&self, loc: i32, n: usize) -> Span {
        let loc = loc.max(0) as usize;
        let toks: Vec<_> = self
            .local_tokens()
            .map(|(_, t)| t)
            .filter(|t| t.start >= loc)
            .take(n)
            .collect();
        match (toks.first(), toks.last()) {
            (Some(a), Some(b)) => self.unit.span((a.start, b.end)),
            _ => self.token_span(loc as i32),
        }
    }

    /// File span of a `SET name = value, ...` clause starting at a DefElem location.
    pub fn set_clause_span(&self, loc: i32) -> Span {
        use crate::parse::lexer::TokenKind as K;
        let loc = loc.max(0) as usize;
        let text = &self.unit.text;
        let mut start = None;
        let mut end = loc;
        let mut seen_value = false;
        for (_, t) in self
            .local_tokens()
            .filter(|(_, t)| t.start >= loc && t.is_significant())
        {
            let word = &text[t.start..t.end];
            if start.is_none() {
                start = Some(t.start);
                end = t.end;
                continue;
            }
            let is_assign = t.kind == K::Operator && word == "="
                || t.kind == K::Word && word.eq_ignore_ascii_case("to");
            let is_value = matches!(t.kind, K::Word | K::QuotedIdent | K::String)
                || (t.kind == K::Punct && word == ",");
            if is_assign && !seen_value {
                end = t.end;
            } else if is_value && (seen_value || end > 0) {
                // stop at the next clause keyword after a complete value list
                if seen_value && t.kind == K::Word && !text[end..t.start].contains(',') {
                    break;
                }
                seen_value = true;
                end = t.end;
            } else {
                break;
            }
        }
        self.unit.span((start.unwrap_or(loc), end))
    }

    /// File span of the first occurrence of a (qualified) name in the statement.
    pub fn find_name_span(&self, parts: &[&str]) -> Span {
        self.find_name_span_from(0, parts)
            .unwrap_or_else(|| self.token_span(0))
    }

    /// File span of the first occurrence of a (qualified) name after the first
    /// word `kw` of the statement (`EXECUTE FUNCTION f`, `WITH FUNCTION f`),
    /// else anywhere in the statement.
    pub fn find_name_span_after(&self, kw: &str, parts: &[&str]) -> Span {
        let kw_span = self.keyword_span(kw);
        let all = self.find_name_span(parts);
        if all.start >= kw_span.end {
            return all;
        }
        // the name also occurs earlier: search only the tokens after the keyword
        let from = self
            .local_tokens()
            .map(|(_, t)| t)
            .find(|t| self.unit.map.to_file(t.start) >= kw_span.end)
            .map(|t| t.start);
        match from {
            Some(from) => self.find_name_span_from(from, parts).unwrap_or(all),
            None => all,
        }
    }

    /// Span of the first occurrence of a (qualified) name among the tokens
    /// starting at local offset `from`.
    fn find_name_span_from(&self, from: usize, parts: &[&str]) -> Option<Span> {
        use crate::parse::lexer::TokenKind as K;
        let text = &self.unit.text;
        let toks: Vec<_> = self
            .local_tokens()
            .map(|(_, t)| t)
            .filter(|t| t.is_significant() && t.start >= from)
            .collect();
        let matches = |t: &crate::parse::lexer::Token, part: &str| {
            let w = &text[t.start..t.end];
            match t.kind {
                K::Word => w.eq_ignore_ascii_case(part),
                K::QuotedIdent => w.len() >= 2 && w[1..w.len() - 1].replace("\"\"", "\"") == part,
                K::Operator => w == part,
                _ => false,
            }
        };
        'outer: for i in 0..toks.len() {
            let mut j = i;
            for (k, part) in parts.iter().enumerate() {
                if k > 0 {
                    if toks.get(j).is_none_or(|t| &text[t.start..t.end] != ".") {
                        continue 'outer;
                    }
                    j += 1;
                }
                match toks.get(j) {
                    Some(t) if matches(t, part) => j += 1,
                    _ => continue 'outer,
                }
            }
            return Some(self.unit.span((toks[i].start, toks[j - 1].end)));
        }
        None
    }

    /// File span of the last string literal of the statement whose value is
    /// `value` (a COPY file name, a library path), if any.
    pub fn string_span(&self, value: &str) -> Option<Span> {
        let text = &self.unit.text;
        self.local_tokens()
            .map(|(_, t)| t)
            .filter(|t| t.kind == crate::parse::lexer::TokenKind::String)
            .filter(|t| {
                crate::parse::lexer::decode_string(text, t).is_some_and(|v| v.value == value)
            })
            .last()
            .map(|t| self.unit.span((t.start, t.end)))
    }

    pub fn report(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: String,
        object: Option<String>,
    ) {
        self.cx.report(rule, rule.severity, span, message, object);
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

    /// Attach pgspot's rendering of the finding just reported
    /// ([`crate::Finding::pgspot_context`]), computed only in pgspot mode.
    pub fn pgspot_context(&mut self, text: impl FnOnce() -> String) {
        if self.cx.cfg.pgspot_text {
            if let Some(f) = self.cx.findings.last_mut() {
                f.pgspot_context = Some(text());
            }
        }
    }

    fn push_ctes(&mut self, with: Option<&'t pb::WithClause>) {
        let before = self.ctes.len();
        if let Some(w) = with {
            for c in &w.ctes {
                if let Some(pg_query::NodeEnum::CommonTableExpr(cte)) = &c.node {
                    self.ctes.push(&cte.ctename);
                }
            }
        }
        self.cte_marks.push((before, self.ctes.len()));
    }

    fn pop_ctes(&mut self) {
        if let Some((before, _)) = self.cte_marks.pop() {
            self.ctes.truncate(before);
        }
    }

    /// Apply a SET / RESET of search_path to the session state (unless it belongs to ALTER ... SET).
    fn variable_set(&mut self, v: &pb::VariableSetStmt) {
        if self.foreign_set > 0 {
            return;
        }
        let kind = VariableSetKind::try_from(v.kind).unwrap_or(VariableSetKind::Undefined);
        let touches_path = v.name == "search_path" || (kind == VariableSetKind::VarResetAll);
        if !touches_path {
            return;
        }
        match kind {
            VariableSetKind::VarSetValue => {
                self.state.apply(&PathChange::Set {
                    schemas: functions::clause_schemas(v),
                    local: v.is_local,
                });
            }
            // FROM CURRENT outside a function definition changes nothing.
            VariableSetKind::VarSetCurrent => {}
            _ => self.state.apply(&PathChange::Unknown { local: v.is_local }),
        }
    }

    /// `set_config('search_path', value, is_local)` changes the session like SET.
    fn set_config_call(&mut self, f: &pb::FuncCall) {
        let parts = names::strings(&f.funcname);
        let is_set_config = matches!(
            parts.as_slice(),
            ["set_config"] | ["pg_catalog", "set_config"]
        );
        if !is_set_config || f.args.len() != 3 {
            return;
        }
        if names::const_string(&f.args[0]).map(|s| s.eq_ignore_ascii_case("search_path"))
            != Some(true)
        {
            return;
        }
        let local = match names::const_text(&f.args[2]) {
            Some(t) => matches!(
                t.to_ascii_lowercase().as_str(),
                "t" | "true" | "on" | "yes" | "y" | "1"
            ),
            // unknown: assume it only lasts for the transaction, the weaker claim
            None => true,
        };
        match names::const_string(&f.args[1]) {
            Some(value) => self.state.apply(&PathChange::Set {
                schemas: split_path(value),
                local,
            }),
            None => self.state.apply(&PathChange::Unknown { local }),
        }
    }

    fn transaction(&mut self, t: &pb::TransactionStmt) {
        use TransactionStmtKind as K;
        match K::try_from(t.kind).unwrap_or(K::Undefined) {
            K::TransStmtBegin | K::TransStmtStart => self.state.begin(),
            K::TransStmtCommit | K::TransStmtPrepare => self.state.commit(),
            K::TransStmtRollback => self.state.rollback(),
            K::TransStmtSavepoint => self.state.savepoint(&t.savepoint_name),
            K::TransStmtRollbackTo => self.state.rollback_to(&t.savepoint_name),
            _ => {}
        }
    }
}

impl<'c, 'f, 'u, 't> Visitor<'t> for Checker<'c, 'f, 'u, 't> {
    fn enter(&mut self, node: NodeRef<'t>) -> bool {
        match node {
            NodeRef::AExpr(e) => rules::ps001_unqualified_operator::check(self, e),
            NodeRef::FuncCall(f) => {
                rules::ps016_unqualified_function_call::check(self, f);
                rules::eg105_file_access_function::check(self, f);
                rules::eg106_remote_connection::check_call(self, f);
                rules::eg110_role_switch::check_call(self, f);
                rules::eg111_sensitive_setting::check_call(self, f);
                self.set_config_call(f);
                functions::sql_accepting_call(self, f);
            }
            NodeRef::RangeVar(r) => {
                rules::ps017_unqualified_object_reference::check_range_var(self, r);
                rules::eg130_pg_temp_hijack::check_range_var(self, r);
            }
            NodeRef::TypeCast(t) => {
                rules::ps017_unqualified_object_reference::check_type_cast(self, t);
                rules::eg130_pg_temp_hijack::check_type_cast(self, t);
            }
            NodeRef::CaseExpr(c) => rules::ps009_unsafe_case_expression::check(self, c),
            NodeRef::DefineStmt(d) => {
                rules::ps017_unqualified_object_reference::check_define(self, d);
                rules::ps007_unsafe_object_creation::check_define(self, d);
                rules::eg119_unqualified_support_object::check_define(self, d);
            }
            NodeRef::CreateRangeStmt(r) => {
                rules::eg119_unqualified_support_object::check_range(self, r)
            }
            NodeRef::CreateCastStmt(c) => {
                rules::eg119_unqualified_support_object::check_cast(self, c)
            }
            NodeRef::CreateDomainStmt(d) => {
                rules::eg119_unqualified_support_object::check_domain(self, d)
            }
            NodeRef::CreateTrigStmt(t) => {
                rules::eg119_unqualified_support_object::check_trigger(self, t);
                rules::eg120_replace_trigger_or_rule::check_trigger(self, t);
            }
            NodeRef::RuleStmt(r) => rules::eg120_replace_trigger_or_rule::check_rule(self, r),
            NodeRef::CreateEventTrigStmt(e) => {
                rules::eg113_event_trigger::check(self, e);
                rules::eg119_unqualified_support_object::check_event_trigger(self, e);
            }
            NodeRef::CreatePlangStmt(l) => {
                rules::eg114_create_language::check(self, l);
                rules::eg119_unqualified_support_object::check_language(self, l);
            }
            NodeRef::CreateOpClassStmt(c) => {
                rules::eg119_unqualified_support_object::check_opclass(self, c)
            }
            NodeRef::AlterOpFamilyStmt(a) => {
                rules::eg119_unqualified_support_object::check_opfamily(self, a)
            }
            NodeRef::CreateAmStmt(a) => {
                rules::eg119_unqualified_support_object::check_access_method(self, a)
            }
            NodeRef::CreateFdwStmt(f) => {
                rules::eg119_unqualified_support_object::check_fdw(self, f)
            }
            NodeRef::CreateConversionStmt(c) => {
                rules::eg119_unqualified_support_object::check_conversion(self, c)
            }
            NodeRef::CopyStmt(c) => {
                rules::eg101_copy_program::check(self, c);
                rules::eg102_copy_server_file::check(self, c);
            }
            NodeRef::CreateForeignTableStmt(t) => {
                rules::eg101_copy_program::check_foreign_table(self, t);
                rules::eg102_copy_server_file::check_foreign_table(self, t);
            }
            NodeRef::AlterSystemStmt(a) => {
                rules::eg103_alter_system::check(self, a);
                self.alter_system += 1;
                self.foreign_set += 1;
            }
            NodeRef::LoadStmt(l) => rules::eg104_load_library::check(self, l),
            NodeRef::CreateSubscriptionStmt(s) => {
                rules::eg106_remote_connection::check_subscription(self, s)
            }
            NodeRef::CreateRoleStmt(r) => {
                rules::eg107_privileged_role_attribute::check_create(self, r)
            }
            NodeRef::AlterRoleStmt(r) => {
                rules::eg107_privileged_role_attribute::check_alter(self, r)
            }
            NodeRef::GrantRoleStmt(g) => rules::eg108_grant_privileged_role::check(self, g),
            NodeRef::GrantStmt(g) => {
                rules::eg109_grant_on_parameter::check(self, g);
                rules::eg117_security_definer_executable_by_public::record_revoke(self, g);
                rules::eg118_grant_execute_to_public::check(self, g);
            }
            NodeRef::AlterDefaultPrivilegesStmt(a) => {
                // its GrantStmt is a default for future objects, not a grant now
                rules::eg117_security_definer_executable_by_public::record_default_privileges(
                    self, a,
                );
                return false;
            }
            NodeRef::CreateTableAsStmt(c) => {
                rules::ps007_unsafe_object_creation::check_create_table_as(self, c);
                if let Some(r) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.state.create_table(r);
                }
            }
            NodeRef::CreateTransformStmt(t) => {
                rules::ps006_unsafe_transform_creation::check(self, t)
            }
            NodeRef::CreateSchemaStmt(s) => {
                rules::ps010_unsafe_schema_creation::check(self, s);
                self.state.created_schemas.insert(s.schemaname.clone());
            }
            NodeRef::CreateSeqStmt(s) => rules::ps011_unsafe_sequence_creation::check(self, s),
            NodeRef::CreateStmt(s) => {
                rules::ps012_unsafe_table_creation::check(self, s);
                if let Some(r) = &s.relation {
                    self.state.create_table(r);
                }
            }
            NodeRef::CreateForeignServerStmt(s) => {
                rules::ps013_unsafe_foreign_server_creation::check(self, s);
                rules::eg106_remote_connection::check_server(self, s);
            }
            NodeRef::IndexStmt(s) => rules::ps014_unsafe_index_creation::check(self, s),
            NodeRef::ViewStmt(s) => rules::ps015_unsafe_view_creation::check(self, s),
            NodeRef::VariableSetStmt(v) => {
                rules::ps018_unsafe_set_search_path::check(self, v);
                rules::eg110_role_switch::check_set(self, v);
                rules::eg111_sensitive_setting::check_set(self, v);
                self.variable_set(v);
            }
            NodeRef::TransactionStmt(t) => self.transaction(t),
            NodeRef::CreateFunctionStmt(f) => {
                functions::create_function(self, f);
                return false;
            }
            NodeRef::DoStmt(d) => {
                functions::do_block(self, d);
                return false;
            }
            NodeRef::AlterFunctionStmt(a) => {
                functions::alter_function(self, a);
                self.foreign_set += 1;
            }
            NodeRef::AlterRoleSetStmt(_) | NodeRef::AlterDatabaseSetStmt(_) => {
                self.foreign_set += 1
            }
            NodeRef::SelectStmt(s) => self.push_ctes(s.with_clause.as_ref()),
            NodeRef::InsertStmt(s) => {
                rules::eg112_catalog_dml::check(self, "INSERT", s.relation.as_ref());
                self.push_ctes(s.with_clause.as_ref())
            }
            NodeRef::UpdateStmt(s) => {
                rules::eg112_catalog_dml::check(self, "UPDATE", s.relation.as_ref());
                self.push_ctes(s.with_clause.as_ref())
            }
            NodeRef::DeleteStmt(s) => {
                rules::eg112_catalog_dml::check(self, "DELETE", s.relation.as_ref());
                self.push_ctes(s.with_clause.as_ref())
            }
            NodeRef::MergeStmt(s) => {
                rules::eg112_catalog_dml::check(self, "MERGE", s.relation.as_ref());
                self.push_ctes(s.with_clause.as_ref())
            }
            _ => {}
        }
        true
    }

    fn leave(&mut self, node: NodeRef<'t>) {
        match node {
            NodeRef::AlterSystemStmt(_) => {
                self.alter_system -= 1;
                self.foreign_set -= 1;
            }
            NodeRef::AlterFunctionStmt(_)
            | NodeRef::AlterRoleSetStmt(_)
            | NodeRef::AlterDatabaseSetStmt(_) => self.foreign_set -= 1,
            NodeRef::SelectStmt(_)
            | NodeRef::InsertStmt(_)
            | NodeRef::UpdateStmt(_)
            | NodeRef::DeleteStmt(_)
            | NodeRef::MergeStmt(_) => self.pop_ctes(),
            _ => {}
        }
    }
}

/// Walk a subtree with a fresh checker on the same unit (used for parts of
/// CREATE FUNCTION that run under another search_path).
pub fn walk_with<'t>(
    cx: &mut Cx,
    state: &mut State,
    unit: &Unit,
    nodes: impl IntoIterator<Item = &'t pb::Node>,
) {
    let mut ck = Checker::new(cx, state, unit);
    for n in nodes {
        walk::walk_node(&mut ck, n);
    }
}
