//! EG110: SET ROLE, SET SESSION AUTHORIZATION and their set_config forms.

use pg_query::protobuf::{FuncCall, VariableSetKind, VariableSetStmt};

use crate::parse::names;
use crate::rules::RuleCx;

declare_rule! {
    /// ## What it flags
    /// `SET ROLE r` and `SET SESSION AUTHORIZATION r` (also `LOCAL`, and as
    /// `ALTER ROLE/DATABASE ... SET role`), and `set_config('role', ...)` /
    /// `set_config('session_authorization', ...)`. Going back (`SET ROLE
    /// NONE`, `RESET ROLE`, `... DEFAULT`) is not flagged.
    ///
    /// ## Why it is dangerous
    /// The statements after it run as another role: an install script run
    /// by a privileged user can act as any role it can reach, and the audit
    /// trail shows the wrong actor. `set_config` does the same while evading
    /// checks that only look for SET statements.
    ///
    /// ## Example
    /// ```sql
    /// SET ROLE platform_admin;
    /// ```
    ///
    /// ## Fix
    /// Create objects as the installing role; change owners explicitly with
    /// `ALTER ... OWNER TO` if needed.
    pub static RULE = { code: "EG110", name: "role-switch", title: "Role switch", severity: Warning };
}

/// The parameters that switch identity.
const ROLE_PARAMETERS: &[&str] = &["role", "session_authorization"];

pub fn check_set(ck: &mut RuleCx, v: &VariableSetStmt) {
    if !ROLE_PARAMETERS.contains(&v.name.as_str()) || ck.in_alter_system() {
        return;
    }
    if VariableSetKind::try_from(v.kind) != Ok(VariableSetKind::VarSetValue) {
        return;
    }
    let Some(arg) = v.args.first() else { return };
    let role = names::const_string(arg).unwrap_or_default().to_string();
    if role.eq_ignore_ascii_case("none") {
        return;
    }
    let span = match names::location(arg) {
        Some(loc) => ck.token_span(loc as i32),
        None => ck.keyword_span(if v.name == "role" {
            "role"
        } else {
            "authorization"
        }),
    };
    ck.report(
        &RULE,
        span,
        format!("the statements after it run as role {role}"),
        Some(role),
    );
}

pub fn check_call(ck: &mut RuleCx, f: &FuncCall) {
    let Some((param, loc)) = set_config_parameter(f) else {
        return;
    };
    if !ROLE_PARAMETERS.contains(&param.to_ascii_lowercase().as_str()) {
        return;
    }
    let span = ck.token_span(loc as i32);
    ck.report(
        &RULE,
        span,
        format!("set_config('{param}', ...) switches the session to another role"),
        Some(param.to_string()),
    );
}

/// For `set_config(name, value, is_local)` with a constant name: the name and its location.
pub fn set_config_parameter(f: &FuncCall) -> Option<(&str, usize)> {
    let parts = names::strings(&f.funcname);
    if !matches!(
        parts.as_slice(),
        ["set_config"] | ["pg_catalog", "set_config"]
    ) {
        return None;
    }
    let arg = f.args.first()?;
    Some((names::const_string(arg)?, names::location(arg)?))
}
