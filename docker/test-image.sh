# What the builders of the test images (docker/test-postgres/build.sh,
# docker/test-http/build.sh) share; sourced, not run. Each assembles a root
# filesystem from this host's files in "$rootfs" (under "$ctx", a temporary
# build context), on top of the connector base image, then tags it with the
# sha256 of that context in a label, so that an unchanged context is not
# built again. Nothing is pulled.
#
# The sourcing script sets `me` (its name, for messages) and `hash_label` (the
# label that carries the context's sha256) first. This sets `root` (the
# checkout), `base` ($BASE_IMAGE, default airbyte-rs/connector-base:bookworm)
# and umask 022; test_image_start sets work, ctx and rootfs (removed on exit).

umask 022
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${BASE_IMAGE:-airbyte-rs/connector-base:bookworm}"

die() {
    echo "$me: $*" >&2
    exit 1
}

# test_image_start: checks Docker, builds the base if missing, makes the context.
test_image_start() {
    command -v docker >/dev/null 2>&1 || die "docker is not installed"
    docker info >/dev/null 2>&1 || die "no Docker engine available (\`docker info\` failed)"
    # The connector base must exist (it carries glibc, /bin/sh and the user).
    if ! docker image inspect "$base" >/dev/null 2>&1; then
        BASE_IMAGE="$base" "$root/docker/base/build.sh" >&2
    fi
    work="$(mktemp -d "${TMPDIR:-/tmp}/test-image.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    ctx="$work/ctx"
    rootfs="$ctx/rootfs"
    mkdir -p "$rootfs"
}

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

# stage_libs ELF...: stages the shared libraries `ldd` reports for each ELF
# that the base lacks (the base's glibc is this host's too).
stage_libs() {
    local libs lib
    mapfile -t libs < <(for elf in "$@"; do
        LC_ALL=C ldd "$elf" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
    done | sort -u)
    for lib in "${libs[@]}"; do
        case "$(basename "$lib")" in
            libc.so.6 | libm.so.6 | libgcc_s.so.1 | ld-linux*) continue ;;
        esac
        stage "$lib"
    done
}

# build_test_image IMAGE WHAT: builds "$ctx" (its Dockerfile written by the
# caller, FROM ${BASE_IMAGE}) as IMAGE, unless IMAGE already carries the
# context's sha256; says what it did on stderr (WHAT describes the image).
build_test_image() {
    local image="$1" what="$2" base_id hash current size
    base_id="$(docker image inspect -f '{{.Id}}' "$base")"
    hash="$({
        echo "$base_id"
        tar -C "$ctx" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - .
    } | sha256sum | cut -c1-64)"
    current="$(docker image inspect -f "{{ index .Config.Labels \"$hash_label\" }}" "$image" 2>/dev/null || true)"
    if [[ $current == "$hash" ]]; then
        echo "$image is up to date (context sha256 ${hash:0:12})" >&2
        return
    fi
    echo "LABEL $hash_label=$hash" >>"$ctx/Dockerfile"
    if ! docker build --tag "$image" --build-arg BASE_IMAGE="$base" "$ctx" >"$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        die "docker build of $image failed"
    fi
    size="$(docker image inspect -f '{{.Size}}' "$image")"
    echo "built $image ($((size / 1024 / 1024)) MiB, $what, context sha256 ${hash:0:12})" >&2
}
