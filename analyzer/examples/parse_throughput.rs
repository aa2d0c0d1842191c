//! Bench helper for `bench/scan.sh`: pg_query's bare parse throughput over
//! every `.sql` file under a directory, with N rayon threads (files in
//! parallel), best of ROUNDS. Files are read and prepared (placeholders
//! neutralised, as the analyzer does) before timing; only parsing is timed.
//!
//! Usage: parse_throughput THREADS ROUNDS DIR

use std::path::Path;
use std::time::{Duration, Instant};

mod bench_util;
use bench_util::sql_files;

use extguard_analyzer::SourceFile;
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [threads, rounds, dir] = args.as_slice() else {
        panic!("usage: parse_throughput THREADS ROUNDS DIR");
    };
    let threads: usize = threads.parse().expect("THREADS is a number");
    let rounds: usize = rounds.parse().expect("ROUNDS is a number");
    let mut paths = Vec::new();
    sql_files(Path::new(dir), &mut paths);
    let files: Vec<SourceFile> = paths
        .iter()
        .map(|p| SourceFile::new(p.display().to_string(), &std::fs::read(p).unwrap()))
        .collect();
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    let prepared: Vec<String> = files
        .iter()
        .map(|f| f.prepared(0, f.text.len()).into_owned())
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        pool.install(|| {
            prepared.par_iter().for_each(|text| {
                std::hint::black_box(pg_query::parse(text).ok());
            })
        });
        best = best.min(t.elapsed());
    }
    println!(
        "files={} bytes={} parse_s={:.6} parse_mb_s={:.2}",
        files.len(),
        bytes,
        best.as_secs_f64(),
        bytes as f64 / 1e6 / best.as_secs_f64()
    );
}
