//! PS007: OR REPLACE / IF NOT EXISTS for aggregates, collations and CREATE TABLE AS.

use pg_query::protobuf::{CreateTableAsStmt, DefineStmt, ObjectType};
use pg_query::NodeEnum;

use crate::analysis::functions::type_name;
use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `CREATE OR REPLACE AGGREGATE` (unless the script created that aggregate
    /// itself earlier), any other definition with `OR REPLACE` or `IF NOT
    /// EXISTS` (in practice `CREATE COLLATION IF NOT EXISTS`), and `CREATE
    /// TABLE ... AS` / `CREATE MATERIALIZED VIEW` with `IF NOT EXISTS`, outside
    /// a schema the script created.
    ///
    /// ## Why it is dangerous
    /// An object someone created first is kept (IF NOT EXISTS) or taken over
    /// (OR REPLACE): the extension then relies on an object the attacker owns.
    ///
    /// ## Example
    /// ```sql
    /// CREATE OR REPLACE AGGREGATE public.agg(int) (SFUNC = pg_catalog.int4pl, STYPE = int);
    /// ```
    ///
    /// ## Fix
    /// Create it without OR REPLACE / IF NOT EXISTS, or in a schema the script created.
    pub static RULE = { code: "PS007", name: "unsafe-object-creation", title: "Unsafe object creation", severity: Error };
}

/// `name(argtypes)` of an aggregate, old or new style, as pgspot prints it.
pub fn aggregate_signature(d: &DefineStmt) -> String {
    let args = if d.oldstyle {
        names::def_elem(&d.definition, "basetype")
            .and_then(|b| match b.arg.as_deref().and_then(|a| a.node.as_ref()) {
                Some(NodeEnum::TypeName(t)) => {
                    let parts = names::strings(&t.names);
                    Some(if parts.len() == 2 && parts[0] == "pg_catalog" {
                        parts[1].to_string()
                    } else {
                        parts.join(",")
                    })
                }
                _ => None,
            })
            .unwrap_or_default()
    } else {
        let list = d.args.first().and_then(|a| match &a.node {
            Some(NodeEnum::List(l)) => Some(&l.items),
            _ => None,
        });
        list.into_iter()
            .flatten()
            .filter_map(|p| match &p.node {
                Some(NodeEnum::FunctionParameter(p)) => p.arg_type.as_ref().map(type_name),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!("{}({args})", names::dotted(&d.defnames))
}

pub fn check_define(ck: &mut RuleCx, d: &DefineStmt) {
    let in_created = names::schema_of(&d.defnames).is_some_and(|s| ck.created_schema(s));
    if ObjectType::try_from(d.kind) == Ok(ObjectType::ObjectAggregate) {
        let sig = aggregate_signature(d);
        if d.replace && !in_created && !ck.created_aggregate(&sig) {
            let span = ck.keyword_span("replace");
            ck.report(&RULE, span, format!("CREATE OR REPLACE AGGREGATE {sig} can take over an aggregate someone else created first"), Some(sig.clone()));
        }
        if !d.replace {
            ck.note_created_aggregate(sig);
        }
        return;
    }
    if (d.replace || d.if_not_exists) && !in_created {
        let object = names::dotted(&d.defnames);
        let span = ck.keyword_span(if d.replace { "replace" } else { "exists" });
        ck.report(
            &RULE,
            span,
            format!("{object} may already exist and be owned by someone else"),
            Some(object),
        );
    }
}

pub fn check_create_table_as(ck: &mut RuleCx, c: &CreateTableAsStmt) {
    let Some(rel) = c.into.as_ref().and_then(|i| i.rel.as_ref()) else {
        return;
    };
    if !c.if_not_exists || ck.created_schema(&rel.schemaname) {
        return;
    }
    let object = if rel.schemaname.is_empty() {
        rel.relname.clone()
    } else {
        format!("{}.{}", rel.schemaname, rel.relname)
    };
    let span = ck.keyword_span("exists");
    ck.report(
        &RULE,
        span,
        format!("IF NOT EXISTS keeps a {object} someone else may have created"),
        Some(object),
    );
}
