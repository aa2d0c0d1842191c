//! search_path state: what the server will resolve unqualified names against
//! at each point of a script.

use std::collections::HashSet;
use std::sync::Arc;

use crate::analysis::dynamic::{Taint, Text};

use crate::finding::Finding;

/// A PL/pgSQL variable's name in [`State`]. Every branch of a body starts
/// from a copy of the state: the variable maps are shared until a branch
/// changes one (copied on write), their names shared when it does.
pub type Name = Arc<str>;

/// Analysis state carried from statement to statement (and across files with `--append`).
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Is the search_path in force now secure?
    pub secure: bool,
    /// Was the last change a `SET LOCAL` (undone at the end of the transaction)?
    local: bool,
    /// The session-level (non-local) value, restored at transaction end.
    session_secure: bool,
    /// The session value when an explicit transaction block began.
    tx_start: Option<bool>,
    /// The session value as of the last COMMIT (the start of the script before one).
    committed: bool,
    /// Session values at each savepoint of the open transaction.
    savepoints: Vec<(String, bool)>,
    /// Schemas created by the script (owned by it, so safe in search_path).
    pub created_schemas: Arc<HashSet<String>>,
    /// `(schema, name)` of the tables the script created: schema `pg_temp`
    /// for temporary ones, the first schema of the known search_path for
    /// unqualified ones.
    pub created_tables: Arc<HashSet<(String, String)>>,
    /// Signatures of functions created without OR REPLACE.
    pub created_functions: Arc<HashSet<String>>,
    /// Signatures of aggregates created without OR REPLACE.
    pub created_aggregates: Arc<HashSet<String>>,
    /// Schemas the user declared trusted (`--trusted-schema`).
    pub trusted_schemas: Arc<HashSet<String>>,
    /// What the script grants and revokes on its SECURITY DEFINER functions.
    pub privileges: Privileges,
    /// The schema list of the search_path in force, when known.
    pub path: Vec<String>,
    /// Inside a function body (which runs later, as its caller or owner).
    pub in_function_body: bool,
    /// Inside the body of a SECURITY DEFINER function.
    pub security_definer: bool,
    /// Taint of the PL/pgSQL variables (by name) at this point; a name not
    /// here (a parameter, a column) is [`Taint::Raw`].
    pub vars: Arc<crate::FastMap<Name, Taint>>,
    /// PL/pgSQL variables that hold a known constant string at this point.
    pub consts: Arc<crate::FastMap<Name, Arc<Text>>>,
}

/// Privileges of the SECURITY DEFINER functions a script creates: kept from
/// statement to statement for EG117 (an end-of-script check) and EG118.
#[derive(Debug, Clone, Default)]
pub struct Privileges {
    /// SECURITY DEFINER functions created (or altered to be so) by the script.
    pub definers: Vec<Definer>,
    /// `(schema, name)` of functions whose EXECUTE was revoked from PUBLIC
    /// (schema empty when the REVOKE did not qualify the name; name `*` for
    /// `ALL FUNCTIONS IN SCHEMA schema`).
    pub revoked_from_public: HashSet<(String, String)>,
    /// `ALTER DEFAULT PRIVILEGES ... REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`
    /// is in force for functions created from now on.
    pub default_revoked: bool,
}

/// A SECURITY DEFINER function of the script.
#[derive(Debug, Clone)]
pub struct Definer {
    /// Schema as written (empty when unqualified).
    pub schema: String,
    pub name: String,
    /// Created while default privileges already revoked EXECUTE from PUBLIC.
    pub default_revoked: bool,
    /// The EG117 finding to report if EXECUTE is never revoked from PUBLIC.
    pub pending: Finding,
    /// Already judged by an end-of-script check (with `--append`, every
    /// file ends one): not reported twice.
    pub judged: bool,
}

impl Privileges {
    /// Does `(schema, name)` (schema empty if unknown) name the definer `d`?
    /// Names match exactly; schemas when both are known.
    pub fn names(d: &Definer, schema: &str, name: &str) -> bool {
        (name == "*" || d.name == name)
            && (schema.is_empty() || d.schema.is_empty() || d.schema == schema)
    }

    /// Was EXECUTE on `d` revoked from PUBLIC anywhere in the script?
    pub fn revoked(&self, d: &Definer) -> bool {
        d.default_revoked
            || self
                .revoked_from_public
                .iter()
                .any(|(s, n)| Self::names(d, s, n))
    }
}

/// How a statement changes the search_path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathChange {
    /// `SET [LOCAL] search_path = a, b` or `set_config('search_path', 'a, b', local)`.
    Set { schemas: Vec<String>, local: bool },
    /// `SET ... TO DEFAULT`, `RESET search_path`, `RESET ALL`, or a value the analyzer cannot know.
    Unknown { local: bool },
}

impl State {
    pub fn new(trusted: impl IntoIterator<Item = String>) -> Self {
        State {
            trusted_schemas: Arc::new(trusted.into_iter().collect()),
            ..State::default()
        }
    }

    /// A state for a function body that runs with the given security (and
    /// search_path, if its SET clause gives one) and the script's knowledge of
    /// created objects.
    pub fn for_body(&self, secure: bool, path: Vec<String>, security_definer: bool) -> State {
        State {
            secure,
            session_secure: secure,
            created_schemas: self.created_schemas.clone(),
            trusted_schemas: self.trusted_schemas.clone(),
            path,
            in_function_body: true,
            security_definer,
            ..State::default()
        }
    }

    /// Does the path in force hold nothing but pg_catalog before a trailing
    /// pg_temp? Then an unqualified relation or type that is not in
    /// pg_catalog can only come from pg_temp.
    pub fn only_catalog_then_temp(&self) -> bool {
        self.secure
            && self.path.last().is_some_and(|l| l == "pg_temp")
            && self.path[..self.path.len() - 1]
                .iter()
                .all(|s| s == "pg_catalog")
    }

    /// Is a search_path made of these schemas secure?
    ///
    /// Every entry before the last must be `pg_catalog`, a schema the script
    /// created or a trusted schema, and the last must be `pg_temp`: without an
    /// explicit trailing `pg_temp`, the server looks up relations in pg_temp first.
    pub fn is_secure(&self, schemas: &[String]) -> bool {
        match schemas.split_last() {
            Some((last, rest)) => {
                last == "pg_temp"
                    && rest.iter().all(|s| {
                        s == "pg_catalog"
                            || self.created_schemas.contains(s)
                            || self.trusted_schemas.contains(s)
                    })
            }
            None => false,
        }
    }

    /// Record a table the script created.
    pub fn create_table(&mut self, r: &pg_query::protobuf::RangeVar) {
        let schema = if r.relpersistence == "t" {
            "pg_temp".to_string()
        } else if r.schemaname.is_empty() {
            match self.path.first() {
                Some(s) => s.clone(),
                None => return,
            }
        } else {
            r.schemaname.clone()
        };
        Arc::make_mut(&mut self.created_tables).insert((schema, r.relname.clone()));
    }

    /// Does the unqualified relation `name` resolve to a table the script
    /// created rather than to pg_catalog? Temporary tables come first unless
    /// the path lists pg_temp after pg_catalog; other schemas only when the
    /// path lists them before pg_catalog.
    pub fn resolves_to_created_table(&self, name: &str) -> bool {
        let pos = |s: &str| self.path.iter().position(|p| p == s);
        let temp_first = match (pos("pg_temp"), pos("pg_catalog")) {
            (Some(t), Some(c)) => t < c,
            _ => true,
        };
        let created = |s: &str| {
            self.created_tables
                .contains(&(s.to_string(), name.to_string()))
        };
        if temp_first && created("pg_temp") {
            return true;
        }
        let Some(catalog) = pos("pg_catalog") else {
            return false;
        };
        self.path[..catalog].iter().any(|s| created(s))
    }

    pub fn apply(&mut self, change: &PathChange) {
        let (secure, local) = match change {
            PathChange::Set { schemas, local } => (self.is_secure(schemas), *local),
            PathChange::Unknown { local } => (false, *local),
        };
        self.path = match change {
            PathChange::Set { schemas, .. } => schemas.clone(),
            PathChange::Unknown { .. } => Vec::new(),
        };
        self.secure = secure;
        self.local = local;
        if !local {
            self.session_secure = secure;
        }
    }

    /// Start of a script run by CREATE / ALTER EXTENSION: the server has set
    /// a secure search_path for the whole script (the script's transaction).
    pub fn enter_extension_script(&mut self) {
        self.secure = true;
        self.session_secure = true;
        self.committed = true;
        self.local = false;
    }

    /// BEGIN / START TRANSACTION.
    pub fn begin(&mut self) {
        self.tx_start = Some(self.session_secure);
        self.savepoints.clear();
    }

    /// COMMIT (or PREPARE TRANSACTION): local settings end, session settings stay.
    pub fn commit(&mut self) {
        self.secure = self.session_secure;
        self.local = false;
        self.tx_start = None;
        self.committed = self.session_secure;
        self.savepoints.clear();
    }

    /// ROLLBACK: everything set in the transaction is undone. Without a
    /// BEGIN the script itself is the transaction (as in CREATE EXTENSION), so
    /// the state goes back to the last COMMIT, or to the start: insecure.
    pub fn rollback(&mut self) {
        self.session_secure = self.tx_start.take().unwrap_or(self.committed);
        self.secure = self.session_secure;
        self.local = false;
        self.savepoints.clear();
    }

    pub fn savepoint(&mut self, name: &str) {
        self.savepoints.push((name.to_string(), self.secure));
    }

    /// ROLLBACK TO SAVEPOINT: back to the state recorded there (insecure if unknown).
    pub fn rollback_to(&mut self, name: &str) {
        let at = self.savepoints.iter().rposition(|(n, _)| n == name);
        self.secure = at.map(|i| self.savepoints[i].1).unwrap_or(false);
        self.session_secure = self.secure && self.session_secure;
        if let Some(i) = at {
            self.savepoints.truncate(i + 1);
        }
    }

    /// Merge the state reached along another control-flow path: secure only
    /// if secure on both.
    pub fn join(&mut self, other: &State) {
        self.secure &= other.secure;
        self.session_secure &= other.session_secure;
        self.local |= other.local;
        self.add_created_schemas(other);
        self.join_vars(other);
    }

    /// Add the schemas `other` knows to be created by the script (copying
    /// the shared set only when it gains one).
    pub fn add_created_schemas(&mut self, other: &State) {
        if !Arc::ptr_eq(&self.created_schemas, &other.created_schemas)
            && !other.created_schemas.is_subset(&self.created_schemas)
        {
            Arc::make_mut(&mut self.created_schemas).extend(other.created_schemas.iter().cloned());
        }
    }

    /// Merge only the variable taints of another path (a value is clean only
    /// if clean on both).
    pub fn join_vars(&mut self, other: &State) {
        // a path that changed nothing still shares the maps (joining a map
        // with itself changes nothing)
        if !Arc::ptr_eq(&self.vars, &other.vars) {
            // an absent variable has the default taint (names cloned only for
            // variables this path does not have)
            let only_other: Vec<(Name, Taint)> = other
                .vars
                .iter()
                .filter(|(n, _)| !self.vars.contains_key(*n))
                .filter_map(|(n, b)| match Taint::default().join(b) {
                    Taint::Raw => None,
                    t => Some((n.clone(), t)),
                })
                .collect();
            let vars = Arc::make_mut(&mut self.vars);
            vars.retain(|n, a| {
                let joined = match other.vars.get(n) {
                    Some(b) => a.join(b),
                    None => a.join(&Taint::default()),
                };
                match joined {
                    Taint::Raw => false,
                    t => {
                        *a = t;
                        true
                    }
                }
            });
            vars.extend(only_other);
        }
        if !Arc::ptr_eq(&self.consts, &other.consts)
            && self
                .consts
                .iter()
                .any(|(n, t)| other.consts.get(n) != Some(t))
        {
            Arc::make_mut(&mut self.consts).retain(|n, t| other.consts.get(n) == Some(t));
        }
    }

    /// Set the taint of variable `name` (a raw one is not kept).
    pub fn set_var(&mut self, name: Name, taint: Taint) {
        match taint {
            Taint::Raw => self.forget_var(&name),
            t => {
                if self.vars.get(&name) != Some(&t) {
                    Arc::make_mut(&mut self.vars).insert(name, t);
                }
            }
        }
    }

    /// Forget what is known of variable `name` (it is raw again).
    pub fn forget_var(&mut self, name: &str) {
        if self.vars.contains_key(name) {
            Arc::make_mut(&mut self.vars).remove(name);
        }
    }

    /// Forget the variables whose name starts with `prefix`.
    pub fn forget_vars_with_prefix(&mut self, prefix: &str) {
        if self.vars.keys().any(|k| k.starts_with(prefix)) {
            Arc::make_mut(&mut self.vars).retain(|k, _| !k.starts_with(prefix));
        }
    }

    /// Record the constant string variable `name` holds.
    pub fn set_const(&mut self, name: Name, value: Text) {
        Arc::make_mut(&mut self.consts).insert(name, Arc::new(value));
    }

    /// Forget the constant held by variable `name`.
    pub fn forget_const(&mut self, name: &str) {
        if self.consts.contains_key(name) {
            Arc::make_mut(&mut self.consts).remove(name);
        }
    }
}

/// Split a search_path string value (`'a, "B", pg_temp'`) into schema names.
pub fn split_path(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| {
            let s = s.trim();
            if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
                s[1..s.len() - 1].replace("\"\"", "\"")
            } else {
                s.to_ascii_lowercase()
            }
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn secure_paths() {
        let mut st = State::default();
        Arc::make_mut(&mut st.created_schemas).insert("ext".into());
        assert!(st.is_secure(&v(&["pg_temp"])));
        assert!(st.is_secure(&v(&["pg_catalog", "pg_temp"])));
        assert!(st.is_secure(&v(&["ext", "pg_catalog", "pg_temp"])));
        assert!(!st.is_secure(&v(&["pg_catalog"])));
        assert!(!st.is_secure(&v(&["public", "pg_temp"])));
        assert!(!st.is_secure(&v(&["pg_temp", "pg_catalog"])));
        assert!(!st.is_secure(&v(&[])));
    }

    #[test]
    fn transactions() {
        let mut st = State::default();
        let secure = PathChange::Set {
            schemas: v(&["pg_catalog", "pg_temp"]),
            local: false,
        };
        st.apply(&secure);
        st.rollback();
        assert!(
            !st.secure,
            "ROLLBACK undoes a non-local SET of the script's transaction"
        );
        st.apply(&secure);
        st.commit();
        assert!(st.secure);
        st.apply(&PathChange::Set {
            schemas: v(&["public"]),
            local: true,
        });
        assert!(!st.secure);
        st.commit();
        assert!(st.secure, "a local SET ends with the transaction");
        assert_eq!(split_path("a, \"B\" ,pg_temp"), v(&["a", "B", "pg_temp"]));
    }
}
