//! The JSON Lines file sink (safe Rust; the log and ring sinks need FFI and
//! live in `hooks`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

/// Append one line with a single `write` and return the open file, for
/// the caller to flush to disk (`fdatasync`, [`File::sync_data`]) once
/// the other sinks have the record too: a process killed in between
/// leaves the line in the file (page cache), and the slow flush does not
/// sit between the sinks.
///
/// The file is opened for each record (`O_APPEND`, created with mode 0600):
/// records are rare, and a rotated or deleted file is picked up at once
/// instead of writing on into an unlinked inode.
pub fn append_line(path: &str, line: &str) -> std::io::Result<File> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    f.write_all(&buf)?;
    Ok(f)
}

#[cfg(test)]
mod unit {
    #[test]
    fn appends_lines() {
        let dir = std::env::temp_dir().join(format!("extguard-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.jsonl");
        let p = p.to_str().unwrap();
        super::append_line(p, "{\"a\":1}")
            .unwrap()
            .sync_data()
            .unwrap();
        super::append_line(p, "{\"a\":2}").unwrap();
        assert_eq!(
            std::fs::read_to_string(p).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        // A removed file is recreated by the next record.
        std::fs::remove_file(p).unwrap();
        super::append_line(p, "{\"a\":3}").unwrap();
        assert_eq!(std::fs::read_to_string(p).unwrap(), "{\"a\":3}\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
