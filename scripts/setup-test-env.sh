#!/usr/bin/env bash
# Installs what the tests need, idempotently, on Debian:
#   - the PostgreSQL server binaries (initdb, postgres), if missing;
#   - ./.venv, a Python venv with the pinned packages of scripts/python/requirements.txt.
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

# Python venv with the pinned packages.
if ! command -v python3 >/dev/null; then
  say "installing python3"
  apt_install python3 python3-venv
fi
req=scripts/python/requirements.txt
stamp=.venv/.requirements.sha256
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "creating .venv from $req"
  rm -rf .venv
  if ! python3 -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
say "ready: PostgreSQL $(ls /usr/lib/postgresql 2>/dev/null | tr '\n' ' ')and $(.venv/bin/python --version)"
