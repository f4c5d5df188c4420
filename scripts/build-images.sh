#!/usr/bin/env bash
# Builds the Docker image of every connector that has a Dockerfile:
#   1. the base image, with docker/base/build.sh (a no-op when up to date);
#   2. for each connectors/<name>/Dockerfile, the image
#      <dockerRepository>:<dockerImageTag> read from connectors/<name>/metadata.yaml,
#      from the host's release binary target/release/<name> (folder name =
#      cargo package name = binary name).
# Rust is never compiled inside Docker (no Rust image can be pulled): run
# `cargo build --release --workspace` first; only missing binaries are built
# here, with `cargo build --release -p <name>`, so that the images carry the
# very binaries the tests ran.
#
# Each build context is a temporary directory holding just the Dockerfile and
# the binary: sending target/ to the daemon would cost gigabytes.
#
# Without a Docker engine it prints one line and exits 0 (callers such as the
# test command keep going; the image tests then report it themselves).
#
# Environment: BASE_IMAGE (default airbyte-rs/connector-base:bookworm),
# CARGO_TARGET_DIR (default ./target), IMAGE_DEBUG_INFO (compress, the
# default, strip or keep: see stage_binary).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "docker: no Docker engine available; skipping image builds"
    exit 0
fi

die() {
    echo "scripts/build-images.sh: $*" >&2
    exit 1
}

# meta_value FILE KEY: the value of data.KEY in a metadata.yaml. There is no
# yq, so awk reads the direct children of the top-level `data:` mapping only:
# keys nested deeper (registryOverrides.oss.dockerImageTag, ...) are ignored.
# Handles plain, "double" and 'single' quoted scalars and trailing comments.
meta_value() {
    awk -v key="$2" '
        /^[[:space:]]*(#.*)?$/ { next }
        /^[^[:space:]]/ { indata = ($0 ~ /^data:[[:space:]]*(#.*)?$/); child = 0; next }
        indata {
            match($0, /^[[:space:]]*/)
            if (!child) child = RLENGTH
            if (RLENGTH != child) next
            line = substr($0, RLENGTH + 1)
            if (index(line, key ":") != 1) next
            v = substr(line, length(key) + 2)
            sub(/^[[:space:]]+/, "", v)
            sub(/[[:space:]]+#.*$/, "", v)
            sub(/[[:space:]]+$/, "", v)
            if (v ~ /^".*"$/ || v ~ /^\047.*\047$/) v = substr(v, 2, length(v) - 2)
            print v
            exit
        }' "$1"
}

target_dir="${CARGO_TARGET_DIR:-$root/target}"
export BASE_IMAGE="${BASE_IMAGE:-airbyte-rs/connector-base:bookworm}"

shopt -s nullglob
dockerfiles=(connectors/*/Dockerfile)
if ((${#dockerfiles[@]} == 0)); then
    echo "no connectors/*/Dockerfile: nothing to build"
    exit 0
fi

# Read every metadata.yaml first, so that a mistake fails before any build.
names=() refs=() missing=()
for dockerfile in "${dockerfiles[@]}"; do
    dir="$(dirname "$dockerfile")"
    name="$(basename "$dir")"
    [[ -f $dir/metadata.yaml ]] || die "$dir has a Dockerfile but no metadata.yaml"
    repo="$(meta_value "$dir/metadata.yaml" dockerRepository)"
    tag="$(meta_value "$dir/metadata.yaml" dockerImageTag)"
    [[ -n $repo && -n $tag ]] || die "$dir/metadata.yaml: data.dockerRepository or data.dockerImageTag is missing"
    names+=("$name")
    refs+=("$repo:$tag")
    [[ -x $target_dir/release/$name ]] || missing+=(-p "$name")
done

if ((${#missing[@]})); then
    echo "building the missing release binaries: cargo build --release ${missing[*]}"
    cargo build --release "${missing[@]}"
fi

bins=()
for name in "${names[@]}"; do
    bin="$target_dir/release/$name"
    [[ -x $bin ]] || die "$bin was not built (is the cargo package named $name?)"
    # A stale binary would be packaged silently: warn when a source is newer.
    newer="$(find "connectors/$name" Cargo.lock sdk sdk-macros protocol \
        \( -name '*.rs' -o -name Cargo.toml -o -name Cargo.lock \) -newer "$bin" -print -quit 2>/dev/null || true)"
    if [[ -n $newer ]]; then
        echo "warning: $bin is older than $newer; run \`cargo build --release --workspace\` first" >&2
    fi
    bins+=("$bin")
done

# The base carries the shared libraries the binaries need (found with ldd).
docker/base/build.sh "${bins[@]}"

# stage_binary SRC DST: puts the release binary into a build context. Its
# debug sections (the line tables of profile.release's debug =
# "line-tables-only") are about 3/4 of its size: by default they are
# zlib-compressed, which keeps them readable by backtraces, gdb and perf and
# leaves the code byte for byte the one the tests ran. IMAGE_DEBUG_INFO=keep
# copies the binary unchanged, IMAGE_DEBUG_INFO=strip drops them.
stage_binary() {
    case "${IMAGE_DEBUG_INFO:-compress}" in
        compress)
            # objcopy (binutils) is there wherever cargo could link; if not, copy as is.
            if command -v objcopy >/dev/null 2>&1; then
                objcopy --compress-debug-sections=zlib "$1" "$2"
            else
                cp "$1" "$2"
            fi
            ;;
        strip) strip --strip-debug -o "$2" "$1" ;;
        keep) cp "$1" "$2" ;;
        *) die "IMAGE_DEBUG_INFO must be compress, strip or keep, not ${IMAGE_DEBUG_INFO}" ;;
    esac
}

work="$(mktemp -d "${TMPDIR:-/tmp}/connector-images.XXXXXX")"
trap 'rm -rf "$work"' EXIT

for i in "${!names[@]}"; do
    name="${names[$i]}"
    ref="${refs[$i]}"
    context="$work/$name"
    mkdir "$context"
    cp "connectors/$name/Dockerfile" "$context/Dockerfile"
    stage_binary "${bins[$i]}" "$context/$name"
    old_id="$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)"
    # The build log is shown only on failure; an unchanged binary hits the
    # layer cache and gives the same image id again.
    if ! docker build --tag "$ref" --build-arg BASE_IMAGE="$BASE_IMAGE" "$context" >"$work/$name.log" 2>&1; then
        cat "$work/$name.log" >&2
        die "docker build of $ref (connectors/$name/Dockerfile) failed"
    fi
    # The platform and CAT read the labels: they must match metadata.yaml.
    labels="$(docker image inspect -f '{{ index .Config.Labels "io.airbyte.name" }}:{{ index .Config.Labels "io.airbyte.version" }}' "$ref")"
    [[ $labels == "$ref" ]] || die "connectors/$name/Dockerfile: LABEL io.airbyte.name:io.airbyte.version is $labels, metadata.yaml says $ref"
    new_id="$(docker image inspect -f '{{.Id}}' "$ref")"
    # Remove the image this tag pointed to before if nothing names it anymore.
    if [[ -n $old_id && $old_id != "$new_id" && $(docker image inspect -f '{{len .RepoTags}}' "$old_id" 2>/dev/null || echo 1) == 0 ]]; then
        docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
    size="$(docker image inspect -f '{{.Size}}' "$ref")"
    echo "built $ref ($((size / 1024)) KiB, image id ${new_id:7:12})"
done
