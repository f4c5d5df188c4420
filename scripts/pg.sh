#!/usr/bin/env bash
# An ephemeral PostgreSQL cluster for tests, examples and benchmarks.
#
#   scripts/pg.sh start   start it (initdb on first use), restore dvdrental once
#   scripts/pg.sh stop    stop it
#   scripts/pg.sh url     print its connection URL
#   scripts/pg.sh data    print its data directory
#
# It listens on 127.0.0.1:$AIRBYTE_PG_PORT (default 54329) with
# wal_level=logical ($AIRBYTE_PG_WAL_LEVEL to change it), user postgres / password postgres (scram-sha-256 over
# TCP). The server refuses to run as root, so as root it runs as the
# `postgres` user. Its data lives in $AIRBYTE_PG_DATA (default under /tmp).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${AIRBYTE_PG_PORT:-54329}"
data="${AIRBYTE_PG_DATA:-/tmp/airbyte-rs-pg-$port}"
password=postgres
wal_level="${AIRBYTE_PG_WAL_LEVEL:-logical}"

say() { printf '[pg] %s\n' "$*" >&2; }

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bindir" ] && command -v initdb >/dev/null; then bindir="$(dirname "$(readlink -f "$(command -v initdb)")")"; fi
[ -n "$bindir" ] || { say "no PostgreSQL server found: run scripts/setup-test-env.sh (installs Debian's postgresql)"; exit 1; }

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgres://postgres:$password@127.0.0.1:$port/postgres"; }

running() { as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

psql_admin() { PGPASSWORD=$password psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

start() {
  if [ ! -s "$data/PG_VERSION" ]; then
    say "initdb in $data"
    rm -rf "$data"; mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
    chmod 700 "$data"
    pwfile="$(mktemp)"; echo "$password" > "$pwfile"; chmod 644 "$pwfile"
    as_owner "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
wal_level = $wal_level
max_replication_slots = 32
max_wal_senders = 32
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
CONF
    echo "host replication all 127.0.0.1/32 scram-sha-256" >> "$data/pg_hba.conf"
  fi
  if ! running; then
    as_owner "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
    say "started on 127.0.0.1:$port"
  fi
  if [ "$(psql_admin -tAc "select count(*) from pg_database where datname = 'dvdrental'")" != 1 ]; then
    say "restoring dvdrental from data/dvdrental.tar"
    tmp="$(mktemp -d)"
    tar -xf "$root/data/dvdrental.tar" -C "$tmp"
    psql_admin -c "create database dvdrental_restoring"
    PGPASSWORD=$password "$bindir/pg_restore" -h 127.0.0.1 -p "$port" -U postgres --no-owner --no-privileges -d dvdrental_restoring "$tmp/dvdrental"
    psql_admin -c "alter database dvdrental_restoring rename to dvdrental"
    rm -rf "$tmp"
  fi
}

stop() {
  if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; say "stopped"; fi
}

case "${1:-}" in
  start) start; url ;;
  stop) stop ;;
  url) url ;;
  data) echo "$data" ;;
  *) echo "usage: scripts/pg.sh start|stop|url|data" >&2; exit 2 ;;
esac
