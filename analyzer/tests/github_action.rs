//! The composite action (`action.yml`) run as GitHub's runner would run
//! it, as far as that is possible without GitHub: the YAML is read with
//! PyYAML (a dependency of pre-commit, in bench/.venv from
//! scripts/pre-commit-venv.sh, which `make test` runs), each step's `if:`
//! is evaluated, `${{ ... }}` expressions are substituted, `run:` steps
//! run with `bash --noprofile --norc -eo pipefail` in a fixture
//! repository with `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_WORKSPACE` and
//! `GITHUB_ACTION_PATH`; `uses:` steps (the SARIF upload) are not run, only
//! checked for what they would be given. The SARIF log is validated
//! against the SARIF 2.1.0 schema and what GitHub code scanning requires
//! beyond it. `EXTGUARD` points at the test's binary, so the build step
//! is skipped (its cargo command is the one CI and the README use).

mod cli_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// action.yml as JSON.
fn action() -> Value {
    let python = std::env::var_os("PRE_COMMIT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("bench/.venv/bin/python"));
    assert!(
        python.exists(),
        "{} not found: run scripts/pre-commit-venv.sh (make test does)",
        python.display()
    );
    let o = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(root().join("action.yml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// What one run of the action did.
#[derive(Debug)]
struct Run {
    /// The action's outcome: false when a step failed.
    success: bool,
    /// Names of the steps that ran (`uses:` steps included).
    ran: Vec<String>,
    /// The action's outputs.
    outputs: BTreeMap<String, String>,
    /// `with:` of the `uses:` steps that would have run.
    uploads: Vec<BTreeMap<String, String>>,
    /// stdout and stderr of every step.
    log: String,
}

/// The evaluation context of `${{ }}` expressions.
struct Context<'a> {
    inputs: &'a BTreeMap<String, String>,
    steps: &'a BTreeMap<String, BTreeMap<String, String>>,
    github: &'a BTreeMap<&'static str, String>,
}

impl Context<'_> {
    /// A property path (`inputs.x`, `steps.id.outputs.y`, `github.z`):
    /// missing values are empty strings, as on GitHub.
    fn value(&self, path: &str) -> String {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => self.inputs.get(*name).cloned().unwrap_or_default(),
            ["steps", id, "outputs", name] => self
                .steps
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["github", name] => self.github.get(name).cloned().unwrap_or_default(),
            _ => panic!("expression not supported by this test: {path}"),
        }
    }

    /// Replace every `${{ path }}` in `s`.
    fn substitute(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find("}}").expect("unclosed ${{") + i;
            out.push_str(&self.value(rest[i + 3..end].trim()));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` condition: `==`, `!=`, `&&`, `||`, parentheses, string
    /// literals and property paths (what action.yml uses).
    fn condition(&self, expr: &str) -> bool {
        let tokens = tokens(expr);
        let mut pos = 0;
        let v = self.or(&tokens, &mut pos);
        assert_eq!(pos, tokens.len(), "trailing tokens in {expr:?}");
        v
    }

    fn or(&self, t: &[String], pos: &mut usize) -> bool {
        let mut v = self.and(t, pos);
        while t.get(*pos).map(String::as_str) == Some("||") {
            *pos += 1;
            v |= self.and(t, pos);
        }
        v
    }

    fn and(&self, t: &[String], pos: &mut usize) -> bool {
        let mut v = self.comparison(t, pos);
        while t.get(*pos).map(String::as_str) == Some("&&") {
            *pos += 1;
            v &= self.comparison(t, pos);
        }
        v
    }

    fn comparison(&self, t: &[String], pos: &mut usize) -> bool {
        if t[*pos] == "(" {
            *pos += 1;
            let v = self.or(t, pos);
            assert_eq!(t[*pos], ")");
            *pos += 1;
            return v;
        }
        let left = self.operand(&t[*pos]);
        let op = t[*pos + 1].clone();
        let right = self.operand(&t[*pos + 2]);
        *pos += 3;
        match op.as_str() {
            // GitHub compares strings case-insensitively
            "==" => left.eq_ignore_ascii_case(&right),
            "!=" => !left.eq_ignore_ascii_case(&right),
            _ => panic!("operator not supported by this test: {op}"),
        }
    }

    fn operand(&self, t: &str) -> String {
        match t.strip_prefix('\'') {
            Some(s) => s.strip_suffix('\'').unwrap().to_string(),
            None => self.value(t),
        }
    }
}

fn tokens(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' => i += 1,
            b'(' | b')' => {
                out.push((b[i] as char).to_string());
                i += 1;
            }
            b'\'' => {
                let end = expr[i + 1..].find('\'').unwrap() + i + 1;
                out.push(expr[i..=end].to_string());
                i = end + 1;
            }
            b'=' | b'!' | b'&' | b'|' => {
                out.push(expr[i..i + 2].to_string());
                i += 2;
            }
            _ => {
                let end = expr[i..]
                    .find([' ', '(', ')', '=', '!', '&', '|'])
                    .map_or(expr.len(), |e| e + i);
                out.push(expr[i..end].to_string());
                i = end;
            }
        }
    }
    out
}

/// `KEY=VALUE` lines of a `GITHUB_OUTPUT` / `GITHUB_ENV` file.
fn key_values(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Run action.yml's steps with `with` over the inputs' defaults, in `workspace`.
fn run_action(action: &Value, workspace: &Path, with: &[(&str, &str)]) -> Run {
    let mut inputs: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["default"].as_str().unwrap_or("").to_string()))
        .collect();
    for (k, v) in with {
        assert!(inputs.contains_key(*k), "no input {k}");
        inputs.insert(k.to_string(), v.to_string());
    }
    let github: BTreeMap<&'static str, String> = [
        ("server_url", "https://github.com".to_string()),
        ("action_repository", "someone/extguard".to_string()),
        ("action_ref", "v1".to_string()),
    ]
    .into();
    let scratch = tempfile::tempdir().unwrap();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("EXTGUARD".into(), env!("CARGO_BIN_EXE_extguard").into());
    let mut steps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut run = Run {
        success: true,
        ran: Vec::new(),
        outputs: BTreeMap::new(),
        uploads: Vec::new(),
        log: String::new(),
    };
    assert_eq!(action["runs"]["using"], "composite");
    for (n, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let name = step["name"].as_str().unwrap().to_string();
        let cx = Context {
            inputs: &inputs,
            steps: &steps,
            github: &github,
        };
        // no `if:` means success(): skipped once a step failed
        let wanted = run.success && step["if"].as_str().is_none_or(|c| cx.condition(c));
        if !wanted {
            continue;
        }
        run.ran.push(name.clone());
        if step.get("uses").is_some() {
            let with = step["with"]
                .as_object()
                .map(|w| {
                    w.iter()
                        .map(|(k, v)| (k.clone(), cx.substitute(v.as_str().unwrap())))
                        .collect()
                })
                .unwrap_or_default();
            run.uploads.push(with);
            continue;
        }
        assert_eq!(step["shell"], "bash", "{name}");
        let script = scratch.path().join(format!("step{n}.sh"));
        std::fs::write(&script, cx.substitute(step["run"].as_str().unwrap())).unwrap();
        let output = scratch.path().join(format!("output{n}"));
        let env_file = scratch.path().join(format!("env{n}"));
        let o = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(workspace)
            .envs(&env)
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_ENV", &env_file)
            .env_remove("EXTGUARD_HELP_URI_BASE")
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        run.log.push_str(&format!(
            "--- {name}: {}\n{}{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
        if let Some(id) = step["id"].as_str() {
            steps.insert(id.to_string(), key_values(&output));
        }
        env.extend(key_values(&env_file));
        run.success &= o.status.success();
    }
    let cx = Context {
        inputs: &inputs,
        steps: &steps,
        github: &github,
    };
    for (k, v) in action["outputs"].as_object().unwrap() {
        run.outputs
            .insert(k.clone(), cx.substitute(v["value"].as_str().unwrap()));
    }
    run
}

/// What GitHub code scanning requires of an uploaded log beyond the
/// schema: relative artifact URIs under a base id, at most 25,000 results
/// (and 20 runs), stable fingerprints, help for every rule, a numeric
/// security-severity; an empty list when all is well.
fn github_problems(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let runs = doc["runs"].as_array().unwrap();
    if runs.len() > 20 {
        p.push(format!("{} runs", runs.len()));
    }
    for run in runs {
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in rules {
            let id = r["id"].as_str().unwrap_or("?");
            if !r["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
            {
                p.push(format!("{id}: no helpUri"));
            }
            if r["help"]["text"].as_str().is_none_or(|t| t.len() < 20) {
                p.push(format!("{id}: no help text"));
            }
            let sev: Option<f64> = r["properties"]["security-severity"]
                .as_str()
                .and_then(|s| s.parse().ok());
            if !sev.is_some_and(|s| (0.0..=10.0).contains(&s)) {
                p.push(format!("{id}: security-severity not a number in 0..10"));
            }
        }
        let results = run["results"].as_array().unwrap();
        if results.len() > 25_000 {
            p.push(format!("{} results", results.len()));
        }
        let mut prints = std::collections::HashSet::new();
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"].as_str().unwrap_or("");
            if uri.contains("://") || uri.starts_with('/') || uri.is_empty() {
                p.push(format!("absolute or empty uri {uri:?}"));
            }
            if loc["artifactLocation"]["uriBaseId"] != "SRCROOT" {
                p.push(format!("{uri}: no uriBaseId"));
            }
            let fp = r["partialFingerprints"]["extguardFindingHash/v1"]
                .as_str()
                .unwrap_or("");
            if fp.is_empty() || !prints.insert((uri.to_string(), fp.to_string())) {
                p.push(format!("{uri}: missing or repeated fingerprint {fp:?}"));
            }
            let idx = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
            if rules.get(idx).map(|x| &x["id"]) != Some(&r["ruleId"]) {
                p.push(format!("{uri}: ruleIndex does not name ruleId"));
            }
        }
        if run["originalUriBaseIds"]["SRCROOT"]["uri"]
            .as_str()
            .is_none_or(|u| !u.ends_with('/'))
        {
            p.push("SRCROOT is not a directory URI".into());
        }
    }
    p
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository with an extension in ext/ (the geokit fixture: control
/// file, scripts in sql/, update and downgrade scripts), a test directory the
/// default excludes skip, and a file outside the checked paths.
fn fixture_repo(dir: &Path) {
    let geokit = root().join("corpus/ci/geokit");
    for entry in walk(&geokit) {
        let rel = entry.strip_prefix(&geokit).unwrap();
        write(
            dir,
            &format!("ext/{}", rel.display()),
            &std::fs::read_to_string(&entry).unwrap(),
        );
    }
    write(dir, "test/sql/regress.sql", "SELECT f(1);\n");
    write(dir, "docs/example.sql", "SELECT g(1);\n");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_composite_action_runs_lints_writes_github_ready_sarif_and_fails_right() {
    let action = action();
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    fixture_repo(&repo);

    // defaults: findings fail the action after the upload
    let r = run_action(&action, &repo, &[("paths", "ext")]);
    assert!(!r.success, "{}", r.log);
    assert_eq!(r.outputs["exit-code"], "1", "{}", r.log);
    assert_eq!(
        r.ran,
        [
            "Build extguard",
            "Run extguard",
            "Upload SARIF",
            "Fail on findings or errors"
        ],
        "{}",
        r.log
    );
    assert!(r.log.contains("extguard: using "), "{}", r.log);
    assert_eq!(r.uploads[0]["sarif_file"], "extguard.sarif");
    assert_eq!(r.uploads[0]["category"], "extguard");
    // annotations for the pull request
    assert!(
        r.log
            .contains("::error file=ext/sql/geokit--1.0--1.1.sql,line=3,col=22,"),
        "{}",
        r.log
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("extguard.sarif")).unwrap())
            .unwrap();
    let errors: Vec<String> = cli_support::sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(github_problems(&sarif), Vec::<String>::new());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 32);
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(results
        .iter()
        .all(|r| uri(r).starts_with("ext/sql/geokit--")));
    // help links point at docs/rules.md of the action's own revision
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
        "https://github.com/someone/extguard/blob/v1/docs/rules.md#ps001"
    );

    // the whole repository (the default path): test/ is excluded by
    // default, docs/ is not
    let r = run_action(&action, &repo, &[("fail-on-findings", "false")]);
    assert!(r.success, "{}", r.log);
    assert_eq!(r.outputs["exit-code"], "1");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("extguard.sarif")).unwrap())
            .unwrap();
    let uris: std::collections::BTreeSet<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(uri)
        .collect();
    assert!(uris.contains("docs/example.sql"), "{uris:?}");
    // annotations name files relative to the repository root, like SARIF
    assert!(
        r.log
            .contains("::warning file=docs/example.sql,line=1,col=8,"),
        "{}",
        r.log
    );
    assert!(!r.log.contains("file=./"), "{}", r.log);
    assert!(!uris.iter().any(|u| u.starts_with("test/")), "{uris:?}");

    // more options through `args`, an own SARIF path, no upload
    let r = run_action(
        &action,
        &repo,
        &[
            ("args", "--select PS010 --exclude docs"),
            ("sarif-file", "out/x.sarif"),
            ("upload-sarif", "false"),
        ],
    );
    assert!(!r.success);
    assert!(!r.ran.contains(&"Upload SARIF".to_string()));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("out/x.sarif"))
            .unwrap_or_else(|e| panic!("out/x.sarif: {e}\n{}", r.log)),
    )
    .unwrap();
    let ids: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PS010"]);

    // more findings than GitHub takes in a run: the log keeps 25,000 (the
    // most severe), says so, and still validates
    let big = d.path().join("big");
    let mut sql = String::from("COPY s.t TO PROGRAM 'x';\n");
    for i in 0..25_100 {
        sql.push_str(&format!("SELECT f{i}();\n"));
    }
    write(&big, "many.sql", &sql);
    let r = run_action(&action, &big, &[]);
    assert!(!r.success);
    assert!(
        r.log.contains("SARIF: 101 result(s) left out"),
        "{}",
        &r.log[..2000.min(r.log.len())]
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(big.join("extguard.sarif")).unwrap())
            .unwrap();
    assert!(cli_support::sarif_validator().is_valid(&sarif));
    assert_eq!(github_problems(&sarif), Vec::<String>::new());
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["results"].as_array().unwrap().len(), 25_000);
    assert_eq!(run0["properties"]["resultsLeftOut"], 101);
    assert_eq!(run0["results"][0]["ruleId"], "EG101");

    // a clean tree passes, and its empty log is still uploaded
    let clean = d.path().join("clean");
    write(&clean, "ok.sql", "SELECT pg_catalog.now();\n");
    let r = run_action(&action, &clean, &[]);
    assert!(r.success, "{}", r.log);
    assert_eq!(r.outputs["exit-code"], "0");
    assert_eq!(r.uploads.len(), 1);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(clean.join("extguard.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(github_problems(&sarif), Vec::<String>::new());

    // a usage error fails the action even with fail-on-findings off, and
    // there is no log to upload (nor a stale one from an earlier run)
    let r = run_action(
        &action,
        &clean,
        &[("args", "--select NOPE"), ("fail-on-findings", "false")],
    );
    assert!(!r.success, "{}", r.log);
    assert_eq!(r.outputs["exit-code"], "2");
    assert!(r.uploads.is_empty(), "{}", r.log);
    assert!(r.log.contains("NOPE"), "{}", r.log);
    assert!(!clean.join("extguard.sarif").exists());

    // a missing path is an input error: exit 2, the log (naming it) is uploaded
    let r = run_action(
        &action,
        &repo,
        &[("paths", "ext nothere"), ("fail-on-findings", "false")],
    );
    assert!(!r.success);
    assert_eq!(r.outputs["exit-code"], "2");
    assert_eq!(r.uploads.len(), 1);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("extguard.sarif")).unwrap())
            .unwrap();
    let note = &sarif["runs"][0]["invocations"][0];
    assert_eq!(note["executionSuccessful"], false);
    assert!(note["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("nothere"));
}

/// The test's own expression evaluator, on the conditions of action.yml.
#[test]
fn conditions_evaluate_as_on_github() {
    let inputs: BTreeMap<String, String> = [("a".to_string(), "true".to_string())].into();
    let steps: BTreeMap<String, BTreeMap<String, String>> =
        [("s".to_string(), [("c".to_string(), "2".to_string())].into())].into();
    let github = BTreeMap::new();
    let cx = Context {
        inputs: &inputs,
        steps: &steps,
        github: &github,
    };
    assert!(cx.condition("inputs.a == 'TRUE'"));
    assert!(!cx.condition("inputs.a == 'true' && steps.s.outputs.c == '1'"));
    assert!(cx.condition(
        "steps.s.outputs.c != '0' && (inputs.a == 'false' || steps.s.outputs.c != '1')"
    ));
    assert!(!cx.condition("steps.s.outputs.missing == '1'"));
    assert_eq!(
        cx.substitute("x ${{ inputs.a }} ${{steps.s.outputs.c}}"),
        "x true 2"
    );
}
