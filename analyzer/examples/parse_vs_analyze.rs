//! Bench helper: time pg_query's bare parse of files against extguard's full
//! analysis of the same files, in one thread, in one process.
//!
//! Usage: parse_vs_analyze ROUNDS FILE...

use std::time::{Duration, Instant};

use extguard_analyzer::analysis::analyze_file;
use extguard_analyzer::{Config, SourceFile, State};

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args
        .next()
        .and_then(|r| r.parse().ok())
        .expect("usage: parse_vs_analyze ROUNDS FILE...");
    let files: Vec<SourceFile> = args
        .map(|p| SourceFile::new(p.clone(), &std::fs::read(&p).expect("readable file")))
        .collect();
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    let prepared: Vec<String> = files
        .iter()
        .map(|f| f.prepared(0, f.text.len()).into_owned())
        .collect();
    let cfg = Config::default();
    let mut parse_best = Duration::MAX;
    let mut analyze_best = Duration::MAX;
    let mut findings = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        for text in &prepared {
            // the same text the analyzer parses: placeholders and psql meta-commands neutralised
            std::hint::black_box(pg_query::parse(text).ok());
        }
        parse_best = parse_best.min(t.elapsed());
        let t = Instant::now();
        findings = 0;
        for f in &files {
            let mut st = State::default();
            findings += analyze_file(f, &cfg, &mut st).len();
        }
        analyze_best = analyze_best.min(t.elapsed());
    }
    println!(
        "files={} bytes={} findings={}",
        files.len(),
        bytes,
        findings
    );
    println!("bare_parse_s={:.6}", parse_best.as_secs_f64());
    println!("analysis_s={:.6}", analyze_best.as_secs_f64());
    println!(
        "analysis_over_parse={:.3}",
        analyze_best.as_secs_f64() / parse_best.as_secs_f64()
    );
}
