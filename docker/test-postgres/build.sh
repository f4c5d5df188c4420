#!/usr/bin/env bash
# Builds airbyte-rs/test-postgres:<major> (override with PG_IMAGE): the host's
# PostgreSQL server on top of the connector base image, so that tests can run
# a real PostgreSQL as a container on a private Docker network that they
# create (connectors in containers reach it by name; nothing is pulled).
#
# Usage: docker/test-postgres/build.sh
#
# It holds postgres, initdb, pg_ctl, pg_isready, pg_restore and psql from
# /usr/lib/postgresql/<major>/bin, glibc's C.utf8 locale, the server's loadable modules
# (pgoutput.so among them; not the LLVM JIT, which the server runs without),
# /usr/share/postgresql/<major>, the host's time-zone database, the shared
# libraries `ldd` reports for all of those, and docker/test-postgres/start.sh
# as its entrypoint. It runs as the connector base's user airbyte (1000).
#
# Idempotent: the image carries the sha256 of its build context in a label and
# is rebuilt only when that changes (a new host PostgreSQL, base or script).
set -euo pipefail
umask 022
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
base="${BASE_IMAGE:-airbyte-rs/connector-base:bookworm}"
hash_label="io.airbyte-rs.test-postgres.context-sha256"

die() {
    echo "docker/test-postgres/build.sh: $*" >&2
    exit 1
}

command -v docker >/dev/null 2>&1 || die "docker is not installed"
docker info >/dev/null 2>&1 || die "no Docker engine available (\`docker info\` failed)"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -n $bindir ]] || die "no PostgreSQL server under /usr/lib/postgresql: run scripts/setup-test-env.sh"
pgdir="$(dirname "$bindir")"
major="$(basename "$pgdir")"
image="${PG_IMAGE:-airbyte-rs/test-postgres:$major}"

# The connector base must exist (it carries glibc, /bin/sh and the user).
if ! docker image inspect "$base" >/dev/null 2>&1; then
    BASE_IMAGE="$base" "$root/docker/base/build.sh"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/test-postgres.XXXXXX")"
trap 'rm -rf "$work"' EXIT
ctx="$work/ctx"
rootfs="$ctx/rootfs"
mkdir -p "$rootfs"

# stage PATH: copies PATH (following symlinks) to the same path in the rootfs,
# with /lib/... and /lib64/... put under /usr (the base has Debian's merged
# /usr, where /lib is a symlink that COPY must not replace).
stage() {
    local dest="$1"
    case "$dest" in
        /lib/* | /lib64/* | /bin/* | /sbin/*) dest="/usr$dest" ;;
    esac
    mkdir -p "$rootfs$(dirname "$dest")"
    cp -L "$1" "$rootfs$dest"
}

elves=()
for name in postgres initdb pg_ctl pg_isready pg_restore psql; do
    [[ -x $bindir/$name ]] || die "$bindir/$name is missing (Debian packages postgresql, postgresql-client)"
    elves+=("$bindir/$name")
done
for module in "$pgdir"/lib/*.so; do
    [[ $(basename "$module") == llvmjit.so ]] && continue
    elves+=("$module")
done
for elf in "${elves[@]}"; do
    mkdir -p "$rootfs$(dirname "$elf")"
    cp -L "$elf" "$rootfs$elf"
done
# Shared libraries the base lacks (the base's glibc is this host's too).
mapfile -t libs < <(for elf in "${elves[@]}"; do
    LC_ALL=C ldd "$elf" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u)
for lib in "${libs[@]}"; do
    case "$(basename "$lib")" in
        libc.so.6 | libm.so.6 | libgcc_s.so.1 | ld-linux*) continue ;;
    esac
    stage "$lib"
done
mkdir -p "$rootfs/usr/share/postgresql"
cp -a "/usr/share/postgresql/$major" "$rootfs/usr/share/postgresql/"
[[ -d /usr/share/zoneinfo ]] || die "/usr/share/zoneinfo is missing (Debian package tzdata)"
cp -a /usr/share/zoneinfo "$rootfs/usr/share/"
# initdb --locale=C.UTF-8 needs glibc's compiled C.utf8 (Debian's libc-bin).
[[ -d /usr/lib/locale/C.utf8 ]] || die "/usr/lib/locale/C.utf8 is missing (Debian package libc-bin)"
mkdir -p "$rootfs/usr/lib/locale"
cp -a /usr/lib/locale/C.utf8 "$rootfs/usr/lib/locale/"
mkdir -p "$rootfs/usr/local/bin"
install -m 0755 "$here/start.sh" "$rootfs/usr/local/bin/test-postgres"

cat >"$ctx/Dockerfile" <<EOF
ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY rootfs/ /
ENV PATH=$bindir:/usr/local/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data TZ=UTC
USER airbyte
ENTRYPOINT ["/usr/local/bin/test-postgres"]
EOF

base_id="$(docker image inspect -f '{{.Id}}' "$base")"
hash="$({
    echo "$base_id"
    tar -C "$ctx" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - .
} | sha256sum | cut -c1-64)"
current="$(docker image inspect -f "{{ index .Config.Labels \"$hash_label\" }}" "$image" 2>/dev/null || true)"
if [[ $current == "$hash" ]]; then
    echo "$image is up to date (context sha256 ${hash:0:12})"
    exit 0
fi
echo "LABEL $hash_label=$hash" >>"$ctx/Dockerfile"
if ! docker build --tag "$image" --build-arg BASE_IMAGE="$base" "$ctx" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    die "docker build of $image failed"
fi
size="$(docker image inspect -f '{{.Size}}' "$image")"
echo "built $image ($((size / 1024 / 1024)) MiB, PostgreSQL $major, context sha256 ${hash:0:12})"
