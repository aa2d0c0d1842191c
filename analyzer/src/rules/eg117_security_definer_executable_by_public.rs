//! EG117: SECURITY DEFINER functions left executable by PUBLIC.

use pg_query::protobuf::{
    AlterDefaultPrivilegesStmt, GrantStmt, GrantTargetType, ObjectType, RoleSpecType,
};
use pg_query::NodeEnum;

use crate::parse::names;
use crate::rules::RuleCx;
use crate::search_path::Definer;
use crate::span::Span;

declare_rule! {
    /// ## What it flags
    /// A `SECURITY DEFINER` function or procedure (created, or altered to be
    /// so, by the script) when nothing in the whole script revokes EXECUTE
    /// from PUBLIC: no `REVOKE EXECUTE` (or `REVOKE ALL`) `ON FUNCTION f ...
    /// FROM PUBLIC`, no `... ON ALL FUNCTIONS IN SCHEMA s FROM PUBLIC`, and no
    /// `ALTER DEFAULT PRIVILEGES ... REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`
    /// before it was created. Checked at the end of the script (for an
    /// extension, of its install chain); functions match by schema and name.
    ///
    /// ## Why it is dangerous
    /// New functions are executable by PUBLIC by default, so every role can
    /// call the function with its owner's privileges (for an extension, the
    /// installing superuser). A definer function should only be callable by
    /// the roles it is meant for.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SECURITY DEFINER
    ///   SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
    /// ```
    ///
    /// ## Fix
    /// `REVOKE ALL ON FUNCTION s.f() FROM PUBLIC;` then grant EXECUTE to the
    /// roles that need it.
    pub static RULE = { code: "EG117", name: "security-definer-executable-by-public", title: "SECURITY DEFINER function executable by PUBLIC", severity: Warning };
}

/// Record a SECURITY DEFINER function `schema.name` (schema empty when
/// unqualified) whose SECURITY DEFINER clause is at `span`.
pub fn record(ck: &mut RuleCx, schema: &str, name: &str, span: Span, signature: &str) {
    let privs = ck.privileges();
    if privs
        .definers
        .iter()
        .any(|d| d.schema == schema && d.name == name)
    {
        return;
    }
    let pending = ck.finding(
        &RULE,
        span,
        format!("SECURITY DEFINER function {signature} stays executable by PUBLIC: the script never revokes EXECUTE from PUBLIC"),
        Some(signature.to_string()),
    );
    let default_revoked = privs.default_revoked;
    ck.privileges_mut().definers.push(Definer {
        schema: schema.to_string(),
        name: name.to_string(),
        default_revoked,
        pending,
        judged: false,
    });
}

/// Is `objtype` a kind of routine?
pub fn is_routine(objtype: i32) -> bool {
    matches!(
        ObjectType::try_from(objtype),
        Ok(ObjectType::ObjectFunction | ObjectType::ObjectProcedure | ObjectType::ObjectRoutine)
    )
}

/// Does a GRANT/REVOKE on routines concern EXECUTE and PUBLIC? Gives PUBLIC's location.
pub fn execute_for_public(g: &GrantStmt) -> Option<i32> {
    if !is_routine(g.objtype) {
        return None;
    }
    let execute = g.privileges.is_empty()
        || g.privileges.iter().any(|p| {
            matches!(&p.node, Some(NodeEnum::AccessPriv(a)) if a.priv_name == "execute" || a.priv_name == "all")
        });
    if !execute {
        return None;
    }
    g.grantees.iter().find_map(|r| match &r.node {
        Some(NodeEnum::RoleSpec(s)) if s.roletype == RoleSpecType::RolespecPublic as i32 => {
            Some(s.location)
        }
        _ => None,
    })
}

/// `(schema, name)` of the routines a GRANT/REVOKE names (`*` for ALL FUNCTIONS IN SCHEMA).
pub fn targets(g: &GrantStmt) -> Vec<(String, String)> {
    match GrantTargetType::try_from(g.targtype) {
        Ok(GrantTargetType::AclTargetObject) => g
            .objects
            .iter()
            .filter_map(|o| match &o.node {
                Some(NodeEnum::ObjectWithArgs(f)) => {
                    let parts = names::strings(&f.objname);
                    let name = parts.last()?.to_string();
                    let schema = names::schema_of(&f.objname).unwrap_or_default();
                    Some((schema.to_string(), name))
                }
                _ => None,
            })
            .collect(),
        Ok(GrantTargetType::AclTargetAllInSchema) => names::strings(&g.objects)
            .into_iter()
            .map(|s| (s.to_string(), "*".to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

/// `REVOKE EXECUTE|ALL ON FUNCTION ... FROM PUBLIC`.
pub fn record_revoke(ck: &mut RuleCx, g: &GrantStmt) {
    if g.is_grant || execute_for_public(g).is_none() {
        return;
    }
    ck.privileges_mut().revoked_from_public.extend(targets(g));
}

/// `ALTER DEFAULT PRIVILEGES ... {GRANT|REVOKE} EXECUTE ON FUNCTIONS ... PUBLIC`.
pub fn record_default_privileges(ck: &mut RuleCx, a: &AlterDefaultPrivilegesStmt) {
    let Some(g) = &a.action else { return };
    if execute_for_public(g).is_some() {
        ck.privileges_mut().default_revoked = !g.is_grant;
    }
}

/// End of the script: report the definers EXECUTE was never revoked on.
/// Each definer is judged once; it stays known for EG118.
pub fn finish(ck: &mut RuleCx) {
    let mut definers = std::mem::take(&mut ck.privileges_mut().definers);
    for d in definers.iter_mut().filter(|d| !d.judged) {
        d.judged = true;
        if !ck.privileges().revoked(d) {
            ck.report_finding(d.pending.clone());
        }
    }
    ck.privileges_mut().definers = definers;
}
