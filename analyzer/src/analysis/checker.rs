//! The statement walker: keeps search_path state and scopes, and calls the
//! rules for each node kind (one rule, one place: the logic lives in
//! `crate::rules`).

use pg_query::protobuf::{self as pb, TransactionStmtKind, VariableSetKind};
use pg_query::NodeRef;

use super::{functions, Cx, Unit};
use crate::parse::names;
use crate::parse::walk::{self, Visitor};
use crate::rules::{self, RuleCx};
use crate::search_path::{split_path, PathChange, State};

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

    /// What the rules see of this point of the walk.
    pub(super) fn rules(&mut self) -> RuleCx<'_, 'f> {
        RuleCx::new(self.cx, self.state, self.unit).in_scope(&self.ctes, self.alter_system > 0)
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
            NodeRef::AExpr(e) => rules::ps001_unqualified_operator::check(&mut self.rules(), e),
            NodeRef::FuncCall(f) => {
                rules::ps016_unqualified_function_call::check(&mut self.rules(), f);
                rules::eg105_file_access_function::check(&mut self.rules(), f);
                rules::eg106_remote_connection::check_call(&mut self.rules(), f);
                rules::eg110_role_switch::check_call(&mut self.rules(), f);
                rules::eg111_sensitive_setting::check_call(&mut self.rules(), f);
                self.set_config_call(f);
                functions::sql_accepting_call(self, f);
            }
            NodeRef::RangeVar(r) => {
                rules::ps017_unqualified_object_reference::check_range_var(&mut self.rules(), r);
                rules::eg130_pg_temp_hijack::check_range_var(&mut self.rules(), r);
            }
            NodeRef::TypeCast(t) => {
                rules::ps017_unqualified_object_reference::check_type_cast(&mut self.rules(), t);
                rules::eg130_pg_temp_hijack::check_type_cast(&mut self.rules(), t);
            }
            NodeRef::CaseExpr(c) => {
                rules::ps009_unsafe_case_expression::check(&mut self.rules(), c)
            }
            NodeRef::DefineStmt(d) => {
                rules::ps017_unqualified_object_reference::check_define(&mut self.rules(), d);
                rules::ps007_unsafe_object_creation::check_define(&mut self.rules(), d);
                rules::eg119_unqualified_support_object::check_define(&mut self.rules(), d);
            }
            NodeRef::CreateRangeStmt(r) => {
                rules::eg119_unqualified_support_object::check_range(&mut self.rules(), r)
            }
            NodeRef::CreateCastStmt(c) => {
                rules::eg119_unqualified_support_object::check_cast(&mut self.rules(), c)
            }
            NodeRef::CreateDomainStmt(d) => {
                rules::eg119_unqualified_support_object::check_domain(&mut self.rules(), d)
            }
            NodeRef::CreateTrigStmt(t) => {
                rules::eg119_unqualified_support_object::check_trigger(&mut self.rules(), t);
                rules::eg120_replace_trigger_or_rule::check_trigger(&mut self.rules(), t);
            }
            NodeRef::RuleStmt(r) => {
                rules::eg120_replace_trigger_or_rule::check_rule(&mut self.rules(), r)
            }
            NodeRef::CreateEventTrigStmt(e) => {
                rules::eg113_event_trigger::check(&mut self.rules(), e);
                rules::eg119_unqualified_support_object::check_event_trigger(&mut self.rules(), e);
            }
            NodeRef::CreatePlangStmt(l) => {
                rules::eg114_create_language::check(&mut self.rules(), l);
                rules::eg119_unqualified_support_object::check_language(&mut self.rules(), l);
            }
            NodeRef::CreateOpClassStmt(c) => {
                rules::eg119_unqualified_support_object::check_opclass(&mut self.rules(), c)
            }
            NodeRef::AlterOpFamilyStmt(a) => {
                rules::eg119_unqualified_support_object::check_opfamily(&mut self.rules(), a)
            }
            NodeRef::CreateAmStmt(a) => {
                rules::eg119_unqualified_support_object::check_access_method(&mut self.rules(), a)
            }
            NodeRef::CreateFdwStmt(f) => {
                rules::eg119_unqualified_support_object::check_fdw(&mut self.rules(), f)
            }
            NodeRef::CreateConversionStmt(c) => {
                rules::eg119_unqualified_support_object::check_conversion(&mut self.rules(), c)
            }
            NodeRef::CopyStmt(c) => {
                rules::eg101_copy_program::check(&mut self.rules(), c);
                rules::eg102_copy_server_file::check(&mut self.rules(), c);
            }
            NodeRef::CreateForeignTableStmt(t) => {
                rules::eg101_copy_program::check_foreign_table(&mut self.rules(), t);
                rules::eg102_copy_server_file::check_foreign_table(&mut self.rules(), t);
            }
            NodeRef::AlterSystemStmt(a) => {
                rules::eg103_alter_system::check(&mut self.rules(), a);
                self.alter_system += 1;
                self.foreign_set += 1;
            }
            NodeRef::LoadStmt(l) => rules::eg104_load_library::check(&mut self.rules(), l),
            NodeRef::CreateSubscriptionStmt(s) => {
                rules::eg106_remote_connection::check_subscription(&mut self.rules(), s)
            }
            NodeRef::CreateRoleStmt(r) => {
                rules::eg107_privileged_role_attribute::check_create(&mut self.rules(), r)
            }
            NodeRef::AlterRoleStmt(r) => {
                rules::eg107_privileged_role_attribute::check_alter(&mut self.rules(), r)
            }
            NodeRef::GrantRoleStmt(g) => {
                rules::eg108_grant_privileged_role::check(&mut self.rules(), g)
            }
            NodeRef::GrantStmt(g) => {
                rules::eg109_grant_on_parameter::check(&mut self.rules(), g);
                rules::eg117_security_definer_executable_by_public::record_revoke(
                    &mut self.rules(),
                    g,
                );
                rules::eg118_grant_execute_to_public::check(&mut self.rules(), g);
            }
            NodeRef::AlterDefaultPrivilegesStmt(a) => {
                // its GrantStmt is a default for future objects, not a grant now
                rules::eg117_security_definer_executable_by_public::record_default_privileges(
                    &mut self.rules(),
                    a,
                );
                return false;
            }
            NodeRef::CreateTableAsStmt(c) => {
                rules::ps007_unsafe_object_creation::check_create_table_as(&mut self.rules(), c);
                if let Some(r) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.state.create_table(r);
                }
            }
            NodeRef::CreateTransformStmt(t) => {
                rules::ps006_unsafe_transform_creation::check(&mut self.rules(), t)
            }
            NodeRef::CreateSchemaStmt(s) => {
                rules::ps010_unsafe_schema_creation::check(&mut self.rules(), s);
                std::sync::Arc::make_mut(&mut self.state.created_schemas)
                    .insert(s.schemaname.clone());
            }
            NodeRef::CreateSeqStmt(s) => {
                rules::ps011_unsafe_sequence_creation::check(&mut self.rules(), s)
            }
            NodeRef::CreateStmt(s) => {
                rules::ps012_unsafe_table_creation::check(&mut self.rules(), s);
                if let Some(r) = &s.relation {
                    self.state.create_table(r);
                }
            }
            NodeRef::CreateForeignServerStmt(s) => {
                rules::ps013_unsafe_foreign_server_creation::check(&mut self.rules(), s);
                rules::eg106_remote_connection::check_server(&mut self.rules(), s);
            }
            NodeRef::IndexStmt(s) => {
                rules::ps014_unsafe_index_creation::check(&mut self.rules(), s)
            }
            NodeRef::ViewStmt(s) => rules::ps015_unsafe_view_creation::check(&mut self.rules(), s),
            NodeRef::VariableSetStmt(v) => {
                rules::ps018_unsafe_set_search_path::check(&mut self.rules(), v);
                rules::eg110_role_switch::check_set(&mut self.rules(), v);
                rules::eg111_sensitive_setting::check_set(&mut self.rules(), v);
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
                rules::eg112_catalog_dml::check(&mut self.rules(), "INSERT", s.relation.as_ref());
                self.push_ctes(s.with_clause.as_ref())
            }
            NodeRef::UpdateStmt(s) => {
                rules::eg112_catalog_dml::check(&mut self.rules(), "UPDATE", s.relation.as_ref());
                self.push_ctes(s.with_clause.as_ref())
            }
            NodeRef::DeleteStmt(s) => {
                rules::eg112_catalog_dml::check(&mut self.rules(), "DELETE", s.relation.as_ref());
                self.push_ctes(s.with_clause.as_ref())
            }
            NodeRef::MergeStmt(s) => {
                rules::eg112_catalog_dml::check(&mut self.rules(), "MERGE", s.relation.as_ref());
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
