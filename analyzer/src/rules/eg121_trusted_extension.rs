//! EG121: something only safe as superuser in a trusted extension's scripts.

use crate::finding::{Finding, Severity};
use crate::search_path::Definer;

declare_rule! {
    /// ## What it flags
    /// In an extension whose control file says `trusted = true`: an escape
    /// primitive (EG101–EG114), a C function not loaded from
    /// `MODULE_PATHNAME` / `$libdir` or an `internal` alias of a dangerous
    /// builtin (EG115 errors), a GRANT ... TO PUBLIC on a SECURITY DEFINER
    /// function (EG118), and every SECURITY DEFINER function.
    ///
    /// ## Why it is dangerous
    /// A trusted extension can be installed by any user with CREATE on the
    /// database, and its scripts then run as the bootstrap superuser. Whatever
    /// the script does with superuser rights — or leaves behind running with
    /// them, like a SECURITY DEFINER function owned by the superuser — is
    /// handed to that non-superuser.
    ///
    /// ## Example
    /// ```text
    /// # ext.control
    /// trusted = true
    /// ```
    /// ```sql
    /// CREATE FUNCTION @extschema@.f() RETURNS void LANGUAGE sql SECURITY DEFINER
    ///   SET search_path = pg_catalog, pg_temp AS 'SELECT 1';
    /// ```
    ///
    /// ## Fix
    /// Drop `trusted = true`, or remove the superuser-only parts from the scripts.
    pub static RULE = { code: "EG121", name: "trusted-extension-superuser-only", title: "Superuser-only operation in a trusted extension", severity: Error };
}

/// Codes whose findings are superuser-only operations when they run in a
/// trusted extension's script.
pub const SUPERUSER_ONLY: &[&str] = &[
    "EG101", "EG102", "EG103", "EG104", "EG105", "EG106", "EG107", "EG108", "EG109", "EG110",
    "EG111", "EG112", "EG113", "EG114", "EG115", "EG118",
];

fn at(f: &Finding, message: String) -> Finding {
    Finding {
        code: RULE.code,
        severity: RULE.severity,
        title: RULE.title,
        message,
        ..f.clone()
    }
}

/// The EG121 finding a finding of a trusted extension's script implies, if any.
pub fn derive(f: &Finding) -> Option<Finding> {
    (SUPERUSER_ONLY.contains(&f.code) && f.severity >= Severity::Warning)
        .then(|| at(f, format!("runs as the bootstrap superuser when any user installs this trusted extension: {} ({})", f.title, f.code)))
}

/// The EG121 finding for a SECURITY DEFINER function of a trusted extension.
pub fn for_definer(d: &Definer) -> Finding {
    let name = if d.schema.is_empty() {
        d.name.clone()
    } else {
        format!("{}.{}", d.schema, d.name)
    };
    at(&d.pending, format!("SECURITY DEFINER function {name} of a trusted extension is owned by the bootstrap superuser and runs with its rights"))
}
