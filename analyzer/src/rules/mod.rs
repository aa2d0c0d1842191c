//! The rules. Each lives in its own file with its code, name, severity,
//! documentation (what it flags, why it is dangerous, an example, the fix) and
//! logic. [`ALL`] lists them: `extguard rules` and `extguard explain` print
//! from it, so the documentation is the code's own.

use crate::finding::Severity;

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct Rule {
    /// Stable code (`PS016`). PS codes keep pgspot's meaning.
    pub code: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    /// One-line title, as printed with findings.
    pub title: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// The rule's doc comment (Markdown).
    pub doc: &'static str,
}

impl Rule {
    /// The documentation with the one-space indent of doc comments removed.
    pub fn documentation(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
}

/// Declare a rule: its doc comment becomes [`Rule::doc`].
macro_rules! declare_rule {
    ($(#[doc = $doc:expr])* $vis:vis static $id:ident = { code: $code:literal, name: $name:literal, title: $title:literal, severity: $sev:ident $(,)? };) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            title: $title,
            severity: $crate::finding::Severity::$sev,
            doc: concat!($($doc, "\n"),*),
        };
    };
}

mod context;
pub use context::RuleCx;
pub mod diagnostics;
pub mod eg101_copy_program;
pub mod eg102_copy_server_file;
pub mod eg103_alter_system;
pub mod eg104_load_library;
pub mod eg105_file_access_function;
pub mod eg106_remote_connection;
pub mod eg107_privileged_role_attribute;
pub mod eg108_grant_privileged_role;
pub mod eg109_grant_on_parameter;
pub mod eg110_role_switch;
pub mod eg111_sensitive_setting;
pub mod eg112_catalog_dml;
pub mod eg113_event_trigger;
pub mod eg114_create_language;
pub mod eg115_untrusted_language_function;
pub mod eg116_alter_function_security_definer;
pub mod eg117_security_definer_executable_by_public;
pub mod eg118_grant_execute_to_public;
pub mod eg119_unqualified_support_object;
pub mod eg120_replace_trigger_or_rule;
pub mod eg121_trusted_extension;
pub mod eg122_trusted_claim_contradicted;
pub mod eg123_package_claim_contradicted;
pub mod eg130_pg_temp_hijack;
pub mod eg140_wasm;
pub mod eg201_sql_injection_concat;
pub mod eg202_sql_injection_format;
pub mod ps001_unqualified_operator;
pub mod ps002_unsafe_function_creation;
pub mod ps003_security_definer_without_search_path;
pub mod ps004_security_definer_insecure_search_path;
pub mod ps005_function_without_search_path;
pub mod ps006_unsafe_transform_creation;
pub mod ps007_unsafe_object_creation;
pub mod ps008_unqualified_alter_sequence;
pub mod ps009_unsafe_case_expression;
pub mod ps010_unsafe_schema_creation;
pub mod ps011_unsafe_sequence_creation;
pub mod ps012_unsafe_table_creation;
pub mod ps013_unsafe_foreign_server_creation;
pub mod ps014_unsafe_index_creation;
pub mod ps015_unsafe_view_creation;
pub mod ps016_unqualified_function_call;
pub mod ps017_unqualified_object_reference;
pub mod ps018_unsafe_set_search_path;

pub use diagnostics::{
    EG001, EG002, EG003, EG004, EG005, EG006, EG007, EG008, EG009, EG010, EG011,
};

/// Every rule, in code order.
pub static ALL: &[&Rule] = &[
    &ps001_unqualified_operator::RULE,
    &ps002_unsafe_function_creation::RULE,
    &ps003_security_definer_without_search_path::RULE,
    &ps004_security_definer_insecure_search_path::RULE,
    &ps005_function_without_search_path::RULE,
    &ps006_unsafe_transform_creation::RULE,
    &ps007_unsafe_object_creation::RULE,
    &ps008_unqualified_alter_sequence::RULE,
    &ps009_unsafe_case_expression::RULE,
    &ps010_unsafe_schema_creation::RULE,
    &ps011_unsafe_sequence_creation::RULE,
    &ps012_unsafe_table_creation::RULE,
    &ps013_unsafe_foreign_server_creation::RULE,
    &ps014_unsafe_index_creation::RULE,
    &ps015_unsafe_view_creation::RULE,
    &ps016_unqualified_function_call::RULE,
    &ps017_unqualified_object_reference::RULE,
    &ps018_unsafe_set_search_path::RULE,
    &EG001,
    &EG002,
    &EG003,
    &EG004,
    &EG005,
    &EG006,
    &EG007,
    &EG008,
    &EG009,
    &EG010,
    &EG011,
    &eg101_copy_program::RULE,
    &eg102_copy_server_file::RULE,
    &eg103_alter_system::RULE,
    &eg104_load_library::RULE,
    &eg105_file_access_function::RULE,
    &eg106_remote_connection::RULE,
    &eg107_privileged_role_attribute::RULE,
    &eg108_grant_privileged_role::RULE,
    &eg109_grant_on_parameter::RULE,
    &eg110_role_switch::RULE,
    &eg111_sensitive_setting::RULE,
    &eg112_catalog_dml::RULE,
    &eg113_event_trigger::RULE,
    &eg114_create_language::RULE,
    &eg115_untrusted_language_function::RULE,
    &eg116_alter_function_security_definer::RULE,
    &eg117_security_definer_executable_by_public::RULE,
    &eg118_grant_execute_to_public::RULE,
    &eg119_unqualified_support_object::RULE,
    &eg120_replace_trigger_or_rule::RULE,
    &eg121_trusted_extension::RULE,
    &eg122_trusted_claim_contradicted::RULE,
    &eg123_package_claim_contradicted::RULE,
    &eg130_pg_temp_hijack::RULE,
    &eg140_wasm::EG140,
    &eg140_wasm::EG141,
    &eg140_wasm::EG142,
    &eg201_sql_injection_concat::RULE,
    &eg202_sql_injection_format::RULE,
];

/// Look a rule up by code (case-insensitive).
pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code))
}

/// The anchor of a rule's section in `docs/rules.md`: GitHub's anchor of
/// the heading `## CODE` (SARIF `helpUri`s point there).
pub fn anchor(code: &str) -> String {
    code.to_ascii_lowercase()
}

/// `docs/rules.md`: every rule's documentation under a heading of its
/// own. `extguard rules --format docs` prints it; a test keeps the
/// committed file equal to it.
pub fn docs_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated by `extguard rules --format docs > docs/rules.md` from the rules' doc comments; do not edit. -->\n\n# extguard rules\n\nEach rule's code, name, default severity and documentation (what `extguard explain CODE` prints). PS codes keep pgspot's meaning.\n",
    );
    for r in ALL {
        out.push_str(&format!(
            "\n## {}\n\n**{}** (`{}`, {})\n\n{}\n",
            r.code,
            r.title,
            r.name,
            r.severity.as_str(),
            demote_headings(&r.documentation())
        ));
    }
    out
}

/// One more `#` on every Markdown heading outside code blocks: a rule's
/// own sections sit under its `## CODE` heading.
fn demote_headings(doc: &str) -> String {
    let mut fenced = false;
    let lines: Vec<String> = doc
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            if !fenced && l.starts_with('#') {
                format!("#{l}")
            } else {
                l.to_string()
            }
        })
        .collect();
    lines.join("\n")
}
