//! Safe unpacking of registry archives into temporary directories.
//!
//! Every archive kind goes through the same rules:
//! - an entry's path must stay inside the temporary directory: absolute
//!   paths and `..` components reject the whole archive;
//! - a symbolic or hard link whose target leaves the archive rejects the
//!   archive. One that stays inside and leads (through other links of the
//!   archive, if need be) to a regular file becomes, once every other entry
//!   is unpacked, a symbolic link to that file by its absolute path inside
//!   the temporary directory: nothing is written through it, it costs no
//!   unpacked bytes, and the scan sees one file under several names. Links
//!   to anything else (directories, missing targets) are skipped;
//! - the number of entries, the total unpacked size and the ratio of unpacked
//!   size to archive size are capped ([`Limits`]), checked while writing, so
//!   a compression bomb stops after at most one buffer past the cap;
//! - a Ctrl-C ([`super::cancelled`]) stops unpacking at the next buffer.
//!
//! The directory is a [`tempfile::TempDir`]: it is removed when the
//! [`Unpacked`] value is dropped, on success, error, panic or interruption;
//! [`remove_live_dirs`] removes those still alive before an immediate exit.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// What kind of archive a file is, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// A PGXN source distribution (`.zip` with `META.json`).
    Zip,
    /// A Trunk binary archive or any other gzip-compressed tarball.
    TarGz,
    /// A Debian binary package (`ar` archive with `data.tar.*`).
    Deb,
}

impl ArchiveKind {
    /// The kind of archive a path names, if any.
    pub fn of(path: &Path) -> Option<ArchiveKind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".zip") {
            Some(ArchiveKind::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(ArchiveKind::TarGz)
        } else if name.ends_with(".deb") {
            Some(ArchiveKind::Deb)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveKind::Zip => "zip",
            ArchiveKind::TarGz => "tar.gz",
            ArchiveKind::Deb => "deb",
        }
    }
}

/// Caps on what one archive may unpack to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total bytes written for one archive.
    pub max_total_bytes: u64,
    /// Entries (files, directories, links...) in one archive.
    pub max_entries: u64,
    /// Unpacked bytes per byte of archive, checked once more than
    /// [`Limits::ratio_floor`] bytes have been written (links cost none).
    pub max_ratio: u64,
    /// Below this many unpacked bytes the ratio is not checked (small
    /// archives of repetitive SQL compress very well and are harmless).
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 1 << 30,
            max_entries: 100_000,
            max_ratio: 200,
            ratio_floor: 4 << 20,
        }
    }
}

/// An unpacked archive. Dropping it removes the directory.
#[derive(Debug)]
pub struct Unpacked {
    pub dir: TempDir,
    /// Entries skipped (device files, links to missing targets...), for information.
    pub skipped: Vec<String>,
}

impl Unpacked {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Temporary directories alive now, for [`remove_live_dirs`].
static LIVE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A [`tempfile::TempDir`] listed in `LIVE` while it exists.
#[derive(Debug)]
pub struct TempDir {
    inner: tempfile::TempDir,
}

impl TempDir {
    fn new_in(parent: &Path) -> std::io::Result<TempDir> {
        let inner = tempfile::Builder::new()
            .prefix("extguard-scan-")
            .tempdir_in(parent)?;
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(inner.path().to_path_buf());
        Ok(TempDir { inner })
    }

    pub fn path(&self) -> &Path {
        self.inner.path()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|p| p != self.inner.path());
        // the inner TempDir removes the directory
    }
}

/// Remove every temporary directory still alive: for an immediate exit (a
/// second Ctrl-C) that skips destructors.
pub fn remove_live_dirs() {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    for p in live.iter() {
        let _ = std::fs::remove_dir_all(p);
    }
}

/// Unpack `archive` into a new temporary directory (under the system's
/// temporary directory, `TMPDIR`).
///
/// The error is a sentence about the archive's content (the caller names
/// the archive).
pub fn unpack(archive: &Path, kind: ArchiveKind, limits: &Limits) -> Result<Unpacked, String> {
    unpack_in(archive, kind, limits, &std::env::temp_dir())
}

/// [`unpack`] into a new temporary directory under `parent` (the fuzz
/// target passes a private one, to check nothing is left in it).
pub fn unpack_in(
    archive: &Path,
    kind: ArchiveKind,
    limits: &Limits,
    parent: &Path,
) -> Result<Unpacked, String> {
    let len = std::fs::metadata(archive).map_err(|e| e.to_string())?.len();
    let dir =
        TempDir::new_in(parent).map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    // (after the directory exists: a panic must still remove it)
    crate::test_hook::panic_if_requested(&archive.to_string_lossy());
    let mut out = Writer {
        root: dir.path().to_path_buf(),
        budget: Budget {
            limits: *limits,
            archive_len: len.max(1),
            written: 0,
            entries: 0,
        },
        links: Vec::new(),
        skipped: Vec::new(),
    };
    let file = File::open(archive).map_err(|e| e.to_string())?;
    match kind {
        ArchiveKind::Zip => unpack_zip(file, &mut out)?,
        ArchiveKind::TarGz => unpack_tar(flate2::read::GzDecoder::new(file), &mut out, |_| true)?,
        ArchiveKind::Deb => unpack_deb(file, &mut out)?,
    }
    out.materialise_links()?;
    Ok(Unpacked {
        dir,
        skipped: out.skipped,
    })
}

/// Counts what has been written and refuses to go past the [`Limits`].
struct Budget {
    limits: Limits,
    archive_len: u64,
    written: u64,
    entries: u64,
}

impl Budget {
    fn entry(&mut self) -> Result<(), String> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(format!(
                "more than {} entries (--max-entries)",
                self.limits.max_entries
            ));
        }
        Ok(())
    }

    fn bytes(&mut self, n: u64) -> Result<(), String> {
        self.written += n;
        if self.written > self.limits.max_total_bytes {
            return Err(format!(
                "unpacks to more than {} bytes (--max-unpacked-size)",
                self.limits.max_total_bytes
            ));
        }
        if self.written > self.limits.ratio_floor
            && self.written / self.archive_len > self.limits.max_ratio
        {
            return Err(format!(
                "compression ratio above {}:1 ({} bytes from a {}-byte archive so far): a compression bomb? (--max-ratio)",
                self.limits.max_ratio, self.written, self.archive_len
            ));
        }
        Ok(())
    }
}

/// A link entry, turned into a copy once every entry is unpacked.
struct Link {
    name: String,
    /// Where the copy goes (relative to the root).
    at: PathBuf,
    /// What it copies (relative to the root).
    target: PathBuf,
}

/// Writes entries under `root`, enforcing the rules of this module.
struct Writer {
    root: PathBuf,
    budget: Budget,
    links: Vec<Link>,
    skipped: Vec<String>,
}

impl Writer {
    fn dir(&mut self, rel: &Path) -> Result<(), String> {
        std::fs::create_dir_all(self.root.join(rel)).map_err(|e| format!("{}: {e}", rel.display()))
    }

    fn file(&mut self, rel: &Path, data: &mut dyn Read) -> Result<(), String> {
        let dest = self.root.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", rel.display()))?;
        }
        // Only regular files and directories are ever created here, so
        // neither this path nor its parents can be links.
        let mut f = File::create(&dest).map_err(|e| format!("{}: {e}", rel.display()))?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if super::cancelled() {
                return Err("interrupted".into());
            }
            let n = data.read(&mut buf).map_err(|e| {
                format!(
                    "cannot read entry '{}': {e} (truncated or corrupt archive)",
                    rel.display()
                )
            })?;
            if n == 0 {
                return Ok(());
            }
            self.budget.bytes(n as u64)?;
            f.write_all(&buf[..n])
                .map_err(|e| format!("{}: {e}", rel.display()))?;
        }
    }

    /// Record a link `rel` whose target is `target`, resolved from the
    /// link's directory (symbolic) or from the root (hard).
    fn link(&mut self, rel: &Path, target: &Path, symbolic: bool) -> Result<(), String> {
        let base = if symbolic {
            rel.parent().unwrap_or(Path::new(""))
        } else {
            Path::new("")
        };
        let kind = if symbolic { "symlink" } else { "hardlink" };
        let resolved = resolve_inside(base, target).ok_or_else(|| {
            format!(
                "{kind} '{}' -> '{}' points outside the archive",
                rel.display(),
                target.display()
            )
        })?;
        self.links.push(Link {
            name: format!("{kind} '{}'", rel.display()),
            at: rel.to_path_buf(),
            target: resolved,
        });
        Ok(())
    }

    /// Create the links, last: every regular file and directory exists by
    /// now, so no later write can pass through one. A link to a link is
    /// followed (lexically, inside the root) to the file it ends at.
    fn materialise_links(&mut self) -> Result<(), String> {
        let links = std::mem::take(&mut self.links);
        let by_name: std::collections::HashMap<&Path, &Path> = links
            .iter()
            .map(|l| (l.at.as_path(), l.target.as_path()))
            .collect();
        for link in &links {
            let mut target = link.target.as_path();
            let mut hops = 0;
            while let Some(next) = by_name.get(target) {
                hops += 1;
                if hops > 40 {
                    break;
                }
                target = next;
            }
            let src = self.root.join(target);
            // (symlink_metadata: nothing on disk is a link yet)
            let is_file = std::fs::symlink_metadata(&src).is_ok_and(|m| m.is_file());
            if !is_file {
                self.skipped.push(format!(
                    "{}: target '{}' is not a regular file in the archive",
                    link.name,
                    link.target.display()
                ));
                continue;
            }
            let dest = self.root.join(&link.at);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", link.name))?;
            }
            match std::fs::symlink_metadata(&dest) {
                Ok(m) if m.is_dir() => {
                    self.skipped
                        .push(format!("{}: a directory of that name exists", link.name));
                    continue;
                }
                // a later entry of the same name replaces the earlier one
                Ok(_) => std::fs::remove_file(&dest).map_err(|e| format!("{}: {e}", link.name))?,
                Err(_) => {}
            }
            std::os::unix::fs::symlink(&src, &dest).map_err(|e| format!("{}: {e}", link.name))?;
        }
        Ok(())
    }
}

/// The path of an entry as a relative path with only normal components;
/// `Ok(None)` for the archive root itself (`./`).
pub fn safe_relative(name: &Path) -> Result<Option<PathBuf>, String> {
    let mut out = PathBuf::new();
    for c in name.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "entry '{}' has a '..' component (path traversal)",
                    name.display()
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("entry '{}' is an absolute path", name.display()))
            }
        }
    }
    Ok((!out.as_os_str().is_empty()).then_some(out))
}

/// `base/target` resolved lexically, if it stays inside the root.
fn resolve_inside(base: &Path, target: &Path) -> Option<PathBuf> {
    if target.has_root() {
        return None;
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in base.components().chain(target.components()) {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

fn unpack_zip(file: File, out: &mut Writer) -> Result<(), String> {
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| format!("not a readable zip archive: {e}"))?;
    for i in 0..zip.len() {
        out.budget.entry()?;
        let mut entry = zip.by_index(i).map_err(|e| format!("zip entry {i}: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| format!("zip entry {i}: {e}"))?
            .to_string();
        let Some(rel) = safe_relative(Path::new(&name))? else {
            continue;
        };
        if entry.is_dir() {
            out.dir(&rel)?;
        } else if entry.is_symlink() {
            let mut target = Vec::new();
            (&mut entry)
                .take(4096)
                .read_to_end(&mut target)
                .map_err(|e| format!("entry '{name}': {e}"))?;
            let target = PathBuf::from(String::from_utf8_lossy(&target).into_owned());
            out.link(&rel, &target, true)?;
        } else {
            // The declared size is only a hint (the writer counts real bytes),
            // but it lets an obvious bomb fail before any decompression.
            if entry.size() > out.budget.limits.max_total_bytes {
                return Err(format!(
                    "entry '{name}' declares {} bytes, more than {} (--max-unpacked-size)",
                    entry.size(),
                    out.budget.limits.max_total_bytes
                ));
            }
            out.file(&rel, &mut entry)?;
        }
    }
    Ok(())
}

/// Unpack a tar stream, keeping the entries whose (safe) path `keep` accepts.
fn unpack_tar<R: Read>(
    reader: R,
    out: &mut Writer,
    keep: impl Fn(&Path) -> bool,
) -> Result<(), String> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a readable tar archive: {e}"))?;
    for entry in entries {
        if super::cancelled() {
            return Err("interrupted".into());
        }
        out.budget.entry()?;
        let mut entry = entry.map_err(|e| format!("corrupt or truncated tar archive: {e}"))?;
        let name = entry
            .path()
            .map_err(|e| format!("tar entry with an unreadable name: {e}"))?
            .into_owned();
        let Some(rel) = safe_relative(&name)? else {
            continue;
        };
        let kind = entry.header().entry_type();
        if (kind.is_symlink() || kind.is_hard_link()) && keep(&rel) {
            let target = entry
                .link_name()
                .map_err(|e| format!("entry '{}': {e}", name.display()))?
                .ok_or_else(|| format!("link '{}' without a target", name.display()))?
                .into_owned();
            out.link(&rel, &target, kind.is_symlink())?;
            continue;
        }
        if !keep(&rel) {
            continue;
        }
        if kind.is_dir() {
            out.dir(&rel)?;
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            out.file(&rel, &mut entry)?;
        } else {
            out.skipped
                .push(format!("entry '{}' of type {kind:?}", name.display()));
        }
    }
    Ok(())
}

/// A Debian package: the `data.tar.*` member, keeping only PostgreSQL's
/// share directory (`usr/share/postgresql/`).
fn unpack_deb(file: File, out: &mut Writer) -> Result<(), String> {
    let mut ar = ar::Archive::new(file);
    let mut members = Vec::new();
    while let Some(entry) = ar.next_entry() {
        let entry = entry.map_err(|e| format!("not a readable ar archive (.deb): {e}"))?;
        let id = String::from_utf8_lossy(entry.header().identifier())
            .trim_end_matches('/')
            .to_string();
        if !id.starts_with("data.tar") {
            members.push(id);
            continue;
        }
        let keep = |p: &Path| p.starts_with("usr/share/postgresql");
        return match id.as_str() {
            "data.tar" => unpack_tar(entry, out, keep),
            "data.tar.gz" => unpack_tar(flate2::read::GzDecoder::new(entry), out, keep),
            "data.tar.xz" => unpack_tar(
                lzma_rust2::XzReader::new_mem_limit(entry, true, 128 * 1024),
                out,
                keep,
            ),
            "data.tar.zst" => {
                let decoder = ruzstd::decoding::StreamingDecoder::new(entry)
                    .map_err(|e| format!("{id}: not a readable zstd stream: {e}"))?;
                unpack_tar(decoder, out, keep)
            }
            other => Err(format!("unsupported data member '{other}'")),
        }
        .map_err(|e| format!("{id}: {e}"));
    }
    Err(format!(
        "no data.tar member (members: {}); not a Debian package?",
        if members.is_empty() {
            "none".to_string()
        } else {
            members.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_relative_rejects_escapes() {
        assert!(safe_relative(Path::new("../x")).is_err());
        assert!(safe_relative(Path::new("a/../../x")).is_err());
        assert!(safe_relative(Path::new("/etc/passwd")).is_err());
        assert_eq!(
            safe_relative(Path::new("./a/./b.sql")).unwrap(),
            Some(PathBuf::from("a/b.sql"))
        );
        assert_eq!(safe_relative(Path::new("./")).unwrap(), None);
    }

    #[test]
    fn links_resolve_lexically_inside_the_root() {
        assert_eq!(
            resolve_inside(Path::new("a/b"), Path::new("../c")),
            Some(PathBuf::from("a/c"))
        );
        assert_eq!(resolve_inside(Path::new("a"), Path::new("../../x")), None);
        assert_eq!(resolve_inside(Path::new("a"), Path::new("/etc")), None);
    }
}
