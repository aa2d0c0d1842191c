//! JSON Lines: one JSON object per unit (extension or group of files).

use rayon::prelude::*;

use crate::outcome::Outcome;

/// One JSON object per unit, one per line.
pub fn jsonl(
    o: &Outcome,
    out: &mut dyn std::io::Write,
    pool: &rayon::ThreadPool,
) -> std::io::Result<()> {
    // Lines are serialised on the pool's workers and written in order by
    // the caller, a few per worker at a time. An extension with thousands
    // of findings (a line of megabytes) is streamed by the caller instead,
    // so that memory stays what it was without the parallel part.
    const STREAMED: usize = 1000;
    for chunk in o.units.chunks(4 * pool.current_num_threads()) {
        let lines: Vec<Option<Vec<u8>>> = pool
            .install(|| {
                chunk
                    .par_iter()
                    .map(|u| {
                        if u.findings().nth(STREAMED).is_some() {
                            return Ok(None);
                        }
                        let mut line = serde_json::to_vec(u)?;
                        line.push(b'\n');
                        Ok(Some(line))
                    })
                    .collect::<Result<_, serde_json::Error>>()
            })
            .map_err(std::io::Error::other)?;
        for (u, line) in chunk.iter().zip(lines) {
            match line {
                Some(line) => out.write_all(&line)?,
                None => {
                    serde_json::to_writer(&mut *out, u).map_err(std::io::Error::other)?;
                    writeln!(out)?;
                }
            }
        }
    }
    Ok(())
}
