#!/usr/bin/env python3
"""Write the seeds of fuzz target `archive` into fuzz/seeds/archive/.

An `archive` input is one selector byte (0: zip, 1: tar.gz, 2: .deb; see
`archive_kind` in analyzer/tests/fuzz_support/mod.rs) followed by the
archive. The seeds are small real archives of each kind the scanner reads:
a PGXN-style zip (META.json, control file, SQL scripts, a directory entry,
a symlink), a Trunk-style tar.gz (manifest.json, links inside the archive),
.deb packages with data.tar, data.tar.gz, data.tar.xz and data.tar.zst, and
a few hostile ones (path traversal, a link out of the archive, a small
compression bomb) whose rejection paths the fuzzer can mutate from.

Python standard library only. The ar container of .deb and the zstd frame
(raw blocks: no compression needed) are written by hand. Output is
deterministic (fixed timestamps), so rerunning it changes nothing:

    python3 fuzz/seeds/make_archive_seeds.py
"""

import gzip
import io
import lzma
import os
import struct
import tarfile
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "archive")
MTIME = 1_700_000_000

ZIP, TAR_GZ, DEB = 0, 1, 2

CONTROL = b"default_version = '1.0'\nrelocatable = true\n"
INSTALL = b"""-- demo extension
CREATE FUNCTION @extschema@.demo_f(x int) RETURNS int
  LANGUAGE sql SECURITY DEFINER
  AS 'SELECT abs(x)';
"""
UPDATE = b"SELECT pg_catalog.now();\n"


def write_seed(name, selector, data):
    assert len(data) < 8192, f"{name}: {len(data)} bytes, keep seeds small"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([selector]) + data)


def zip_bytes(entries):
    """entries: (name, data) files, (name, None) directories, (name, ('link', target))."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3  # unix, so the mode bits count
            if data is None:
                info.external_attr = (0o40755 << 16) | 0x10
                z.writestr(info, b"")
            elif isinstance(data, tuple):
                info.external_attr = 0o120777 << 16
                z.writestr(info, data[1].encode())
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    return buf.getvalue()


def tar_bytes(entries):
    """entries: (name, data) files, (name, None) directories,
    (name, ('symlink' | 'hardlink', target)) links. Unpadded: the archive
    ends right after its two zero blocks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            info.mode = 0o644
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            elif isinstance(data, tuple):
                info.type = tarfile.SYMTYPE if data[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = data[1]
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        end = t.offset + 1024  # the members, then two zero blocks
    # drop tarfile's padding to a 10 KiB record
    return buf.getvalue()[:end]


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def xz(data):
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=1)


def zstd_raw(data):
    """A zstd frame holding `data` in raw (stored) blocks: single segment,
    4-byte content size, no checksum."""
    out = bytearray(struct.pack("<I", 0xFD2FB528))
    out.append(0b1010_0000)  # content size in 4 bytes, single segment
    out += struct.pack("<I", len(data))
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)] or [b""]
    for i, chunk in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        header = last | (0 << 1) | (len(chunk) << 3)  # block type 0: raw
        out += struct.pack("<I", header)[:3] + chunk
    return bytes(out)


def ar_bytes(members):
    """The ar archive a .deb is: a global header, then per member a 60-byte
    header (name, mtime, uid, gid, mode, size, magic) and the data padded to
    an even length."""
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        header = (
            f"{name:<16}{MTIME:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}".encode()
            + b"`\n"
        )
        assert len(header) == 60
        out += header + data
        if len(data) % 2:
            out += b"\n"
    return bytes(out)


def deb(data_name, data):
    control = gz(tar_bytes([("./control", b"Package: postgresql-15-demo\nVersion: 1.0\n")]))
    return ar_bytes([("debian-binary", b"2.0\n"), ("control.tar.gz", control), (data_name, data)])


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))

    meta = (
        b'{"name":"pair","version":"0.1.2","abstract":"x",'
        b'"provides":{"pair":{"file":"sql/pair--1.0.sql","version":"0.1.2"}}}'
    )
    write_seed(
        "pgxn.zip",
        ZIP,
        zip_bytes(
            [
                ("pair-0.1.2/", None),
                ("pair-0.1.2/META.json", meta),
                ("pair-0.1.2/pair.control", CONTROL),
                ("pair-0.1.2/sql/pair--1.0.sql", INSTALL),
                ("pair-0.1.2/sql/pair--1.0--1.1.sql", UPDATE),
                ("pair-0.1.2/sql/pair--1.1.sql", ("link", "pair--1.0.sql")),
            ]
        ),
    )

    manifest = (
        b'{"name":"demo","extension_name":"demo","version":"1.0","manifest_version":2,'
        b'"files":{"extension/demo.control":"control-file","extension/demo--1.0.sql":"sql-file",'
        b'"demo.so":"shared-object"},'
        b'"loadable_libraries":[{"library_name":"demo","requires_restart":true}]}'
    )
    write_seed(
        "trunk.tar.gz",
        TAR_GZ,
        gz(
            tar_bytes(
                [
                    ("manifest.json", manifest),
                    ("extension/", None),
                    ("extension/demo.control", CONTROL),
                    ("extension/demo--1.0.sql", INSTALL),
                    ("extension/demo--1.0--1.1.sql", UPDATE),
                    ("extension/demo--1.1.sql", ("symlink", "demo--1.0.sql")),
                    ("demo.so", b"\x7fELF"),
                    ("copy-of-control", ("hardlink", "extension/demo.control")),
                ]
            )
        ),
    )

    share = "./usr/share/postgresql/15/extension/"
    data = tar_bytes(
        [
            ("./", None),
            ("./usr/share/postgresql/15/extension/", None),
            (share + "demo.control", CONTROL),
            (share + "demo--1.0.sql", INSTALL),
            (share + "demo--1.0--1.1.sql", UPDATE),
            (share + "demo--1.1.sql", ("symlink", "demo--1.0.sql")),
            ("./usr/lib/postgresql/15/lib/demo.so", b"\x7fELF"),
        ]
    )
    write_seed("deb-data.tar.gz.deb", DEB, deb("data.tar.gz", gz(data)))
    write_seed("deb-data.tar.xz.deb", DEB, deb("data.tar.xz", xz(data)))
    # Uncompressed data (plain and in raw zstd blocks): fewer entries.
    small = tar_bytes(
        [
            (share + "demo.control", CONTROL),
            (share + "demo--1.0.sql", INSTALL),
            ("./usr/lib/postgresql/15/lib/demo.so", b"\x7fELF"),
        ]
    )
    write_seed("deb-data.tar.zst.deb", DEB, deb("data.tar.zst", zstd_raw(small)))
    write_seed("deb-data.tar.deb", DEB, deb("data.tar", small))

    # Hostile: rejected, but close to archives that are not.
    write_seed("traversal.zip", ZIP, zip_bytes([("ok.sql", UPDATE), ("../evil.sql", UPDATE)]))
    write_seed(
        "link-out.tar.gz",
        TAR_GZ,
        gz(tar_bytes([("a/ok.sql", UPDATE), ("a/passwd", ("symlink", "../../etc/passwd"))])),
    )
    write_seed("bomb.tar.gz", TAR_GZ, gz(tar_bytes([("big.sql", b"SELECT 1;\n" * 6_000)])))


if __name__ == "__main__":
    main()
