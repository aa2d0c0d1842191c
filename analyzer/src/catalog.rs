//! What exists in pg_catalog on PostgreSQL 15: relations, types, functions
//! (with identity arguments) and operators. The table is generated from a
//! real server by `scripts/gen_catalog.sh` and embedded at build time.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/pg15_catalog.tsv");

/// The pg_catalog contents.
#[derive(Debug, Default)]
pub struct Catalog {
    relations: HashSet<&'static str>,
    types: HashSet<&'static str>,
    /// function name -> identity argument lists of its overloads
    functions: HashMap<&'static str, Vec<&'static str>>,
    /// operator name -> "left,right" type pairs
    operators: HashMap<&'static str, Vec<&'static str>>,
}

/// The embedded PostgreSQL 15 catalog (parsed once).
pub fn pg15() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut c = Catalog::default();
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
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
                _ => {}
            }
        }
        c
    })
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn knows_pg15_catalog() {
        let c = super::pg15();
        assert!(
            c.is_relation("pg_class") && c.is_relation("pg_authid") && !c.is_relation("settings")
        );
        assert!(c.is_type("text") && c.is_type("int4") && !c.is_type("cube"));
        assert!(c.function_overloads("lower").contains(&"text"));
        assert!(c.is_operator("||") && !c.is_operator("<->>"));
    }
}
