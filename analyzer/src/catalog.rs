//! What exists in pg_catalog on each supported PostgreSQL major version
//! (15 to 18): relations, types, functions (with identity arguments),
//! operators and predefined roles. One table per version, generated from a
//! real server by `scripts/gen_catalog.sh` and embedded at build time.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The major versions the analyzer has a catalog for, oldest first.
pub const VERSIONS: [u32; 4] = [15, 16, 17, 18];
/// The newest of [`VERSIONS`]: the default when no version is known.
pub const NEWEST: u32 = 18;

const DATA: [&str; 4] = [
    include_str!("../data/pg15_catalog.tsv"),
    include_str!("../data/pg16_catalog.tsv"),
    include_str!("../data/pg17_catalog.tsv"),
    include_str!("../data/pg18_catalog.tsv"),
];

/// The pg_catalog contents.
#[derive(Debug, Default)]
pub struct Catalog {
    relations: HashSet<&'static str>,
    types: HashSet<&'static str>,
    /// function name -> identity argument lists of its overloads
    functions: HashMap<&'static str, Vec<&'static str>>,
    /// operator name -> "left,right" type pairs
    operators: HashMap<&'static str, Vec<&'static str>>,
    /// predefined roles (`pg_*`)
    roles: HashSet<&'static str>,
}

/// The embedded catalog of PostgreSQL `major` (parsed once); a version
/// outside [`VERSIONS`] gets the nearest one (the configuration accepts
/// only known versions).
pub fn for_version(major: u32) -> &'static Catalog {
    static CATALOGS: [OnceLock<Catalog>; 4] = [const { OnceLock::new() }; 4];
    let i = VERSIONS
        .iter()
        .position(|v| *v == major)
        .unwrap_or(if major < VERSIONS[0] {
            0
        } else {
            VERSIONS.len() - 1
        });
    CATALOGS[i].get_or_init(|| parse(DATA[i]))
}

fn parse(data: &'static str) -> Catalog {
    {
        let mut c = Catalog::default();
        for line in data.lines().filter(|l| !l.starts_with('#')) {
            let mut it = line.splitn(3, '\t');
            let (Some(kind), Some(name), detail) = (it.next(), it.next(), it.next().unwrap_or(""))
            else {
                continue;
            };
            match kind {
                "relation" => {
                    c.relations.insert(name);
                }
                "type" => {
                    c.types.insert(name);
                }
                "function" => c.functions.entry(name).or_default().push(detail),
                "operator" => c.operators.entry(name).or_default().push(detail),
                "role" => {
                    c.roles.insert(name);
                }
                _ => {}
            }
        }
        c
    }
}

impl Catalog {
    pub fn is_relation(&self, name: &str) -> bool {
        self.relations.contains(name)
    }
    pub fn is_type(&self, name: &str) -> bool {
        self.types.contains(name)
    }
    /// Identity argument lists of the pg_catalog functions with this name.
    pub fn function_overloads(&self, name: &str) -> &[&'static str] {
        self.functions.get(name).map_or(&[], Vec::as_slice)
    }
    pub fn is_operator(&self, name: &str) -> bool {
        self.operators.contains_key(name)
    }
    /// Whether `name` is a predefined role of this version.
    pub fn is_predefined_role(&self, name: &str) -> bool {
        self.roles.contains(name)
    }
}

/// Major version of `pg_config --version` on PATH, if it is one of
/// [`VERSIONS`].
pub fn local_version() -> Option<u32> {
    let out = std::process::Command::new("pg_config")
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let major: u32 = text
        .trim()
        .strip_prefix("PostgreSQL ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    VERSIONS.contains(&major).then_some(major)
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_version_has_its_own_catalog() {
        use super::for_version;
        assert!(!for_version(15).is_predefined_role("pg_maintain"));
        assert!(for_version(17).is_predefined_role("pg_maintain"));
        assert!(!for_version(15).is_predefined_role("pg_create_subscription"));
        assert!(for_version(16).is_predefined_role("pg_create_subscription"));
        assert!(!for_version(17).is_predefined_role("pg_signal_autovacuum_worker"));
        assert!(for_version(18).is_predefined_role("pg_signal_autovacuum_worker"));
        assert!(for_version(17)
            .function_overloads("pg_get_loaded_modules")
            .is_empty());
        assert!(!for_version(18)
            .function_overloads("pg_get_loaded_modules")
            .is_empty());
        assert!(for_version(17).is_relation("pg_stat_checkpointer"));
        assert!(!for_version(16).is_relation("pg_stat_checkpointer"));
        // unknown versions get the nearest known one
        assert!(std::ptr::eq(for_version(14), for_version(15)));
        assert!(std::ptr::eq(for_version(19), for_version(18)));
    }

    #[test]
    fn knows_pg15_catalog() {
        let c = super::for_version(15);
        assert!(
            c.is_relation("pg_class") && c.is_relation("pg_authid") && !c.is_relation("settings")
        );
        assert!(c.is_type("text") && c.is_type("int4") && !c.is_type("cube"));
        assert!(c.function_overloads("lower").contains(&"text"));
        assert!(c.is_operator("||") && !c.is_operator("<->>"));
    }
}
