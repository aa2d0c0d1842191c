//! Generates the analyzer's direct reader of libpg_query's C parse tree.
//!
//! `pg_query::parse` has libpg_query pack its C tree into protobuf, which
//! prost then decodes: on real extension code most of a parse's time. The
//! analyzer instead reads the C tree itself (`src/parse/from_c.rs`) and
//! builds the same `pg_query::protobuf` structs. Two files are generated
//! into OUT_DIR from what the pg_query crate ships (nothing of it is copied
//! into this repository):
//!
//! - `pg_query_sys.rs`: bindgen bindings of the node structs, enums and the
//!   raw-parse entry points, from libpg_query's headers;
//! - `from_c_gen.rs`: one conversion function per node struct and enum,
//!   derived from libpg_query's own protobuf output definitions
//!   (`src/include/pg_query_outfuncs_defs.c`, `..._conds.c`,
//!   `pg_query_enum_defs.c`), so every field is written exactly as the
//!   protobuf path writes it.
//!
//! The pg_query crate's source directory is found with `cargo metadata`
//! (or `PG_QUERY_SRC`, the directory holding `libpg_query/`).

use std::collections::BTreeSet;
use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PG_QUERY_SRC");
    let src = pg_query_src();
    let lib = src.join("libpg_query");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let read = |p: &Path| {
        std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
    };
    let defs = read(&lib.join("src/include/pg_query_outfuncs_defs.c"));
    let conds = read(&lib.join("src/include/pg_query_outfuncs_conds.c"));
    let enums = read(&lib.join("src/include/pg_query_enum_defs.c"));

    let csrc =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("csrc");
    println!("cargo:rerun-if-changed={}", csrc.display());
    compile_shim(&lib, &csrc);

    let structs = parse_defs(&defs);
    let tags = parse_conds(&conds);
    let enum_defs = parse_enums(&enums);

    // Bindings: every struct and enum the conversion reads.
    let mut b = bindgen::Builder::default()
        .header_contents(
            "extguard_pg_query.h",
            "#include \"pg_query.h\"\n\
             #include \"pg_query_internal.h\"\n\
             #include \"nodes/parsenodes.h\"\n\
             #include \"nodes/plannodes.h\"\n\
             #include \"nodes/primnodes.h\"\n\
             #include \"nodes/value.h\"\n\
             #include \"nodes/pg_list.h\"\n\
             #include \"nodes/bitmapset.h\"\n\
             #include \"extguard_plpgsql.h\"\n",
        )
        .clang_arg(format!("-I{}", csrc.display()))
        .clang_arg(format!("-I{}", lib.display()))
        .clang_arg(format!("-I{}", lib.join("vendor").display()))
        .clang_arg(format!("-I{}", lib.join("src/postgres/include").display()))
        .clang_arg(format!("-I{}", lib.join("src/include").display()))
        .clang_arg(format!("-I{}", lib.join("src").display()))
        .prepend_enum_name(false)
        .layout_tests(false)
        .derive_default(false)
        .derive_debug(false)
        .derive_copy(true)
        .generate_comments(false)
        .allowlist_function("pg_query_raw_parse")
        .allowlist_function("pg_query_enter_memory_context")
        .allowlist_function("pg_query_exit_memory_context")
        .allowlist_function("pg_query_free_error")
        .allowlist_function("extguard_plpgsql_compile")
        .allowlist_function("extguard_plpgsql_free")
        .allowlist_function("plpgsql_getdiag_kindname")
        .allowlist_type("ExtguardPlpgsql")
        .allowlist_type("PLpgSQL_.*")
        .allowlist_type("PgQueryInternalParsetreeAndError")
        .allowlist_type("NodeTag")
        .allowlist_type("Node")
        .allowlist_type("List")
        .allowlist_type("ListCell")
        .allowlist_type("Bitmapset")
        .allowlist_type("A_Const")
        .allowlist_type("Integer")
        .allowlist_type("Float")
        .allowlist_type("Boolean")
        .allowlist_type("String")
        .allowlist_type("BitString")
        .allowlist_var("PG_VERSION_NUM");
    for s in &structs {
        b = b.allowlist_type(&s.c_type);
    }
    for e in &enum_defs {
        b = b.allowlist_type(&e.name);
    }
    b.generate()
        .expect("bindgen over libpg_query's headers")
        .write_to_file(out.join("pg_query_sys.rs"))
        .expect("write pg_query_sys.rs");

    std::fs::write(
        out.join("from_c_gen.rs"),
        generate(&structs, &tags, &enum_defs),
    )
    .expect("write from_c_gen.rs");
}

/// Compile `csrc/plpgsql_compile.c` against libpg_query's headers, as the
/// pg_query crate compiles libpg_query itself (which it links).
fn compile_shim(lib: &Path, csrc: &Path) {
    let mut build = cc::Build::new();
    build
        .file(csrc.join("plpgsql_compile.c"))
        .include(csrc)
        .include(lib)
        .include(lib.join("vendor"))
        .include(lib.join("src/postgres/include"))
        .include(lib.join("src/include"))
        .include(lib.join("src"))
        .warnings(false);
    if env::var("PROFILE").as_deref() == Ok("debug") || env::var("DEBUG").as_deref() == Ok("1") {
        build.define("USE_ASSERT_CHECKING", None);
    }
    build.compile("extguard_plpgsql");
}

/// The directory of the pg_query crate's source (holding `libpg_query/`):
/// `PG_QUERY_SRC`, else what `cargo metadata --offline` resolves (vendored
/// or patched sources included), else the registry's unpacked copy of the
/// version in `Cargo.lock`. `cargo metadata` needs every package of the
/// lock file on disk, also those of features nobody enables, which a fresh
/// machine's build has not downloaded; cargo has unpacked pg_query itself
/// before any build script runs.
fn pg_query_src() -> PathBuf {
    if let Ok(dir) = env::var("PG_QUERY_SRC") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let metadata = match from_cargo_metadata(&manifest) {
        Ok(dir) => return dir,
        Err(e) => e,
    };
    from_registry(&manifest).unwrap_or_else(|registry| {
        panic!(
            "cannot find the pg_query crate's source (set PG_QUERY_SRC to its directory): \
             cargo metadata: {metadata}; registry: {registry}"
        )
    })
}

fn from_cargo_metadata(manifest: &Path) -> Result<PathBuf, String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(manifest.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cannot run it: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().next().unwrap_or("failed").to_string());
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bad JSON: {e}"))?;
    let resolved: BTreeSet<&str> = meta["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let pkg = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["name"] == "pg_query" && p["id"].as_str().is_some_and(|id| resolved.contains(id))
        })
        .ok_or("no pg_query package in its output")?;
    let path = PathBuf::from(pkg["manifest_path"].as_str().ok_or("no manifest_path")?);
    Ok(path
        .parent()
        .ok_or("manifest_path has no directory")?
        .to_path_buf())
}

/// `$CARGO_HOME/registry/src/<index>/pg_query-<version>`, the version
/// being the one `Cargo.lock` (beside the manifest or in a parent
/// directory: the workspace's) pins.
fn from_registry(manifest: &Path) -> Result<PathBuf, String> {
    let lock = manifest
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
        .ok_or("no Cargo.lock")?;
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).map_err(|e| format!("{}: {e}", lock.display()))?;
    let mut lines = text.lines();
    let version = loop {
        let line = lines.next().ok_or("pg_query is not in Cargo.lock")?;
        if line.trim() == "name = \"pg_query\"" {
            let v = lines.next().unwrap_or_default().trim();
            break v
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .ok_or("Cargo.lock: no version after pg_query's name")?
                .to_string();
        }
    };
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let src = home.join("registry").join("src");
    let want = format!("pg_query-{version}");
    std::fs::read_dir(&src)
        .map_err(|e| format!("{}: {e}", src.display()))?
        .flatten()
        .map(|index| index.path().join(&want))
        .find(|dir| dir.join("libpg_query").is_dir())
        .ok_or_else(|| format!("no {want}/libpg_query under {}", src.display()))
}

struct Field {
    /// WRITE_<kind>_FIELD
    kind: String,
    /// ENUM / SPECIFIC_NODE*: the type argument
    type_arg: Option<String>,
    /// field of the protobuf struct
    out: String,
    /// field of the C struct
    c: String,
}

struct Struct {
    c_type: String,
    pb_type: String,
    fields: Vec<Field>,
}

/// `_outX(OUT_TYPE(CType, PbType) out, const CType *node) { WRITE_...; }`
fn parse_defs(defs: &str) -> Vec<Struct> {
    let mut out: Vec<Struct> = Vec::new();
    let mut current: Option<Struct> = None;
    for line in defs.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("_out") {
            if let Some(args) = rest.split_once("(OUT_TYPE(").map(|(_, a)| a) {
                let (types, _) = args.split_once(')').expect("OUT_TYPE(..)");
                let (c, pb) = types.split_once(',').expect("two OUT_TYPE arguments");
                current = Some(Struct {
                    c_type: c.trim().into(),
                    pb_type: pb.trim().into(),
                    fields: Vec::new(),
                });
            }
        } else if line.starts_with("WRITE_") {
            let (kind, args) = line.split_once('(').expect("WRITE_..(");
            let args: Vec<&str> = args
                .trim_end_matches(';')
                .trim_end_matches(')')
                .split(',')
                .map(str::trim)
                .collect();
            let kind = kind
                .strip_prefix("WRITE_")
                .and_then(|k| k.strip_suffix("_FIELD"))
                .expect("WRITE_<kind>_FIELD")
                .to_string();
            let (type_arg, out_name, c) = match kind.as_str() {
                "ENUM" => (Some(args[0]), args[1], args[3]),
                "SPECIFIC_NODE" | "SPECIFIC_NODE_PTR" => (Some(args[0]), args[2], args[4]),
                _ => (None, args[0], args[2]),
            };
            current
                .as_mut()
                .expect("WRITE inside _out")
                .fields
                .push(Field {
                    kind,
                    type_arg: type_arg.map(String::from),
                    out: out_name.into(),
                    c: c.into(),
                });
        } else if line == "}" {
            if let Some(s) = current.take() {
                out.push(s);
            }
        }
    }
    out
}

/// `case T_X: OUT_NODE(CType, PbType, ..., field)`: (tag, C type, protobuf
/// type, `Node` variant).
fn parse_conds(conds: &str) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    let mut tag = None;
    for line in conds.lines() {
        let line = line.trim();
        if let Some(t) = line.strip_prefix("case ") {
            tag = Some(t.trim_end_matches(':').to_string());
        } else if let Some(args) = line.strip_prefix("OUT_NODE(") {
            let args: Vec<&str> = args.split(',').map(str::trim).collect();
            let field = args[5].trim_end_matches(';').trim_end_matches(')');
            let variant: String = field
                .split('_')
                .filter(|w| !w.is_empty())
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            out.push((
                tag.take().expect("case before OUT_NODE"),
                args[4].to_string(),
                args[1].to_string(),
                variant,
            ));
        }
    }
    out
}

struct EnumDef {
    name: String,
    cases: Vec<(String, String)>,
}

/// `_enumToIntX(X value) { switch(value) { case A: return 1; ... } }`
fn parse_enums(enums: &str) -> Vec<EnumDef> {
    let mut out = Vec::new();
    let mut current: Option<EnumDef> = None;
    for line in enums.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("_enumToInt") {
            let name = rest.split_once('(').expect("_enumToIntX(").0;
            current = Some(EnumDef {
                name: name.into(),
                cases: Vec::new(),
            });
        } else if line.starts_with("_enumToString") || line.starts_with("_intToEnum") {
            current = None;
        } else if let (Some(e), Some(rest)) = (current.as_mut(), line.strip_prefix("case ")) {
            if let Some((c, v)) = rest.split_once(": return ") {
                e.cases.push((c.into(), v.trim_end_matches(';').into()));
            }
        } else if line == "}" {
            if let Some(e) = current.take() {
                out.push(e);
            }
        }
    }
    out
}

/// A protobuf message name as prost spells it (heck's UpperCamelCase:
/// `CoerceViaIO` is `CoerceViaIo`).
fn prost_type(name: &str) -> String {
    let c: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for i in 0..c.len() {
        if c[i] == '_' {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let boundary = i > 0
            && c[i].is_uppercase()
            && (c[i - 1].is_lowercase()
                || (c[i - 1].is_uppercase() && c.get(i + 1).is_some_and(|n| n.is_lowercase())));
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c[i]);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
        .iter()
        .map(|w| w[..1].to_uppercase() + &w[1..].to_lowercase())
        .collect()
}

/// A C field name as bindgen spells it.
fn rust_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
        "enum", "extern", "false", "final", "fn", "for", "if", "impl", "in", "let", "loop",
        "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
        "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized",
        "use", "virtual", "where", "while", "yield", "abstract", "become",
    ];
    if KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

/// A protobuf field name as prost spells it.
fn pb_ident(name: &str) -> String {
    if rust_ident(name) != name {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

fn generate(
    structs: &[Struct],
    tags: &[(String, String, String, String)],
    enums: &[EnumDef],
) -> String {
    let mut g = String::new();
    g.push_str(
        "// @generated by analyzer/build.rs from libpg_query's protobuf output definitions.\n\n",
    );
    for s in structs {
        let _ = writeln!(
            g,
            "#[allow(non_snake_case, unused_variables, unused_mut)]\npub(super) unsafe fn c_{c}(cx: &mut Cx, n: *const sys::{c}) -> pb::{pb} {{\n    let mut x = pb::{pb}::default();\n    if !cx.enter() {{ return x; }}",
            c = s.c_type,
            pb = prost_type(&s.pb_type)
        );
        for f in &s.fields {
            let o = pb_ident(&f.out);
            let c = rust_ident(&f.c);
            let line = match f.kind.as_str() {
                "INT" | "UINT" | "UINT64" | "LONG" | "FLOAT" => format!("x.{o} = (*n).{c} as _;"),
                "BOOL" => format!("x.{o} = (*n).{c};"),
                "CHAR" => format!("x.{o} = char_field((*n).{c});"),
                "STRING" => format!("x.{o} = string((*n).{c});"),
                "ENUM" => format!("x.{o} = enum_{}((*n).{c});", f.type_arg.as_ref().unwrap()),
                "LIST" => format!("x.{o} = list(cx, (*n).{c});"),
                "BITMAPSET" => format!("x.{o} = bitmapset((*n).{c});"),
                "NODE_PTR" => format!(
                    "let p = (*n).{c} as *const sys::Node; if !p.is_null() {{ x.{o} = Some(Wrap::wrap(node(cx, p))); }}"
                ),
                "SPECIFIC_NODE_PTR" => {
                    let (f, t) = conv_of(structs, f.type_arg.as_ref().unwrap());
                    format!(
                        "let p = (*n).{c} as *const sys::{t}; if !p.is_null() {{ x.{o} = Some(Wrap::wrap({f}(cx, p))); }}"
                    )
                }
                "SPECIFIC_NODE" => {
                    let (f, t) = conv_of(structs, f.type_arg.as_ref().unwrap());
                    format!(
                        "x.{o} = Some(Wrap::wrap({f}(cx, std::ptr::addr_of!((*n).{c}) as *const sys::{t})));"
                    )
                }
                k => panic!("unknown WRITE_{k}_FIELD in _out{}", s.c_type),
            };
            let _ = writeln!(g, "    {line}");
        }
        g.push_str("    cx.leave();\n    x\n}\n\n");
    }
    g.push_str(
        "/// The protobuf `Node` of any C node, by its tag.\n#[allow(non_upper_case_globals)]\npub(super) unsafe fn node_enum(cx: &mut Cx, p: *const sys::Node) -> Option<pb::node::Node> {\n    Some(match (*p).type_ {\n",
    );
    for (tag, c, pb_name, variant) in tags {
        let conv = match c.as_str() {
            "List" if variant == "List" => "list_node(cx, p as *const sys::List)".to_string(),
            "List" => format!(
                "pb::{} {{ items: int_items(p as *const sys::List) }}",
                prost_type(pb_name)
            ),
            c if VALUES.contains(&c) => format!("value_{c}(cx, p as *const sys::{c})"),
            _ => format!("c_{c}(cx, p as *const sys::{c})"),
        };
        let _ = writeln!(
            g,
            "        sys::{tag} => pb::node::Node::{variant}(Wrap::wrap({conv})),"
        );
    }
    g.push_str("        _ => return None,\n    })\n}\n\n");
    for e in enums {
        let _ = writeln!(
            g,
            "#[allow(non_snake_case, unreachable_patterns, dead_code)]\nfn enum_{n}(v: sys::{n}) -> i32 {{\n    match v {{",
            n = e.name
        );
        for (c, v) in &e.cases {
            let _ = writeln!(g, "        sys::{c} => {v},");
        }
        g.push_str("        _ => -1,\n    }\n}\n\n");
    }
    g
}

/// The conversion function of the protobuf message `pb` (SPECIFIC_NODE
/// fields name the protobuf type) and its C type.
fn conv_of(structs: &[Struct], pb: &str) -> (String, String) {
    if VALUES.contains(&pb) {
        return (format!("value_{pb}"), pb.to_string());
    }
    structs
        .iter()
        .find(|s| s.pb_type == pb || s.c_type == pb)
        .map(|s| (format!("c_{}", s.c_type), s.c_type.clone()))
        .unwrap_or_else(|| panic!("no _out function for {pb}"))
}

/// Value nodes, converted by hand-written functions in `from_c.rs`.
const VALUES: &[&str] = &[
    "Integer",
    "Float",
    "Boolean",
    "String",
    "BitString",
    "A_Const",
];
