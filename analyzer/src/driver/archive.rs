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
    /// A PGXN binary package (`.trunk`): a zip, or a gzip-compressed tar.
    Trunk,
    /// An RPM package: headers, then a cpio archive (gzip, xz, zstd, bzip2 or lzma).
    Rpm,
    /// A plain tar: a container image as `docker save` / `podman save`
    /// write it, an OCI image layout, or any other tree.
    Tar,
    /// A directory holding an OCI image layout (`oci-layout`, `index.json`, `blobs/`).
    OciDir,
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
        } else if name.ends_with(".trunk") {
            Some(ArchiveKind::Trunk)
        } else if name.ends_with(".rpm") {
            Some(ArchiveKind::Rpm)
        } else if name.ends_with(".tar") {
            Some(ArchiveKind::Tar)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveKind::Zip => "zip",
            ArchiveKind::TarGz => "tar.gz",
            ArchiveKind::Deb => "deb",
            ArchiveKind::Trunk => "trunk",
            ArchiveKind::Rpm => "rpm",
            ArchiveKind::Tar => "tar",
            ArchiveKind::OciDir => "oci-layout",
        }
    }
}

/// Caps on what one archive may unpack to, and which of a multi-platform
/// image's platforms to read.
#[derive(Debug, Clone)]
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
    /// Read only the images of this platform (`linux/arm64`, `os/arch[/variant]`)
    /// of a multi-platform image index; `None`: every platform.
    pub platform: Option<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 1 << 30,
            max_entries: 100_000,
            max_ratio: 200,
            ratio_floor: 4 << 20,
            platform: None,
        }
    }
}

/// An unpacked archive. Dropping it removes the directory.
#[derive(Debug)]
pub struct Unpacked {
    pub dir: TempDir,
    /// Entries skipped (device files, links to missing targets...), for information.
    pub skipped: Vec<String>,
    /// Package metadata the archive's own headers carry (RPM).
    pub metadata: Option<super::Package>,
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
    pub(crate) fn new_in(parent: &Path) -> std::io::Result<TempDir> {
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
    let blobs = match kind {
        ArchiveKind::OciDir => Some(super::oci::Blobs::Dir(archive.to_path_buf())),
        ArchiveKind::Tar => Some(super::oci::Blobs::index_tar(archive, limits.max_entries)?),
        _ => None,
    };
    let len = match &blobs {
        Some(b) => b.total_len(),
        None => std::fs::metadata(archive).map_err(|e| e.to_string())?.len(),
    };
    let dir =
        TempDir::new_in(parent).map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    // (after the directory exists: a panic must still remove it)
    crate::test_hook::panic_if_requested(&archive.to_string_lossy());
    let mut out = Writer {
        root: dir.path().to_path_buf(),
        budget: Budget {
            limits: limits.clone(),
            archive_len: len.max(1),
            written: 0,
            entries: 0,
        },
        links: Vec::new(),
        skipped: Vec::new(),
        metadata: None,
    };
    if let Some(blobs) = blobs {
        if blobs.is_image() {
            super::oci::unpack_images(&blobs, &mut out)?;
        } else if kind == ArchiveKind::Tar {
            let file = File::open(archive).map_err(|e| e.to_string())?;
            unpack_tar(file, &mut out, |_| true)?;
        } else {
            return Err("no index.json: not an OCI image layout".into());
        }
        out.materialise_links()?;
        return Ok(Unpacked {
            dir,
            skipped: out.skipped,
            metadata: out.metadata,
        });
    }
    let file = File::open(archive).map_err(|e| e.to_string())?;
    match kind {
        ArchiveKind::Zip => unpack_zip(file, &mut out)?,
        ArchiveKind::TarGz => unpack_tar(flate2::read::GzDecoder::new(file), &mut out, |_| true)?,
        ArchiveKind::Deb => unpack_deb(file, &mut out)?,
        ArchiveKind::Rpm => unpack_rpm(file, &mut out)?,
        ArchiveKind::Trunk => {
            if starts_with(archive, b"PK\x03\x04")? {
                unpack_zip(file, &mut out)?
            } else if starts_with(archive, &[0x1f, 0x8b])? {
                unpack_tar(flate2::read::GzDecoder::new(file), &mut out, |_| true)?
            } else {
                return Err("neither a zip nor a gzip-compressed tar archive".into());
            }
        }
        ArchiveKind::Tar | ArchiveKind::OciDir => unreachable!("read as images above"),
    }
    out.materialise_links()?;
    Ok(Unpacked {
        dir,
        skipped: out.skipped,
        metadata: out.metadata,
    })
}

/// Does the file begin with `magic`?
fn starts_with(path: &Path, magic: &[u8]) -> Result<bool, String> {
    let mut head = vec![0u8; magic.len()];
    let mut f = File::open(path).map_err(|e| e.to_string())?;
    Ok(f.read_exact(&mut head).is_ok() && head == magic)
}

/// Counts what has been written and refuses to go past the [`Limits`].
#[derive(Clone)]
pub(super) struct Budget {
    pub(super) limits: Limits,
    archive_len: u64,
    pub(super) written: u64,
    entries: u64,
}

impl Budget {
    pub(super) fn entry(&mut self) -> Result<(), String> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(format!(
                "more than {} entries (--max-entries)",
                self.limits.max_entries
            ));
        }
        Ok(())
    }

    pub(super) fn bytes(&mut self, n: u64) -> Result<(), String> {
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
pub(super) struct Writer {
    pub(super) root: PathBuf,
    pub(super) budget: Budget,
    links: Vec<Link>,
    pub(super) skipped: Vec<String>,
    pub(super) metadata: Option<super::Package>,
}

impl Writer {
    pub(super) fn dir(&mut self, rel: &Path) -> Result<(), String> {
        std::fs::create_dir_all(self.root.join(rel)).map_err(|e| format!("{}: {e}", rel.display()))
    }

    pub(super) fn file(&mut self, rel: &Path, data: &mut dyn Read) -> Result<(), String> {
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
    pub(super) fn link(&mut self, rel: &Path, target: &Path, symbolic: bool) -> Result<(), String> {
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

    /// Drop a pending link at exactly `rel` (a later layer put a directory there).
    pub(super) fn forget_link_at(&mut self, rel: &Path) {
        self.links.retain(|l| l.at != rel);
    }

    /// Where the pending links are (relative to the root).
    pub(super) fn pending_links(&self) -> Vec<PathBuf> {
        self.links.iter().map(|l| l.at.clone()).collect()
    }

    /// Drop the pending links at `rel` or under it (an image's later layer
    /// replaced or deleted them).
    pub(super) fn forget_links(&mut self, rel: &Path) {
        self.links.retain(|l| !l.at.starts_with(rel));
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
            out.link(&rel, &link_target(&mut entry, &name)?, true)?;
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

/// The target of a symbolic link stored as the entry's data (zip, cpio).
fn link_target(entry: &mut dyn Read, name: &str) -> Result<PathBuf, String> {
    let mut target = Vec::new();
    entry
        .take(4096)
        .read_to_end(&mut target)
        .map_err(|e| format!("entry '{name}': {e}"))?;
    Ok(PathBuf::from(String::from_utf8_lossy(&target).into_owned()))
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
            // sizes past 8 GiB are base-256 or PAX: the declared size is
            // refused before anything is decompressed
            if entry.size() > out.budget.limits.max_total_bytes {
                return Err(format!(
                    "entry '{}' declares {} bytes, more than {} (--max-unpacked-size)",
                    name.display(),
                    entry.size(),
                    out.budget.limits.max_total_bytes
                ));
            }
            out.file(&rel, &mut entry)?;
        } else {
            out.skipped
                .push(format!("entry '{}' of type {kind:?}", name.display()));
        }
    }
    Ok(())
}

/// Is this where a distribution puts PostgreSQL's files (a component
/// named `pgsql*` or `postgresql*`: `/usr/pgsql-15/share/extension`,
/// `/usr/share/postgresql15/extension`, `/usr/lib/postgresql/15/lib`,
/// `/usr/lib64/pgsql`)?
pub fn is_postgres_path(p: &Path) -> bool {
    p.components().any(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        c.starts_with("pgsql") || c.starts_with("postgresql")
    })
}

/// A decompressing reader for a stream that starts with `head` (gzip, xz,
/// zstd, bzip2, lzma, or nothing: uncompressed).
pub(super) fn decompress<'a, R: Read + 'a>(
    head: &[u8],
    r: R,
) -> Result<Box<dyn Read + 'a>, String> {
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(r))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Box::new(lzma_rust2::XzReader::new_mem_limit(r, true, 128 * 1024))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(
            ruzstd::decoding::StreamingDecoder::new(r)
                .map_err(|e| format!("not a readable zstd stream: {e}"))?,
        )
    } else if head.starts_with(b"BZh") {
        Box::new(bzip2::read::MultiBzDecoder::new(r))
    } else if head.starts_with(&[0x5d, 0, 0]) {
        // the .lzma ("alone") format rpm's lzdio writes: as xz, 128 MiB of dictionary at most
        Box::new(
            lzma_rust2::LzmaReader::new_mem_limit(r, 128 * 1024, None)
                .map_err(|e| format!("not a readable lzma stream: {e}"))?,
        )
    } else {
        Box::new(r)
    })
}

/// The size an RPM header (`8e ad e8 01`, index count, data size) at
/// `head` declares, refused past rpm's own limits before anything is
/// allocated for it.
fn rpm_header_len(head: &[u8]) -> Result<u64, String> {
    if head.len() < 16 || head[..3] != [0x8e, 0xad, 0xe8] {
        return Err("no RPM header where one should be (truncated or not an RPM)".into());
    }
    let n = u32::from_be_bytes([head[8], head[9], head[10], head[11]]) as u64;
    let data = u32::from_be_bytes([head[12], head[13], head[14], head[15]]) as u64;
    // rpm's limits: 0xffff entries, 256 MiB of data
    if n > 0xffff || data > 256 << 20 {
        return Err(format!(
            "RPM header declares {n} entries and {data} bytes of data, more than rpm accepts"
        ));
    }
    Ok(16 + 16 * n + data)
}

/// An RPM package: lead and headers read by the `rpm` crate (sizes checked
/// first), then the payload, a newc cpio archive, decompressed by its
/// magic bytes. Only PostgreSQL's directories ([`is_postgres_path`]) are
/// kept; name, version and release become the package's metadata.
fn unpack_rpm(mut file: File, out: &mut Writer) -> Result<(), String> {
    use std::io::{BufRead, Seek, SeekFrom};
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    // lead (96 bytes), signature header (padded to 8), header
    let mut head = [0u8; 16];
    let mut at = 96u64;
    for padded in [true, false] {
        file.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        file.read_exact(&mut head)
            .map_err(|_| "truncated before its headers end (not an RPM?)".to_string())?;
        at += rpm_header_len(&head)?;
        if padded {
            at = at.div_ceil(8) * 8;
        }
    }
    if at > len {
        return Err(format!(
            "headers declare {at} bytes, the file has {len} (truncated)"
        ));
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::new(file);
    let meta = rpm::PackageMetadata::parse(&mut reader)
        .map_err(|e| format!("not a readable RPM package: {e}"))?;
    let version = match (meta.get_version(), meta.get_release()) {
        (Ok(v), Ok(r)) => Some(format!("{v}-{r}")),
        (Ok(v), Err(_)) => Some(v.to_string()),
        _ => None,
    };
    out.metadata = Some(super::Package {
        registry: "rpm",
        name: meta.get_name().ok().map(str::to_string),
        version,
        ..super::Package::default()
    });
    // SHA-256 of the compressed payload, which rpm 4.14 and later record
    let want = meta
        .header
        .get_entry_data_as_string_array(rpm::IndexTag::RPMTAG_PAYLOADSHA256)
        .ok()
        .and_then(|v| v.first().map(|h| h.to_ascii_lowercase()));
    let mut hashing = super::oci::Hashing::new(reader);
    {
        let mut peek = std::io::BufReader::new(&mut hashing);
        let head = peek.fill_buf().map_err(|e| e.to_string())?.to_vec();
        let mut payload = std::io::BufReader::new(decompress(&head, peek)?);
        let magic = payload
            .fill_buf()
            .map_err(|e| format!("truncated or corrupt cpio payload: {e}"))?;
        if magic.starts_with(b"07070X") {
            return Err("payload in rpm's \"stripped\" cpio format, which rpm writes when a file is 4 GiB or larger (sizes kept in the header): not supported".into());
        }
        unpack_cpio(payload, out, is_postgres_path)?;
    }
    let got = hashing.finish().map_err(|e| e.to_string())?;
    match want {
        Some(want) if want != got => Err(format!(
            "payload SHA-256 is {got}, the header says {want} (altered after it was built)"
        )),
        _ => Ok(()),
    }
}

/// A newc (`070701`/`070702`) cpio stream, keeping the entries whose
/// path `keep` accepts. Hard links: the entry carrying the data comes
/// last in its group; the others become links to it.
fn unpack_cpio<R: Read>(
    mut reader: R,
    out: &mut Writer,
    keep: impl Fn(&Path) -> bool,
) -> Result<(), String> {
    const S_IFMT: u32 = 0o170000;
    const S_IFREG: u32 = 0o100000;
    const S_IFDIR: u32 = 0o040000;
    const S_IFLNK: u32 = 0o120000;
    // (dev, ino) -> names waiting for the entry with the data
    let mut pending: std::collections::HashMap<(u32, u32, u32), Vec<PathBuf>> =
        std::collections::HashMap::new();
    loop {
        if super::cancelled() {
            return Err("interrupted".into());
        }
        let mut entry = match cpio::NewcReader::new(reader) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(format!("corrupt cpio payload: {e}"))
            }
            Err(e) => return Err(format!("truncated or corrupt cpio payload: {e}")),
        };
        if entry.entry().is_trailer() {
            return Ok(());
        }
        out.budget.entry()?;
        let name = entry.entry().name().to_string();
        let mode = entry.entry().mode();
        let size = entry.entry().file_size();
        let key = (
            entry.entry().dev_major(),
            entry.entry().dev_minor(),
            entry.entry().ino(),
        );
        let nlink = entry.entry().nlink();
        let rel = safe_relative(Path::new(&name))?;
        match (rel, mode & S_IFMT) {
            (Some(rel), _) if !keep(&rel) => {}
            (Some(rel), S_IFDIR) => out.dir(&rel)?,
            (Some(rel), S_IFLNK) => out.link(&rel, &link_target(&mut entry, &name)?, true)?,
            (Some(rel), S_IFREG) if size == 0 && nlink > 1 => {
                pending.entry(key).or_default().push(rel);
            }
            (Some(rel), S_IFREG) => {
                out.file(&rel, &mut entry)?;
                for other in pending.remove(&key).unwrap_or_default() {
                    out.link(&other, &rel, false)?;
                }
            }
            (Some(_), _) => out.skipped.push(format!("entry '{name}' of mode {mode:o}")),
            (None, _) => {}
        }
        reader = entry
            .finish()
            .map_err(|e| format!("truncated or corrupt cpio payload: {e}"))?;
    }
}

/// A Debian package: the `data.tar.*` member, keeping only PostgreSQL's
/// share directory (`usr/share/postgresql/`) and the shared libraries
/// under `usr/lib/postgresql/` (`usr/lib/postgresql/N/lib/*.so`).
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
        let keep = |p: &Path| {
            p.starts_with("usr/share/postgresql")
                || (p.starts_with("usr/lib/postgresql") && super::is_shared_library(p))
        };
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
