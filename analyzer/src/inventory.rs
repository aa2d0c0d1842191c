//! The security-relevant objects a script statement creates or changes,
//! read one way for the verdicts ([`crate::verdict`]) and for `extguard
//! diff` ([`crate::diff`]): C and internal functions with the libraries
//! they load, and privileges granted or revoked, by privilege, object and
//! grantee.

use pg_query::protobuf::{self as pb, GrantTargetType, ObjectType, RoleSpecType};
use pg_query::NodeEnum;

use crate::analysis::functions::{signature, type_name};
use crate::parse::names;

/// A function in `LANGUAGE c` or `internal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeFunction {
    /// Name and input argument types: how PostgreSQL tells functions apart.
    pub id: String,
    /// Name and arguments as written.
    pub signature: String,
    /// `c` or `internal`.
    pub language: &'static str,
    /// The `AS` items: library and symbol (C), or the builtin's name (internal).
    pub as_items: Vec<String>,
    /// The library a C function loads, `MODULE_PATHNAME` resolved to the
    /// control file's `module_pathname` (as written there, `$libdir/cube`);
    /// `None` for internal functions, or when unresolvable.
    pub library: Option<String>,
    /// Does it load the extension's own module?
    pub own_module: bool,
}

/// The C or internal function `f` creates, if it is one (`module`: the
/// control file's `module_pathname`).
pub fn native_function(f: &pb::CreateFunctionStmt, module: Option<&str>) -> Option<NativeFunction> {
    let lang = names::def_elem(&f.options, "language")
        .and_then(names::def_arg_text)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let language = match lang.as_str() {
        "c" => "c",
        "internal" => "internal",
        _ => return None,
    };
    let as_items: Vec<String> = names::def_elem(&f.options, "as")
        .map(names::def_arg_strings)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect();
    let (library, own_module) = match (language, as_items.first().map(String::as_str)) {
        ("c", Some(lib)) => {
            let own = lib == "MODULE_PATHNAME" || Some(lib) == module;
            let resolved = match (lib, module) {
                ("MODULE_PATHNAME", Some(m)) => Some(m.to_string()),
                ("MODULE_PATHNAME", None) => None,
                _ => Some(lib.to_string()),
            };
            (resolved, own)
        }
        _ => (None, false),
    };
    Some(NativeFunction {
        id: create_id(f),
        signature: signature(f),
        language,
        as_items,
        library,
        own_module,
    })
}

/// `name(type,...)` of a function's input arguments.
pub fn function_id(name: &[pb::Node], types: Vec<String>) -> String {
    format!("{}({})", names::dotted(name), types.join(","))
}

/// [`function_id`] of the function a CREATE FUNCTION makes.
pub fn create_id(f: &pb::CreateFunctionStmt) -> String {
    use pb::FunctionParameterMode as M;
    let types = f
        .parameters
        .iter()
        .filter_map(|p| match &p.node {
            Some(NodeEnum::FunctionParameter(p))
                if !matches!(M::try_from(p.mode), Ok(M::FuncParamOut | M::FuncParamTable)) =>
            {
                p.arg_type.as_ref().map(type_name)
            }
            _ => None,
        })
        .collect();
    function_id(&f.funcname, types)
}

/// [`function_id`] of an `ObjectWithArgs` (GRANT, DROP, ALTER FUNCTION).
pub fn object_id(o: &pb::ObjectWithArgs) -> String {
    let types = o
        .objargs
        .iter()
        .filter_map(|t| match &t.node {
            Some(NodeEnum::TypeName(t)) => Some(type_name(t)),
            _ => None,
        })
        .collect();
    function_id(&o.objname, types)
}

/// One privilege on one object for one grantee, as a GRANT or REVOKE leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privilege {
    /// `EXECUTE`, `SELECT`, `ALL`, `USAGE`, a role's name (membership), ...
    pub privilege: String,
    /// `function demo.h(text)`, `table t`, `all functions in schema s`, `role r`.
    pub object: String,
    /// `PUBLIC`, a role's name, `CURRENT_USER`, ...
    pub grantee: String,
    /// GRANT (true) or REVOKE (false).
    pub granted: bool,
    /// WITH GRANT OPTION / WITH ADMIN OPTION (GRANT), GRANT OPTION FOR (REVOKE).
    pub with_option: bool,
}

impl Privilege {
    /// What identifies it across versions: privilege, object and grantee.
    pub fn id(&self) -> String {
        format!("{} on {} to {}", self.privilege, self.object, self.grantee)
    }

    /// The state it leaves, compared between versions.
    pub fn state(&self) -> &'static str {
        match (self.granted, self.with_option) {
            (true, false) => "granted",
            (true, true) => "granted with grant option",
            (false, false) => "revoked",
            (false, true) => "grant option revoked",
        }
    }
}

fn role_name(n: &pb::Node) -> Option<String> {
    match &n.node {
        Some(NodeEnum::RoleSpec(r)) => Some(
            match RoleSpecType::try_from(r.roletype) {
                Ok(RoleSpecType::RolespecPublic) => "PUBLIC",
                Ok(RoleSpecType::RolespecCurrentUser) => "CURRENT_USER",
                Ok(RoleSpecType::RolespecCurrentRole) => "CURRENT_ROLE",
                Ok(RoleSpecType::RolespecSessionUser) => "SESSION_USER",
                _ => &r.rolename,
            }
            .to_string(),
        ),
        _ => None,
    }
}

fn object_kind(t: i32) -> String {
    let name = ObjectType::try_from(t)
        .map(|t| format!("{t:?}"))
        .unwrap_or_default();
    name.strip_prefix("Object")
        .unwrap_or(&name)
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if c.is_uppercase() && i > 0 {
                format!(" {}", c.to_ascii_lowercase())
            } else {
                c.to_ascii_lowercase().to_string()
            }
        })
        .collect()
}

/// Every (privilege, object, grantee) a GRANT or REVOKE statement names,
/// with the state it leaves.
pub fn privileges(node: &NodeEnum) -> Vec<Privilege> {
    let mut out = Vec::new();
    match node {
        NodeEnum::GrantStmt(g) => {
            let kind = object_kind(g.objtype);
            let objects: Vec<String> = match GrantTargetType::try_from(g.targtype) {
                Ok(GrantTargetType::AclTargetAllInSchema) => names::strings(&g.objects)
                    .into_iter()
                    .map(|s| format!("all {kind}s in schema {s}"))
                    .collect(),
                _ => g
                    .objects
                    .iter()
                    .filter_map(|o| match &o.node {
                        Some(NodeEnum::ObjectWithArgs(f)) => Some(object_id(f)),
                        Some(NodeEnum::RangeVar(r)) => Some(if r.schemaname.is_empty() {
                            r.relname.clone()
                        } else {
                            format!("{}.{}", r.schemaname, r.relname)
                        }),
                        Some(NodeEnum::String(s)) => Some(s.sval.clone()),
                        Some(NodeEnum::List(l)) => Some(names::dotted(&l.items)),
                        Some(NodeEnum::TypeName(t)) => Some(type_name(t)),
                        _ => None,
                    })
                    .map(|o| format!("{kind} {o}"))
                    .collect(),
            };
            let privs: Vec<String> = if g.privileges.is_empty() {
                vec!["ALL".into()]
            } else {
                g.privileges
                    .iter()
                    .filter_map(|p| match &p.node {
                        Some(NodeEnum::AccessPriv(a)) => {
                            let cols = names::strings(&a.cols);
                            Some(if cols.is_empty() {
                                a.priv_name.to_ascii_uppercase()
                            } else {
                                format!(
                                    "{} ({})",
                                    a.priv_name.to_ascii_uppercase(),
                                    cols.join(", ")
                                )
                            })
                        }
                        _ => None,
                    })
                    .collect()
            };
            for object in &objects {
                for privilege in &privs {
                    for grantee in g.grantees.iter().filter_map(role_name) {
                        out.push(Privilege {
                            privilege: privilege.clone(),
                            object: object.clone(),
                            grantee,
                            granted: g.is_grant,
                            with_option: g.grant_option,
                        });
                    }
                }
            }
        }
        NodeEnum::GrantRoleStmt(g) => {
            let option = names::def_elems(&g.opt).any(|d| {
                d.defname == "admin" && names::def_arg_text(d).is_none_or(|v| v == "true")
            });
            for role in &g.granted_roles {
                let Some(NodeEnum::AccessPriv(a)) = &role.node else {
                    continue;
                };
                for grantee in g.grantee_roles.iter().filter_map(role_name) {
                    out.push(Privilege {
                        privilege: "MEMBERSHIP".into(),
                        object: format!("role {}", a.priv_name),
                        grantee,
                        granted: g.is_grant,
                        with_option: option,
                    });
                }
            }
        }
        _ => {}
    }
    out
}
