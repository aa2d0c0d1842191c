//! Options shared by the CLI flags and `extguard.toml`.

use std::path::Path;

use serde::Deserialize;

use crate::finding::Severity;

/// Analysis and reporting options. Every CLI flag has a key here; the CLI
/// merges its flags over the file's values.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Codes never reported.
    pub ignore: Vec<String>,
    /// If not empty, only these codes are reported.
    pub select: Vec<String>,
    /// Function signatures (as printed in findings) exempt from PS005.
    pub proc_without_search_path: Vec<String>,
    /// Functions whose constant arguments are SQL to analyse.
    pub sql_accepting: Vec<String>,
    /// Function languages not to report as unknown.
    pub ignore_lang: Vec<String>,
    /// Schemas accepted as secure inside a search_path.
    pub trusted_schema: Vec<String>,
    /// One state across all files, in order.
    pub append: bool,
    /// Analyse PL/pgSQL bodies and DO blocks.
    pub plpgsql: bool,
    /// Lowest severity reported.
    pub min_severity: Severity,
    /// Output format (`human`, `json`, `pgspot`).
    pub format: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ignore: Vec::new(),
            select: Vec::new(),
            proc_without_search_path: Vec::new(),
            sql_accepting: Vec::new(),
            ignore_lang: Vec::new(),
            trusted_schema: Vec::new(),
            append: false,
            plpgsql: true,
            min_severity: Severity::Info,
            format: None,
        }
    }
}

impl Config {
    /// Read an `extguard.toml`.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Is this code reported at all under --select / --ignore?
    pub fn enabled(&self, code: &str) -> bool {
        let matches = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case(code));
        (self.select.is_empty() || matches(&self.select)) && !matches(&self.ignore)
    }
}
