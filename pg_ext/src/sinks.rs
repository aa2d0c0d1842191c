//! The JSON Lines file sink (safe Rust; the log and ring sinks need FFI and
//! live in `hooks`).

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

thread_local! {
    /// The open audit file of this backend and the path it was opened with.
    static FILE: RefCell<Option<(String, File)>> = const { RefCell::new(None) };
}

/// Append one line and flush it to disk (`fdatasync`) before returning.
pub fn append_line(path: &str, line: &str) -> std::io::Result<()> {
    FILE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().map(|(p, _)| p.as_str()) != Some(path) {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)?;
            *slot = Some((path.to_string(), f));
        }
        let (_, f) = slot.as_mut().expect("opened above");
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        let res = f.write_all(&buf).and_then(|_| f.sync_data());
        if res.is_err() {
            *slot = None; // reopen next time (file may have been removed)
        }
        res
    })
}

#[cfg(test)]
mod unit {
    #[test]
    fn appends_lines() {
        let dir = std::env::temp_dir().join(format!("extguard-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.jsonl");
        let p = p.to_str().unwrap();
        super::append_line(p, "{\"a\":1}").unwrap();
        super::append_line(p, "{\"a\":2}").unwrap();
        assert_eq!(
            std::fs::read_to_string(p).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
