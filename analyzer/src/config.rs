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
    /// PostgreSQL major version the SQL is for (15 to 18): its catalog and
    /// version-specific semantics. None: the newest.
    pub pg_version: Option<u32>,
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
            pg_version: None,
        }
    }
}

impl Config {
    /// Read an `extguard.toml`.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let cfg: Config = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(v) = cfg.pg_version {
            check_pg_version(v).map_err(|e| format!("{}: pg-version: {e}", path.display()))?;
        }
        Ok(cfg)
    }

    /// The PostgreSQL major version analysed for (the newest when unset).
    pub fn pg_version(&self) -> u32 {
        self.pg_version.unwrap_or(crate::catalog::NEWEST)
    }

    /// Is this code reported at all under --select / --ignore?
    pub fn enabled(&self, code: &str) -> bool {
        let matches = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case(code));
        (self.select.is_empty() || matches(&self.select)) && !matches(&self.ignore)
    }
}

/// `Ok` for a major version the analyzer knows (15 to 18).
pub fn check_pg_version(v: u32) -> Result<u32, String> {
    if crate::catalog::VERSIONS.contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "PostgreSQL {v} is not supported (supported: {})",
            crate::catalog::VERSIONS.map(|v| v.to_string()).join(", ")
        ))
    }
}
