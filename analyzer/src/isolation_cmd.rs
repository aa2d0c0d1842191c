//! `extguard isolation`: the isolation self-check (crate
//! `extguard-isolation`) from outside the database, for a pod's probe or
//! the CI of a platform image. It checks the process it runs in, so run
//! it inside the server's container, as the server's user.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use clap::{Args, ValueEnum};
use extguard_isolation::{evaluate, Check, Row, ServerPaths, Sources, Status};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum IsolationFormat {
    Human,
    Json,
}

#[derive(Args)]
pub struct IsolationArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = IsolationFormat::Human)]
    format: IsolationFormat,
    /// pg_config of the server, for pkglibdir and sharedir [default: pg_config on PATH, when there].
    #[arg(long, value_name = "PATH")]
    pg_config: Option<PathBuf>,
    /// The server's pkglibdir (overrides pg_config).
    #[arg(long, value_name = "DIR")]
    pkglibdir: Option<PathBuf>,
    /// The server's sharedir; its extension/ subdirectory is checked (overrides pg_config).
    #[arg(long, value_name = "DIR")]
    sharedir: Option<PathBuf>,
    /// The server's data directory [default: $PGDATA].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The server's dynamic_library_path setting ($libdir allowed).
    #[arg(long, value_name = "PATHS")]
    dynamic_library_path: Option<String>,
    /// The server's extension_control_path setting (PostgreSQL 18+; $system allowed).
    #[arg(long, value_name = "PATHS")]
    extension_control_path: Option<String>,
    /// A check whose violation does not fail the run (repeatable): still reported.
    #[arg(long, value_name = "CHECK")]
    allow: Vec<String>,
}

/// `pg_config --pkglibdir --sharedir`: two lines.
fn from_pg_config(pg_config: &PathBuf, explicit: bool) -> Result<(PathBuf, PathBuf), String> {
    let out = Command::new(pg_config)
        .args(["--pkglibdir", "--sharedir"])
        .output();
    let fail = |why: String| format!("{}: {why}", pg_config.display());
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => return Err(fail(String::from_utf8_lossy(&o.stderr).trim().to_string())),
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
            return Err(String::new())
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().map(str::trim);
    match (lines.next(), lines.next()) {
        (Some(l), Some(s)) if !l.is_empty() && !s.is_empty() => {
            Ok((PathBuf::from(l), PathBuf::from(s)))
        }
        _ => Err(fail("did not print pkglibdir and sharedir".into())),
    }
}

pub fn run(args: IsolationArgs) -> Result<ExitCode, String> {
    for a in &args.allow {
        if Check::from_id(a).is_none() {
            let ids: Vec<&str> = Check::ALL.iter().map(|c| c.id()).collect();
            return Err(format!(
                "--allow: unknown check '{a}' (one of {})",
                ids.join(", ")
            ));
        }
    }
    let mut server = ServerPaths {
        pkglibdir: args.pkglibdir,
        sharedir: args.sharedir,
        dynamic_library_path: args.dynamic_library_path,
        extension_control_path: args.extension_control_path,
        data_dir: args
            .data_dir
            .or_else(|| std::env::var_os("PGDATA").map(PathBuf::from)),
    };
    if server.pkglibdir.is_none() || server.sharedir.is_none() {
        let explicit = args.pg_config.is_some();
        let pg_config = args.pg_config.unwrap_or_else(|| "pg_config".into());
        match from_pg_config(&pg_config, explicit) {
            Ok((lib, share)) => {
                server.pkglibdir.get_or_insert(lib);
                server.sharedir.get_or_insert(share);
            }
            // no pg_config on PATH and none asked for: those paths stay unknown
            Err(e) if e.is_empty() => {}
            Err(e) => return Err(e),
        }
    }
    let rows = evaluate(&Sources::default(), &server);
    let failing: Vec<&str> = rows
        .iter()
        .filter(|r| r.status == Status::Violated && !args.allow.iter().any(|a| a == r.check.id()))
        .map(|r| r.check.id())
        .collect();
    match args.format {
        IsolationFormat::Human => print!("{}", human(&rows, &args.allow)),
        IsolationFormat::Json => println!("{}", json(&rows, &failing)),
    }
    Ok(if failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn human(rows: &[Row], allowed: &[String]) -> String {
    let mut out = String::new();
    for r in rows {
        let id = r.check.id();
        let status = if r.status == Status::Violated && allowed.iter().any(|a| a == id) {
            "violated (allowed)"
        } else {
            r.status.as_str()
        };
        out.push_str(&format!("{status:<9} {id:<22} {}\n", r.observed));
        if r.status != Status::Ok {
            out.push_str(&format!(
                "{:<32} expected: {}\n{:<32} see: {}\n",
                "",
                r.check.expected(),
                "",
                r.check.reference()
            ));
        }
    }
    let count = |s| rows.iter().filter(|r| r.status == s).count();
    out.push_str(&format!(
        "{} ok, {} violated, {} unknown\n",
        count(Status::Ok),
        count(Status::Violated),
        count(Status::Unknown)
    ));
    out
}

fn json(rows: &[Row], failing: &[&str]) -> serde_json::Value {
    let checks: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "check": r.check.id(),
                "status": r.status.as_str(),
                "observed": r.observed,
                "expected": r.check.expected(),
                "reference": r.check.reference(),
            })
        })
        .collect();
    serde_json::json!({
        "checks": checks,
        "violated": extguard_isolation::ids_with(rows, Status::Violated),
        "unknown": extguard_isolation::ids_with(rows, Status::Unknown),
        "failing": failing,
    })
}
