#!/bin/sh
# Entrypoint of airbyte-rs/test-postgres (docker/test-postgres/build.sh): a
# throwaway PostgreSQL for tests, on a private Docker network.
#
# On first start it runs initdb in $PGDATA (mount a tmpfs owned by 1000 at
# /var/lib/postgresql), superuser postgres with password $POSTGRES_PASSWORD
# (default postgres), scram-sha-256 from any address, replication included;
# then it execs the server with wal_level=logical, listening on every address
# of the container on port 5432, durability off (a test server), and any
# extra `-c name=value` arguments given to the container.
set -eu
password="${POSTGRES_PASSWORD:-postgres}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    umask 077
    echo "$password" > /tmp/.pgpass.init
    initdb -D "$PGDATA" -U postgres --pwfile=/tmp/.pgpass.init \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    : > /tmp/.pgpass.init
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
exec postgres -D "$PGDATA" \
    -c listen_addresses='*' -c port=5432 -c unix_socket_directories=/tmp \
    -c wal_level=logical -c max_replication_slots=32 -c max_wal_senders=32 \
    -c max_connections=200 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c jit=off -c timezone=UTC "$@"
