//! Every PL/pgSQL body (functions and DO blocks) of the corpus and of the
//! local PostgreSQL's installed extension scripts is walked without an
//! internal error, and valid code never gets a syntax error (EG001).

use std::path::{Path, PathBuf};
use std::process::Command;

use extguard_analyzer::{check_text, Config, SourceFile};
use pg_query::NodeEnum;

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sql_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "sql") {
            out.push(p);
        }
    }
}

/// The statements of a file that have a PL/pgSQL body (split with
/// PostgreSQL's own scanner; a file it cannot split has none here).
fn plpgsql_statements(file: &SourceFile) -> Vec<String> {
    let mut out = Vec::new();
    for text in pg_query::split_with_scanner(&file.prepared(0, file.text.len())).unwrap_or_default()
    {
        let Ok(tree) = pg_query::parse(text) else {
            continue;
        };
        for raw in &tree.protobuf.stmts {
            let is_plpgsql = match raw.stmt.as_ref().and_then(|s| s.node.as_ref()) {
                Some(NodeEnum::CreateFunctionStmt(f)) => {
                    f.sql_body.is_none() && language(&f.options).as_deref() == Some("plpgsql")
                }
                Some(NodeEnum::DoStmt(d)) => language(&d.args).is_none_or(|l| l == "plpgsql"),
                _ => false,
            };
            if is_plpgsql {
                out.push(text.to_string());
            }
        }
    }
    out
}

fn language(options: &[pg_query::protobuf::Node]) -> Option<String> {
    options.iter().find_map(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) if d.defname == "language" => {
            match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                Some(NodeEnum::String(s)) => Some(s.sval.to_ascii_lowercase()),
                _ => None,
            }
        }
        _ => None,
    })
}

/// Analyse `files`; returns the number of PL/pgSQL bodies and the problems.
fn run(files: &[PathBuf], syntax_errors_expected: impl Fn(&Path) -> bool) -> (usize, Vec<String>) {
    let mut bodies = 0;
    let mut problems = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).unwrap();
        let file = SourceFile::new(path.display().to_string(), &bytes);
        let expect_errors = syntax_errors_expected(path);
        for stmt in plpgsql_statements(&file) {
            bodies += 1;
            if let Err(e) = pg_query::parse_plpgsql(&stmt) {
                if !expect_errors {
                    problems.push(format!("{}: PL/pgSQL does not parse: {e}", path.display()));
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let findings = std::panic::catch_unwind(|| {
            check_text(&path.display().to_string(), &text, &Config::default())
        });
        match findings {
            Err(_) => problems.push(format!("{}: internal error (panic)", path.display())),
            Ok(fs) => {
                for f in fs {
                    if f.code == "EG003" || (f.code == "EG001" && !expect_errors) {
                        problems.push(format!(
                            "{}:{}:{}: {} {}",
                            path.display(),
                            f.line,
                            f.column,
                            f.code,
                            f.message
                        ));
                    }
                }
            }
        }
    }
    (bodies, problems)
}

#[test]
fn corpus_bodies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let mut files = Vec::new();
    sql_files(&root, &mut files);
    // fixtures that expect a syntax error (EG001) or a body nested too deeply
    // to parse (EG006) say so in their annotations
    let (bodies, problems) = run(&files, |p| {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("--") && l.contains('^') && (l.contains("EG001") || l.contains("EG006"))
        })
    });
    eprintln!("{} corpus files, {bodies} PL/pgSQL bodies", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(bodies >= 25, "only {bodies} PL/pgSQL bodies in the corpus");
}

#[test]
fn installed_extension_bodies() {
    let out = Command::new("pg_config")
        .arg("--sharedir")
        .output()
        .expect("pg_config (PostgreSQL is installed by scripts/setup.sh)");
    let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("extension");
    let mut files = Vec::new();
    sql_files(&dir, &mut files);
    assert!(
        !files.is_empty(),
        "no extension scripts in {}",
        dir.display()
    );
    let (bodies, problems) = run(&files, |_| false);
    eprintln!("{} scripts, {bodies} PL/pgSQL bodies", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(bodies > 0, "no PL/pgSQL body found in {}", dir.display());
}
