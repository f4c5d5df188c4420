#!/usr/bin/env bash
# A private Docker network for tests of connector images, with a real
# PostgreSQL on it (the image of docker/test-postgres/build.sh) and
# source-http's fixture API (connectors/source-http/tests/fixtures/server.py,
# the image of docker/test-http/build.sh), so that a connector in a container
# reaches its database or API by name, as it would on the Airbyte platform,
# and never through the host's loopback.
#
#   scripts/test-network.sh start   build the images if needed, create the
#                                   network and the servers, restore dvdrental
#                                   once; prints the environment for the tests
#   scripts/test-network.sh stop    remove the servers and the network
#   scripts/test-network.sh env     print the environment for the tests
#   scripts/test-network.sh psql ARGS...
#                                   psql in the server's container, as postgres
#
# The network is `--internal`: its containers reach each other and nothing
# else. The server answers on postgres:5432 (the network alias), user
# postgres / password postgres, wal_level=logical, data on a tmpfs. The
# fixture API answers on http://http-fixture:8080, with the bearer token of
# source-http's test configs (connectors/source-http/integration_tests).
#
# Environment printed (and read back by the tests):
#   AIRBYTE_TEST_NETWORK          the network's name (default airbyte-rs-test)
#   AIRBYTE_TEST_NETWORK_PG       the server's container name
#   AIRBYTE_TEST_NETWORK_PG_HOST  its host name on the network (postgres)
#   AIRBYTE_TEST_NETWORK_HTTP     the fixture API's container name
#   AIRBYTE_TEST_NETWORK_HTTP_URL its base URL on the network (http://http-fixture:8080)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
network="${AIRBYTE_TEST_NETWORK:-airbyte-rs-test}"
container="${AIRBYTE_TEST_NETWORK_PG:-$network-postgres}"
host=postgres
major="$(basename "$(ls -d /usr/lib/postgresql/*/ 2>/dev/null | sort -V | tail -n 1)")"
image="${PG_IMAGE:-airbyte-rs/test-postgres:$major}"
http_container="${AIRBYTE_TEST_NETWORK_HTTP:-$network-http}"
http_host=http-fixture
http_port=8080
# The api_token of connectors/source-http/integration_tests/config.json.
http_token=fixture-token-0123

say() { printf '[test-network] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

env_lines() {
    echo "AIRBYTE_TEST_NETWORK=$network"
    echo "AIRBYTE_TEST_NETWORK_PG=$container"
    echo "AIRBYTE_TEST_NETWORK_PG_HOST=$host"
    echo "AIRBYTE_TEST_NETWORK_HTTP=$http_container"
    echo "AIRBYTE_TEST_NETWORK_HTTP_URL=http://$http_host:$http_port"
}

# start_http: the fixture API's container, (re)started when it is not running
# or runs an older image than docker/test-http/build.sh just made.
start_http() {
    local http_image running_image tries=0
    http_image="$("$root/docker/test-http/build.sh")"
    running_image="$(docker inspect -f '{{.Image}}' "$http_container" 2>/dev/null || true)"
    if [[ $(docker inspect -f '{{.State.Running}}' "$http_container" 2>/dev/null || true) == true &&
        $running_image == "$(docker image inspect -f '{{.Id}}' "$http_image")" ]]; then
        return
    fi
    docker rm -f "$http_container" >/dev/null 2>&1 || true
    docker run -d --name "$http_container" --network "$network" --network-alias "$http_host" \
        --label io.airbyte-rs.test=1 --read-only "$http_image" \
        --port "$http_port" --token "$http_token" >/dev/null
    until [[ $(docker logs "$http_container" 2>/dev/null) == "PORT $http_port"* ]]; do
        ((tries++ < 100)) || { docker logs "$http_container" >&2 || true; die "$http_container did not start"; }
        sleep 0.1
    done
    say "started $http_container ($http_image) as http://$http_host:$http_port on $network"
}

in_pg() { docker exec -i -e PGHOST=/tmp -e PGUSER=postgres "$container" "$@"; }

start() {
    command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 ||
        die "no Docker engine available: the image tests need one"
    "$root/docker/test-postgres/build.sh" >&2
    if ! docker network inspect "$network" >/dev/null 2>&1; then
        docker network create --internal --label io.airbyte-rs.test=1 "$network" >/dev/null
        say "created the internal network $network"
    fi
    if [[ $(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null || true) != true ]]; then
        docker rm -f "$container" >/dev/null 2>&1 || true
        docker run -d --name "$container" --network "$network" --network-alias "$host" \
            --label io.airbyte-rs.test=1 --shm-size 256m \
            --tmpfs /var/lib/postgresql:uid=1000,gid=1000,mode=0700 "$image" >/dev/null
        local tries=0
        until in_pg pg_isready -q >/dev/null 2>&1; do
            ((tries++ < 100)) || { docker logs "$container" >&2 || true; die "$container did not start"; }
            sleep 0.2
        done
        say "started $container ($image) as $host:5432 on $network"
    fi
    if [[ $(in_pg psql -XAtc "select count(*) from pg_database where datname = 'dvdrental'") != 1 ]]; then
        say "restoring dvdrental from data/dvdrental.tar"
        local tmp
        tmp="$(mktemp -d)"
        tar -xf "$root/data/dvdrental.tar" -C "$tmp"
        chmod -R a+rX "$tmp"
        docker cp "$tmp/dvdrental" "$container:/tmp/dvdrental" >/dev/null
        rm -rf "$tmp"
        in_pg psql -XqAc "create database dvdrental_restoring" >/dev/null
        in_pg pg_restore --no-owner --no-privileges -d dvdrental_restoring /tmp/dvdrental
        in_pg psql -XqAc "alter database dvdrental_restoring rename to dvdrental" >/dev/null
    fi
    start_http
    env_lines
}

stop() {
    docker rm -f "$container" "$http_container" >/dev/null 2>&1 || true
    # Containers a test left on the network would keep it alive: remove them.
    local ids
    ids="$(docker network inspect -f '{{range $id, $c := .Containers}}{{$id}} {{end}}' "$network" 2>/dev/null || true)"
    if [[ -n ${ids// /} ]]; then
        # shellcheck disable=SC2086
        docker rm -f $ids >/dev/null 2>&1 || true
    fi
    docker network rm "$network" >/dev/null 2>&1 || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) env_lines ;;
    psql) shift; in_pg psql -X "$@" ;;
    *) echo "usage: scripts/test-network.sh start|stop|env|psql ARGS..." >&2; exit 2 ;;
esac
