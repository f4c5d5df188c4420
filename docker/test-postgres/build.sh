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
# It says what it did on stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
me=docker/test-postgres/build.sh
hash_label="io.airbyte-rs.test-postgres.context-sha256"
# shellcheck source=docker/test-image.sh
. "$here/../test-image.sh"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -n $bindir ]] || die "no PostgreSQL server under /usr/lib/postgresql: run scripts/setup-test-env.sh"
pgdir="$(dirname "$bindir")"
major="$(basename "$pgdir")"
image="${PG_IMAGE:-airbyte-rs/test-postgres:$major}"

test_image_start

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
stage_libs "${elves[@]}"
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

build_test_image "$image" "PostgreSQL $major"
