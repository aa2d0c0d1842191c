//! Options shared by the CLI flags and `extguard.toml`.

use std::path::Path;

use serde::Deserialize;

use crate::finding::Severity;

/// Analysis and reporting options. Every CLI flag has a key here; the CLI
/// merges its flags over the file's values.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Rule selectors (codes or prefixes: `PS016`, `PS`, `EG1`, `ALL`) never reported.
    pub ignore: Vec<String>,
    /// If not empty, only rules matching these selectors are reported.
    pub select: Vec<String>,
    /// Selectors reported in addition to `select` (or to every rule).
    pub extend_select: Vec<String>,
    /// Globs of paths not analysed when a directory is searched; `None`
    /// means [`DEFAULT_EXCLUDE`]. Files named on the command line are
    /// always analysed.
    pub exclude: Option<Vec<String>>,
    /// Globs excluded on top of `exclude`.
    pub extend_exclude: Vec<String>,
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
    /// Output format (any of `--format`'s).
    pub format: Option<String>,
    /// PostgreSQL major version the SQL is for (15 to 18): its catalog and
    /// version-specific semantics. None: the newest.
    pub pg_version: Option<u32>,
    /// Obey `-- extguard: ignore` comments of the analysed files. Off for
    /// untrusted input (`scan`, `check --untrusted`) and `--no-inline-ignores`.
    #[serde(skip)]
    pub inline_ignores: bool,
    /// Also render findings' objects as pgspot prints them
    /// ([`crate::Finding::pgspot_context`]) and keep pgspot's severities
    /// where extguard's differ: `extguard pgspot` only.
    #[serde(skip)]
    pub pgspot_text: bool,
    /// What of each finding's context the output prints, so that nothing
    /// else is computed: everything unless the caller knows its format.
    #[serde(skip)]
    pub detail: crate::outcome::Detail,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ignore: Vec::new(),
            select: Vec::new(),
            extend_select: Vec::new(),
            exclude: None,
            extend_exclude: Vec::new(),
            proc_without_search_path: Vec::new(),
            sql_accepting: Vec::new(),
            ignore_lang: Vec::new(),
            trusted_schema: Vec::new(),
            append: false,
            plpgsql: true,
            min_severity: Severity::Info,
            format: None,
            pg_version: None,
            inline_ignores: true,
            pgspot_text: false,
            detail: crate::outcome::Detail::ALL,
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

    /// Is this code reported at all under select / extend-select / ignore?
    ///
    /// As in ruff: a selector is a code or a prefix of codes (`PS`, `EG1`,
    /// `ALL`); when a code matches both a selected and an ignored
    /// selector, the longer (more specific) one decides, and the ignore
    /// wins a tie (`--select PS --ignore PS016` drops PS016, `--ignore PS
    /// --extend-select PS016` keeps it).
    pub fn enabled(&self, code: &str) -> bool {
        let best = |list: &[String]| -> Option<usize> {
            list.iter()
                .filter(|s| selector_matches(s, code))
                .map(|s| {
                    if s.eq_ignore_ascii_case("ALL") {
                        0
                    } else {
                        s.len()
                    }
                })
                .max()
        };
        let selected = if self.select.is_empty() && self.extend_select.is_empty() {
            Some(0)
        } else {
            let base = if self.select.is_empty() {
                Some(0)
            } else {
                best(&self.select)
            };
            base.max(best(&self.extend_select))
        };
        match (selected, best(&self.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(i)) => s > i,
        }
    }

    /// Check every selector names at least one rule; split comma-separated
    /// ones (`--select PS,EG1`).
    pub fn validate_selectors(&mut self) -> Result<(), String> {
        for list in [&mut self.select, &mut self.extend_select, &mut self.ignore] {
            let split: Vec<String> = list
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            for s in &split {
                if !crate::rules::ALL
                    .iter()
                    .any(|r| selector_matches(s, r.code))
                {
                    return Err(format!(
                        "unknown rule code or prefix '{s}' (see `extguard rules`; prefixes such as PS, EG1 and ALL select several)"
                    ));
                }
            }
            *list = split;
        }
        Ok(())
    }
}

/// Directories skipped by default when a directory is searched: version
/// control, and pg_regress's test inputs, expected and actual outputs
/// (regression SQL is run by the test harness, never installed).
pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "test",
    "expected",
    "results",
    "tmp_check",
];

impl Config {
    /// Is `rel` (a path relative to the searched directory, `/`-separated)
    /// excluded? A glob without `/` matches any one component of the path
    /// (`test`, `*.generated.sql`); one with `/` matches the whole relative
    /// path, `**` standing for any number of directories (`sql/old/**`).
    pub fn excluded(&self, rel: &str) -> bool {
        self.exclude_globs().any(|g| {
            let g = g.trim_end_matches('/');
            if g.contains('/') {
                glob_path(g, rel)
            } else {
                rel.split('/').any(|c| glob(g.as_bytes(), c.as_bytes()))
            }
        })
    }

    /// Is `path`, found by searching the directory `root`, excluded?
    pub fn excluded_under(&self, root: &Path, path: &Path) -> bool {
        let rel = path.strip_prefix(root).unwrap_or(path);
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        self.excluded(&rel.join("/"))
    }

    /// Every exclude glob: `exclude` (or [`DEFAULT_EXCLUDE`]), then `extend-exclude`.
    pub fn exclude_globs(&self) -> impl Iterator<Item = String> + '_ {
        let base: Vec<String> = match &self.exclude {
            Some(v) => v.clone(),
            None => DEFAULT_EXCLUDE.iter().map(|s| s.to_string()).collect(),
        };
        base.into_iter().chain(self.extend_exclude.iter().cloned())
    }
}

/// `*` and `?` within one path component.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// A `/`-separated glob against a relative path; `**` matches any number of components.
fn glob_path(pattern: &str, path: &str) -> bool {
    fn go(p: &[&str], s: &[&str]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(&"**") => (0..=s.len()).any(|k| go(&p[1..], &s[k..])),
            Some(g) => !s.is_empty() && glob(g.as_bytes(), s[0].as_bytes()) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<&str> = pattern.trim_start_matches("./").split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    // a pattern naming a directory excludes everything under it
    (1..=s.len()).any(|n| go(&p, &s[..n]))
}

/// Does a selector (a code, a prefix of codes, or `ALL`) match `code`?
pub fn selector_matches(selector: &str, code: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL")
        || (code.len() >= selector.len()
            && code.is_char_boundary(selector.len())
            && code[..selector.len()].eq_ignore_ascii_case(selector))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(select: &[&str], extend: &[&str], ignore: &[&str]) -> Config {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        let mut c = Config {
            select: v(select),
            extend_select: v(extend),
            ignore: v(ignore),
            ..Config::default()
        };
        c.validate_selectors().unwrap();
        c
    }

    #[test]
    fn selection_by_prefix_follows_ruff() {
        let c = cfg(&["PS"], &[], &[]);
        assert!(c.enabled("PS016") && !c.enabled("EG101"));
        let c = cfg(&["EG1"], &[], &[]);
        assert!(c.enabled("EG101") && c.enabled("EG130") && !c.enabled("EG001"));
        let c = cfg(&["PS"], &["EG101"], &["PS016"]);
        assert!(c.enabled("PS001") && c.enabled("EG101") && !c.enabled("PS016"));
        // the more specific selector wins; an ignore wins a tie
        let c = cfg(&[], &["PS016"], &["PS"]);
        assert!(c.enabled("PS016") && !c.enabled("PS001") && c.enabled("EG101"));
        let c = cfg(&["PS016"], &[], &["PS016"]);
        assert!(!c.enabled("PS016"));
        let c = cfg(&["ALL"], &[], &["EG"]);
        assert!(c.enabled("PS001") && !c.enabled("EG101"));
        let c = cfg(&["ps,eg101"], &[], &[]);
        assert!(c.enabled("PS005") && c.enabled("EG101") && !c.enabled("EG102"));
    }

    #[test]
    fn exclude_globs() {
        let c = Config::default();
        assert!(c.excluded("test/sql/a.sql") && c.excluded("x/results/a.sql"));
        assert!(!c.excluded("sql/ext--1.0.sql") && !c.excluded("testing/a.sql"));
        let c = Config {
            exclude: Some(vec!["sql/old/**".into()]),
            extend_exclude: vec!["*.gen.sql".into()],
            ..Config::default()
        };
        assert!(c.excluded("sql/old/a/b.sql") && c.excluded("x/y.gen.sql"));
        assert!(!c.excluded("test/a.sql") && !c.excluded("sql/new.sql"));
    }

    #[test]
    fn unknown_selectors_are_errors() {
        let mut c = Config {
            select: vec!["PS999".into()],
            ..Config::default()
        };
        assert!(c.validate_selectors().unwrap_err().contains("PS999"));
        let mut c = Config {
            ignore: vec!["XY".into()],
            ..Config::default()
        };
        assert!(c.validate_selectors().is_err());
    }
}
