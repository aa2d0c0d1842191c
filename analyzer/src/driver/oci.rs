//! Container images: a `docker save` / `podman save` tar (`manifest.json`
//! listing each image's layers) and an OCI image layout (`index.json`,
//! `blobs/sha256/...`), as a directory or a tar.
//!
//! Each image's layers are applied in order into its own directory of
//! the unpacked tree (`image-1/`, ...; `image-2-linux-arm64-v8/` when the
//! index names its platform: a multi-platform index gives one per
//! platform, or only those of `--platform`), under [`super::archive`]'s rules
//! (paths inside, links inside, size, entry and ratio caps), with
//! whiteouts: `.wh.NAME` deletes `NAME` of the layers below, and
//! `.wh..wh..opq` empties its directory of them. Only what a PostgreSQL
//! extension can be made of is kept: PostgreSQL's directories
//! ([`super::archive::is_postgres_path`]) and an `extension_control_path`
//! image's own root (`share/extension/`, files directly in `lib/`). A
//! layer whose SHA-256 is not the digest its manifest names rejects the image.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::archive::{decompress, safe_relative, Budget, Writer};

/// Where an image's files are: a directory, or the members of a tar.
pub enum Blobs {
    Dir(PathBuf),
    /// The tar file, and each member's (offset of its data, size).
    Tar(PathBuf, HashMap<PathBuf, (u64, u64)>),
}

impl Blobs {
    /// Index the members of a tar (headers only, nothing is unpacked), at
    /// most `max_entries` of them.
    pub fn index_tar(path: &Path, max_entries: u64) -> Result<Blobs, String> {
        let f = File::open(path).map_err(|e| e.to_string())?;
        let mut archive = tar::Archive::new(BufReader::new(f));
        let mut members = HashMap::new();
        let mut seen = 0u64;
        for entry in archive
            .entries()
            .map_err(|e| format!("not a readable tar archive: {e}"))?
        {
            let entry = entry.map_err(|e| format!("corrupt or truncated tar archive: {e}"))?;
            seen += 1;
            if seen > max_entries {
                return Err(format!(
                    "more than {max_entries} members in the tar (--max-entries)"
                ));
            }
            let name = entry
                .path()
                .map_err(|e| format!("tar entry with an unreadable name: {e}"))?
                .into_owned();
            if let Some(rel) = safe_relative(&name)? {
                if entry.header().entry_type().is_file() {
                    members.insert(rel, (entry.raw_file_position(), entry.size()));
                }
            }
        }
        Ok(Blobs::Tar(path.to_path_buf(), members))
    }

    /// Is this an image: `manifest.json` (docker save) or `index.json` (OCI)?
    pub fn is_image(&self) -> bool {
        self.exists(Path::new("manifest.json")) || self.exists(Path::new("index.json"))
    }

    fn exists(&self, rel: &Path) -> bool {
        match self {
            Blobs::Dir(d) => std::fs::symlink_metadata(d.join(rel)).is_ok_and(|m| m.is_file()),
            Blobs::Tar(_, m) => m.contains_key(rel),
        }
    }

    /// The total size of the blobs (the archive size for the ratio cap).
    pub fn total_len(&self) -> u64 {
        match self {
            Blobs::Dir(d) => dir_len(d, 0),
            Blobs::Tar(p, _) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        }
    }

    /// Open member `name` (a relative path with no `..`; in a directory,
    /// a regular file that is not a link).
    fn open(&self, name: &str) -> Result<Box<dyn Read>, String> {
        let rel =
            safe_relative(Path::new(name))?.ok_or_else(|| format!("'{name}' names no file"))?;
        match self {
            Blobs::Dir(d) => {
                let p = d.join(&rel);
                let m = std::fs::symlink_metadata(&p).map_err(|e| format!("{name}: {e}"))?;
                if !m.is_file() {
                    return Err(format!("{name}: not a regular file in the image"));
                }
                Ok(Box::new(
                    File::open(&p).map_err(|e| format!("{name}: {e}"))?,
                ))
            }
            Blobs::Tar(p, members) => {
                let &(at, len) = members
                    .get(&rel)
                    .ok_or_else(|| format!("{name}: not in the image tar"))?;
                let mut f = File::open(p).map_err(|e| e.to_string())?;
                f.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
                Ok(Box::new(f.take(len)))
            }
        }
    }

    fn json(&self, name: &str) -> Result<serde_json::Value, String> {
        let mut text = Vec::new();
        self.open(name)?
            .take(16 << 20)
            .read_to_end(&mut text)
            .map_err(|e| format!("{name}: {e}"))?;
        serde_json::from_slice(&text).map_err(|e| format!("{name}: invalid JSON: {e}"))
    }
}

fn dir_len(d: &Path, depth: usize) -> u64 {
    if depth > 8 {
        return 0;
    }
    std::fs::read_dir(d)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_len(&e.path(), depth + 1),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// A layer to apply: where it is, and the digest it must have.
struct Layer {
    name: String,
    digest: Option<String>,
}

/// One image: a name (tag or reference) and its layers, bottom first.
struct Image {
    name: Option<String>,
    layers: Vec<Layer>,
    /// `os/arch[/variant]` from the index's descriptor.
    platform: Option<String>,
    /// The manifest's digest (OCI layouts).
    manifest: Option<String>,
}

/// `sha256:HEX` -> `blobs/sha256/HEX`, refusing anything else.
fn blob_path(digest: &str) -> Result<String, String> {
    match digest.split_once(':') {
        Some((alg, hex))
            if !alg.is_empty()
                && alg.bytes().all(|b| b.is_ascii_alphanumeric())
                && !hex.is_empty()
                && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(format!("blobs/{alg}/{hex}"))
        }
        _ => Err(format!("'{digest}' is not a digest")),
    }
}

/// The images of a docker-save tar (its `manifest.json`) or, failing
/// that, of an OCI layout (`index.json`, following nested indexes).
fn images(blobs: &Blobs) -> Result<Vec<Image>, String> {
    if blobs.exists(Path::new("manifest.json")) {
        let m = blobs.json("manifest.json")?;
        let list = m.as_array().ok_or("manifest.json: not a list of images")?;
        return list
            .iter()
            .map(|img| {
                let layers = img["Layers"]
                    .as_array()
                    .ok_or("manifest.json: an image without Layers")?
                    .iter()
                    .map(|l| {
                        let name = l.as_str().ok_or("manifest.json: a layer is not a path")?;
                        // newer docker writes blobs/sha256/HEX: check those too
                        let digest = name
                            .strip_prefix("blobs/sha256/")
                            .map(|hex| format!("sha256:{hex}"));
                        Ok(Layer {
                            name: name.to_string(),
                            digest,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Image {
                    name: img["RepoTags"][0].as_str().map(str::to_string),
                    layers,
                    platform: None,
                    manifest: None,
                })
            })
            .collect();
    }
    let index = blobs.json("index.json")?;
    let mut out = Vec::new();
    manifests(blobs, &index, None, None, &mut out, 0)?;
    Ok(out)
}

/// `os/arch[/variant]` of an index descriptor's `platform`.
fn platform_of(descriptor: &serde_json::Value) -> Option<String> {
    let p = descriptor.get("platform")?;
    let mut s = format!("{}/{}", p["os"].as_str()?, p["architecture"].as_str()?);
    if let Some(v) = p["variant"].as_str().filter(|v| !v.is_empty()) {
        s.push('/');
        s.push_str(v);
    }
    Some(s)
}

/// Does an image of platform `have` answer a `--platform want`
/// (`linux/arm64` takes `linux/arm64/v8`)? An image of no stated
/// platform answers any.
pub fn platform_matches(want: &str, have: Option<&str>) -> bool {
    match have {
        None => true,
        Some(h) => h == want || h.strip_prefix(want).is_some_and(|r| r.starts_with('/')),
    }
}

fn manifests(
    blobs: &Blobs,
    index: &serde_json::Value,
    name: Option<String>,
    platform: Option<String>,
    out: &mut Vec<Image>,
    depth: usize,
) -> Result<(), String> {
    if depth > 4 {
        return Err("image indexes nested more than 4 deep".into());
    }
    let list = index["manifests"]
        .as_array()
        .ok_or("index.json: no manifests")?;
    for m in list {
        let digest = m["digest"].as_str().ok_or("a manifest without a digest")?;
        let name = m["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .map(str::to_string)
            .or(name.clone());
        // BuildKit's attestations (provenance, SBOM) sit in the index as
        // manifests of platform unknown/unknown: not images
        if m["annotations"]["vnd.docker.reference.type"].as_str() == Some("attestation-manifest") {
            continue;
        }
        let platform = platform_of(m).or(platform.clone());
        let media = m["mediaType"].as_str().unwrap_or("");
        let json = blobs.json(&blob_path(digest)?)?;
        if media.contains("index")
            || media.contains("manifest.list")
            || json.get("manifests").is_some()
        {
            manifests(blobs, &json, name, platform, out, depth + 1)?;
            continue;
        }
        let layers = json["layers"]
            .as_array()
            .ok_or_else(|| format!("manifest {digest}: no layers"))?
            .iter()
            .map(|l| {
                let d = l["digest"].as_str().ok_or("a layer without a digest")?;
                Ok(Layer {
                    name: blob_path(d)?,
                    digest: Some(d.to_string()),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        out.push(Image {
            name,
            layers,
            platform,
            manifest: Some(digest.to_string()),
        });
    }
    Ok(())
}

/// Is `rel` (inside an image) part of what an extension can be made of?
pub fn keep(rel: &Path) -> bool {
    let n = rel.components().count();
    super::archive::is_postgres_path(rel)
        || rel.starts_with("share/extension")
        || (rel.starts_with("lib") && n == 2)
}

/// A reader that hashes what passes through it.
pub(super) struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Hashing<R> {
    pub(super) fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hash: Sha256::new(),
        }
    }

    /// Read what is left, and the SHA-256 of everything read, in hex.
    pub(super) fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(self
            .hash
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// A reader that counts what it decompresses against a [`Budget`] shared
/// by all the layers of an archive: a layer of files that are not kept
/// still cannot decompress without end.
struct Capped<R> {
    inner: R,
    budget: std::rc::Rc<std::cell::RefCell<Budget>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if super::cancelled() {
            return Err(std::io::Error::other("interrupted"));
        }
        let n = self.inner.read(buf)?;
        self.budget
            .borrow_mut()
            .bytes(n as u64)
            .map_err(|e| std::io::Error::other(format!("layers decompress to too much: {e}")))?;
        Ok(n)
    }
}

/// Apply every image of `blobs` into `image-N/` under the writer's root.
pub(super) fn unpack_images(blobs: &Blobs, out: &mut Writer) -> Result<(), String> {
    let mut images = images(blobs)?;
    if images.is_empty() {
        return Err("the image index lists no image".into());
    }
    if let Some(want) = out.budget.limits.platform.clone() {
        let all: Vec<String> = images.iter().filter_map(|i| i.platform.clone()).collect();
        images.retain(|i| platform_matches(&want, i.platform.as_deref()));
        if images.is_empty() {
            return Err(format!(
                "no image for platform {want} (--platform); the index has {}",
                all.join(", ")
            ));
        }
    }
    let mut names = Vec::new();
    let mut refs = Vec::new();
    let mut fresh = out.budget.clone();
    fresh.written = 0;
    let read = std::rc::Rc::new(std::cell::RefCell::new(fresh));
    for (i, img) in images.iter().enumerate() {
        // image-2-linux-arm64-v8: the platform in every path shown
        let mut dir = format!("image-{}", i + 1);
        if let Some(p) = &img.platform {
            dir.push('-');
            dir.extend(
                p.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }),
            );
        }
        let base = PathBuf::from(&dir);
        out.dir(&base)?;
        for layer in &img.layers {
            apply_layer(blobs, layer, &base, out, &read)
                .map_err(|e| format!("layer {}: {e}", layer.name))?;
        }
        names.extend(img.name.clone());
        refs.push(super::inputs::ImageRef {
            dir,
            name: img.name.clone(),
            platform: img.platform.clone(),
            manifest: img.manifest.clone(),
        });
    }
    names.dedup();
    out.metadata = Some(super::Package {
        registry: "oci",
        name: names.first().cloned(),
        version: None,
        provides: names,
        images: refs,
        ..super::Package::default()
    });
    Ok(())
}

fn apply_layer(
    blobs: &Blobs,
    layer: &Layer,
    base: &Path,
    out: &mut Writer,
    read: &std::rc::Rc<std::cell::RefCell<Budget>>,
) -> Result<(), String> {
    let mut hashing = Hashing::new(BufReader::new(blobs.open(&layer.name)?));
    {
        let mut peek = BufReader::new(&mut hashing);
        let head = peek.fill_buf().map_err(|e| e.to_string())?.to_vec();
        let reader = Capped {
            inner: decompress(&head, peek)?,
            budget: read.clone(),
        };
        let mut archive = tar::Archive::new(reader);
        // paths written by this layer: its own whiteouts do not touch them
        let mut mine: HashSet<PathBuf> = HashSet::new();
        for entry in archive
            .entries()
            .map_err(|e| format!("not a readable tar archive: {e}"))?
        {
            if super::cancelled() {
                return Err("interrupted".into());
            }
            out.budget.entry()?;
            let mut entry = entry.map_err(|e| format!("corrupt or truncated layer: {e}"))?;
            let name = entry
                .path()
                .map_err(|e| format!("entry with an unreadable name: {e}"))?
                .into_owned();
            let Some(rel) = safe_relative(&name)? else {
                continue;
            };
            let file_name = rel.file_name().unwrap_or_default().to_string_lossy();
            if let Some(hidden) = file_name.strip_prefix(".wh.") {
                let dir = rel.parent().unwrap_or(Path::new(""));
                if hidden == ".wh..opq" {
                    // empty the directory of the layers below: what is on
                    // disk, and links not made yet
                    let d = out.root.join(base).join(dir);
                    let mut children: Vec<PathBuf> = std::fs::read_dir(&d)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .map(|e| dir.join(e.file_name()))
                        .collect();
                    let under = base.join(dir);
                    children.extend(out.pending_links().into_iter().filter_map(|l| {
                        let rest = l.strip_prefix(&under).ok()?;
                        Some(dir.join(rest.components().next()?))
                    }));
                    for child in children {
                        if !mine.iter().any(|m| m.starts_with(&child)) {
                            remove(out, &base.join(&child));
                        }
                    }
                } else {
                    let gone = dir.join(hidden);
                    if !mine.iter().any(|m| m.starts_with(&gone)) {
                        remove(out, &base.join(&gone));
                    }
                }
                continue;
            }
            let kind = entry.header().entry_type();
            if !keep(&rel) && !kind.is_dir() {
                continue;
            }
            let at = base.join(&rel);
            mine.insert(rel.clone());
            if kind.is_dir() {
                if keep(&rel) {
                    if std::fs::symlink_metadata(out.root.join(&at)).is_ok_and(|m| !m.is_dir()) {
                        remove(out, &at);
                    }
                    out.forget_link_at(&at);
                    out.dir(&at)?;
                }
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name()
                    .map_err(|e| format!("entry '{}': {e}", name.display()))?
                    .ok_or_else(|| format!("link '{}' without a target", name.display()))?
                    .into_owned();
                remove(out, &at);
                if kind.is_symlink() {
                    // absolute targets are relative to the image's root
                    let target = match target.strip_prefix("/") {
                        Ok(t) => {
                            let up = "../".repeat(rel.components().count() - 1);
                            PathBuf::from(up).join(t)
                        }
                        Err(_) => target,
                    };
                    out.link(&at, &target, true)?;
                } else {
                    out.link(&at, &base.join(&target), false)?;
                }
            } else if kind.is_file() || kind == tar::EntryType::Continuous {
                remove(out, &at);
                out.file(&at, &mut entry)?;
            } else {
                out.skipped
                    .push(format!("entry '{}' of type {kind:?}", name.display()));
            }
        }
    }
    // the digest covers the whole blob, padding included
    let got = hashing.finish().map_err(|e| e.to_string())?;
    if let Some(want) = &layer.digest {
        if want.strip_prefix("sha256:").is_some_and(|w| w != got) {
            return Err(format!("SHA-256 is {got}, the manifest says {want}"));
        }
    }
    Ok(())
}

/// Delete what a lower layer put at `at` (file, directory or pending link).
fn remove(out: &mut Writer, at: &Path) {
    out.forget_links(at);
    let p = out.root.join(at);
    match std::fs::symlink_metadata(&p) {
        Ok(m) if m.is_dir() => {
            let _ = std::fs::remove_dir_all(&p);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(&p);
        }
        Err(_) => {}
    }
}
