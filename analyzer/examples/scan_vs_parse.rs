//! Bench helper for `bench/scan.sh`: `extguard scan`'s throughput against
//! pg_query's bare parse of the same SQL, timed side by side, source by
//! source, so that the drift of a shared machine's speed (10-20 % within
//! seconds here) hits both alike.
//!
//! Every entry of each DIR (an extension directory or an archive) is one
//! source. Before timing, each source's `.sql` files are read (archives
//! unpacked) and prepared as the analyzer prepares them (placeholders and
//! psql meta-commands neutralised) for the bare parse. Then THREADS workers,
//! worker i pinned to core i, take the sources largest first; for each one
//! a worker times, one right after the other (which one first alternates):
//!
//! - scan: everything `extguard scan --format jsonl` does for that source —
//!   read the files from disk (unpack the archive), discover the extension,
//!   analyse its install chain and update scripts, reduce the results,
//!   write its JSON Lines into a buffer;
//! - parse: `pg_query::parse` of each of its prepared `.sql` files.
//!
//! The sums over all sources give the throughput ratio scan/parse with
//! THREADS threads busy (per-source times are wall times of the worker, so
//! with two threads both sides see the other thread's load too). ROUNDS
//! repeats the whole pass; each round's ratio is printed, then the median.
//!
//! Usage: scan_vs_parse THREADS ROUNDS DIR...

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod bench_util;
use bench_util::sql_files;

use extguard_analyzer::driver::{self, archive, ArchiveKind, Limits, Mode, Options};
use extguard_analyzer::report;
use extguard_analyzer::{Config, SourceFile};

struct Source {
    path: PathBuf,
    /// Prepared text of every `.sql` file it holds.
    prepared: Vec<String>,
    bytes: usize,
}

fn load(path: PathBuf) -> Source {
    let mut files = Vec::new();
    let _unpacked;
    if path.is_dir() {
        sql_files(&path, &mut files);
    } else {
        let kind =
            ArchiveKind::of(&path).unwrap_or_else(|| panic!("{}: not an archive", path.display()));
        let u = archive::unpack(&path, kind, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        sql_files(u.root(), &mut files);
        _unpacked = u;
    }
    files.sort();
    let prepared: Vec<String> = files
        .iter()
        .map(|p| {
            let f = SourceFile::new(p.display().to_string(), &std::fs::read(p).unwrap());
            f.prepared(0, f.text.len()).into_owned()
        })
        .collect();
    let bytes = prepared.iter().map(|t| t.len()).sum();
    Source {
        path,
        prepared,
        bytes,
    }
}

fn scan_one(s: &Source, opts: &Options, own: &rayon::ThreadPool) {
    let outcome = own.install(|| driver::run_here(std::slice::from_ref(&s.path), opts));
    let mut buf = Vec::new();
    report::jsonl(&outcome, &mut buf, own).expect("writing to memory");
    std::hint::black_box(buf.len());
}

fn parse_one(s: &Source) {
    for t in &s.prepared {
        std::hint::black_box(pg_query::parse(t).ok());
    }
}

/// One pass over all sources by `threads` workers, worker i pinned to core
/// i (with a one-thread rayon pool of its own on the same core for the
/// scan): (scan time, parse time) summed over sources.
fn pass(
    sources: &[Source],
    order: &[usize],
    opts: &Options,
    threads: usize,
    round: usize,
) -> (Duration, Duration) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let sums = Mutex::new((Duration::ZERO, Duration::ZERO));
    std::thread::scope(|sc| {
        for w in 0..threads {
            let (next, sums) = (&next, &sums);
            sc.spawn(move || {
                let core = w % cores;
                pin_to_core(core);
                let own = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .start_handler(move |_| pin_to_core(core))
                    .build()
                    .expect("worker thread");
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = order.get(k) else { break };
                    let s = &sources[i];
                    let (mut ts, mut tp) = (Duration::ZERO, Duration::ZERO);
                    for step in 0..2 {
                        let scan_now = (step == 0) == (i + round).is_multiple_of(2);
                        let t = Instant::now();
                        if scan_now {
                            scan_one(s, opts, &own);
                            ts = t.elapsed();
                        } else {
                            parse_one(s);
                            tp = t.elapsed();
                        }
                    }
                    let mut g = sums.lock().unwrap();
                    g.0 += ts;
                    g.1 += tp;
                }
            });
        }
    });
    sums.into_inner().unwrap()
}

fn pin_to_core(core: usize) {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET writes inside it;
    // sched_setaffinity(0, ...) applies to the calling thread only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            eprintln!("scan_vs_parse: cannot pin a worker to core {core}; timing without pinning");
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(threads), Some(rounds), dirs) = (
        args.first().and_then(|t| t.parse::<usize>().ok()),
        args.get(1).and_then(|r| r.parse::<usize>().ok()),
        args.get(2..).unwrap_or_default(),
    ) else {
        panic!("usage: scan_vs_parse THREADS ROUNDS DIR...");
    };
    let mut paths = Vec::new();
    for d in dirs {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap_or_else(|e| panic!("{d}: {e}"))
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        paths.extend(entries);
    }
    let sources: Vec<Source> = paths.into_iter().map(load).collect();
    let bytes: usize = sources.iter().map(|s| s.bytes).sum();
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sources[i].bytes));
    let opts = Options {
        jobs: 1,
        ..Options::new(Config::default(), Mode::Scan)
    };
    let mut ratios = Vec::new();
    for round in 0..rounds {
        // Worker i stays on core i: the two sides of a pair then run on the
        // same core (the cores of this VM drift apart independently).
        let (ts, tp) = pass(&sources, &order, &opts, threads, round);
        let ratio = tp.as_secs_f64() / ts.as_secs_f64();
        // per-thread busy time / threads = the wall time of a perfectly
        // balanced pass
        let mb_s = |d: Duration| bytes as f64 / 1e6 / (d.as_secs_f64() / threads as f64);
        println!(
            "round={} sources={} bytes={} scan_mb_s={:.2} parse_mb_s={:.2} ratio={:.4}",
            round + 1,
            sources.len(),
            bytes,
            mb_s(ts),
            mb_s(tp),
            ratio
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!("median_ratio={:.4}", ratios[ratios.len() / 2]);
}
