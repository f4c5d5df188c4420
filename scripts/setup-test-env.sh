#!/usr/bin/env bash
# Installs what the tests need, idempotently, on Debian:
#   - the PostgreSQL server binaries (initdb, postgres), if missing;
#   - Python venvs with the pinned packages of scripts/python/requirements*.txt,
#     under $(scripts/python/venv-dir.sh): protocol (the official protocol
#     models), cdk (airbyte-cdk 7.39.1 with pytest: Airbyte's standard tests and
#     a Python destination), pyairbyte (PyAirbyte), faker (airbyte-source-faker).
# Safe to run again: it only does what is missing or out of date.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root to run: $*"; exit 1
  fi
}

apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null; then
    say "apt-get not found: install these packages by hand: $*"; exit 1
  fi
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v cargo >/dev/null; then
  say "cargo not found: install Rust (https://rustup.rs) and run this again"; exit 1
fi

# PostgreSQL server binaries.
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing the PostgreSQL server (Debian package postgresql)"
  apt_install postgresql postgresql-contrib
fi

# Python venvs, one per set of pinned packages (their tools conflict: PyAirbyte,
# airbyte-source-faker and airbyte-cdk 7 each pin a different airbyte-cdk).
# They live in a cache outside the checkout, so that a fresh clone (CI) reuses
# them; each is rebuilt when its requirements file changes.
if ! command -v python3 >/dev/null; then
  say "installing python3"
  apt_install python3 python3-venv
fi
# Debian's own interpreter (a venv's or pyenv's python3 may come first on
# PATH): docker/test-http/build.sh puts it and its standard library into the
# image of source-http's fixture API for the test network.
if [ ! -x /usr/bin/python3 ]; then
  say "installing Debian's python3 (for docker/test-http)"
  apt_install python3
fi
cache="$(scripts/python/venv-dir.sh)"
mkdir -p "$cache"
make_venv() { # NAME REQUIREMENTS
  local dir="$cache/venv-$1" req="$2" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    say "creating $dir from $req"
    rm -rf "$dir"
    if ! python3 -m venv "$dir" 2>/dev/null; then
      rm -rf "$dir"
      apt_install python3-venv
      python3 -m venv "$dir"
    fi
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$dir/.requirements.sha256"
  fi
}
make_venv protocol scripts/python/requirements.txt
make_venv cdk scripts/python/requirements-cdk.txt
make_venv pyairbyte scripts/python/requirements-pyairbyte.txt
make_venv faker scripts/python/requirements-faker.txt
say "ready: PostgreSQL $(ls /usr/lib/postgresql 2>/dev/null | tr '\n' ' ')and the venvs in $cache"
