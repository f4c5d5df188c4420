#!/usr/bin/env bash
# Builds airbyte-rs/test-http:py<major.minor> (override with HTTP_FIXTURE_IMAGE):
# source-http's fixture API (connectors/source-http/tests/fixtures/server.py)
# in a container, so that connector images on the private test network
# (scripts/test-network.sh, `--internal`: no way out to the host) reach it by
# name, as they reach the network's PostgreSQL. Nothing is pulled.
#
# Usage: docker/test-http/build.sh
# It says what it did on stderr, and prints the image's reference on stdout.
#
# It holds the host's Debian Python (/usr/bin/python3.X and its standard
# library, /usr/lib/python3.X, without the test suite, IDLE, Tk, lib2to3,
# distutils, ensurepip, the static libpython and the C test modules), the
# shared libraries `ldd` reports for the interpreter and its extension
# modules, and server.py at /usr/local/share/test-http/server.py, on the
# connector base image (glibc, /bin/sh, the user airbyte). The entrypoint is
# `python3 -S server.py --host 0.0.0.0`; the container's arguments follow
# (scripts/test-network.sh gives `--port 8080 --token ...`).
#
# Idempotent: the image carries the sha256 of its build context in a label and
# is rebuilt only when that changes (a new host Python, base or server.py).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
me=docker/test-http/build.sh
hash_label="io.airbyte-rs.test-http.context-sha256"
# shellcheck source=docker/test-image.sh
. "$here/../test-image.sh"
server="$root/connectors/source-http/tests/fixtures/server.py"

[[ -f $server ]] || die "$server is missing"
# Debian's interpreter, not a venv's or pyenv's: its files are where the
# image expects them (/usr/bin, /usr/lib/python3.X).
python="$(readlink -f /usr/bin/python3 2>/dev/null || true)"
[[ -x $python ]] || die "/usr/bin/python3 is missing (Debian package python3; scripts/setup-test-env.sh installs it)"
version="$("$python" -S -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
stdlib="/usr/lib/python$version"
"$python" -S -c 'import argparse, datetime, http.server, json, threading, urllib.parse' 2>/dev/null ||
    die "$python lacks the standard library server.py needs (Debian package libpython$version-stdlib)"
image="${HTTP_FIXTURE_IMAGE:-airbyte-rs/test-http:py$version}"

test_image_start
mkdir -p "$rootfs/usr/bin" "$rootfs/usr/local/share/test-http"

cp -L "$python" "$rootfs/usr/bin/python$version"
ln -s "python$version" "$rootfs/usr/bin/python3"
# The standard library, symlinks followed (sitecustomize.py points into /etc).
tar -C / -chf - \
    --exclude="${stdlib#/}/test" --exclude="${stdlib#/}/idlelib" \
    --exclude="${stdlib#/}/tkinter" --exclude="${stdlib#/}/turtledemo" \
    --exclude="${stdlib#/}/lib2to3" --exclude="${stdlib#/}/distutils" \
    --exclude="${stdlib#/}/ensurepip" --exclude="${stdlib#/}/config-*" \
    --exclude="${stdlib#/}/site-packages" --exclude="${stdlib#/}/dist-packages" \
    --exclude="${stdlib#/}/lib-dynload/_test*" --exclude="${stdlib#/}/lib-dynload/xx*" \
    "${stdlib#/}" | tar -C "$rootfs" -xf -
install -m 0644 "$server" "$rootfs/usr/local/share/test-http/server.py"

# The interpreter's and its extension modules' shared libraries.
stage_libs "$python" "$rootfs$stdlib"/lib-dynload/*.so

cat >"$ctx/Dockerfile" <<EOF
ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY rootfs/ /
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER airbyte
ENTRYPOINT ["/usr/bin/python$version", "-S", "/usr/local/share/test-http/server.py", "--host", "0.0.0.0"]
EOF

build_test_image "$image" "Python $version"
echo "$image"
