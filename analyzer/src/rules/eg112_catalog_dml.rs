//! EG112: INSERT/UPDATE/DELETE/MERGE on system catalogs.

use pg_query::protobuf::RangeVar;

use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `INSERT`, `UPDATE`, `DELETE` or `MERGE` whose target is a table in
    /// `pg_catalog`: qualified (`pg_catalog.x`), or unqualified with the
    /// name of a system catalog (`pg_authid`, `pg_proc`, `pg_language`, ...),
    /// which the server finds in pg_catalog first. Not a table of that name
    /// the script created itself where the server finds it first: a
    /// temporary table, or one in a schema the search_path lists before
    /// pg_catalog.
    ///
    /// ## Why it is dangerous
    /// Writing the catalogs bypasses every check DDL makes:
    /// `UPDATE pg_authid SET rolsuper = true` creates a superuser,
    /// `UPDATE pg_language SET lanpltrusted = true` opens an untrusted
    /// language to everyone, edits to `pg_proc` change what functions do. Only
    /// superusers can do it, and mistakes corrupt the database.
    ///
    /// ## Example
    /// ```sql
    /// UPDATE pg_catalog.pg_proc SET prosecdef = true WHERE proname = 'f';
    /// ```
    ///
    /// ## Fix
    /// Use the DDL that does the same (`ALTER FUNCTION`, `ALTER TYPE`, ...),
    /// or drop and recreate the object.
    pub static RULE = { code: "EG112", name: "catalog-dml", title: "Direct modification of a system catalog", severity: Error };
}

/// System catalog tables of PostgreSQL 15-17 (shared and per-database).
const CATALOGS: &[&str] = &[
    "pg_aggregate",
    "pg_am",
    "pg_amop",
    "pg_amproc",
    "pg_attrdef",
    "pg_attribute",
    "pg_auth_members",
    "pg_authid",
    "pg_cast",
    "pg_class",
    "pg_collation",
    "pg_constraint",
    "pg_conversion",
    "pg_database",
    "pg_db_role_setting",
    "pg_default_acl",
    "pg_depend",
    "pg_description",
    "pg_enum",
    "pg_event_trigger",
    "pg_extension",
    "pg_foreign_data_wrapper",
    "pg_foreign_server",
    "pg_foreign_table",
    "pg_index",
    "pg_inherits",
    "pg_init_privs",
    "pg_language",
    "pg_largeobject",
    "pg_largeobject_metadata",
    "pg_namespace",
    "pg_opclass",
    "pg_operator",
    "pg_opfamily",
    "pg_parameter_acl",
    "pg_partitioned_table",
    "pg_policy",
    "pg_proc",
    "pg_publication",
    "pg_publication_namespace",
    "pg_publication_rel",
    "pg_range",
    "pg_replication_origin",
    "pg_rewrite",
    "pg_seclabel",
    "pg_sequence",
    "pg_shdepend",
    "pg_shdescription",
    "pg_shseclabel",
    "pg_statistic",
    "pg_statistic_ext",
    "pg_statistic_ext_data",
    "pg_subscription",
    "pg_subscription_rel",
    "pg_tablespace",
    "pg_transform",
    "pg_trigger",
    "pg_ts_config",
    "pg_ts_config_map",
    "pg_ts_dict",
    "pg_ts_parser",
    "pg_ts_template",
    "pg_type",
    "pg_user_mapping",
];

/// `verb` is the statement (`UPDATE`...), `target` its target relation.
pub fn check(ck: &mut RuleCx, verb: &str, target: Option<&RangeVar>) {
    let Some(r) = target else { return };
    let in_catalog = if r.schemaname.is_empty() {
        CATALOGS.contains(&r.relname.as_str()) && !ck.created_table(&r.relname)
    } else {
        r.schemaname == "pg_catalog"
    };
    if !in_catalog {
        return;
    }
    let span = ck.name_span(r.location);
    let object = format!("pg_catalog.{}", r.relname);
    ck.report(
        &RULE,
        span,
        format!("{verb} writes the system catalog {object} directly"),
        Some(object),
    );
}
