#!/usr/bin/env bash
# Assembles the connector base image (default tag
# airbyte-rs/connector-base:bookworm): a distroless-like root filesystem for
# Rust connectors linked against glibc, taken from THIS host's Debian files and
# loaded with `docker import`. No registry is needed: nothing is pulled.
#
# Usage: docker/base/build.sh [BINARY...]
#
# The image holds only:
#   - the glibc loader, libc, libm, libgcc_s (Rust's unwinder) and the
#     libpthread/libdl/librt compatibility stubs when the host has them, plus
#     every shared library that `ldd` reports for each BINARY (e.g.
#     target/release/source-x), each copied with the symlinks that lead to it
#     (Debian's merged /usr: /lib -> usr/lib, /lib64 -> usr/lib64);
#   - /etc/ssl/certs/ca-certificates.crt (Debian's ca-certificates package is
#     installed on the host first if the bundle is missing);
#   - /usr/share/zoneinfo, the host's tz database (without right/ and posix/);
#   - /etc/passwd, /etc/group (root and airbyte 1000:1000, home /airbyte) and
#     /etc/nsswitch.conf from docker/base/files/;
#   - /airbyte (0755, owned by 1000:1000) and /tmp (1777);
#   - the POSIX shell and the few utilities that the Airbyte platform's
#     Kubernetes launcher runs around a connector (`sh -c 'eval
#     "$AIRBYTE_ENTRYPOINT read ..." 2> /pipes/stderr > /pipes/stdout'`, a
#     `trap "touch ..." EXIT`, a `sleep` heartbeat loop, FIFOs): Debian's dash
#     as /bin/sh, and coreutils' touch, sleep, cat, mkfifo, test and [, copied
#     from this host with their shared libraries. `kill`, `wait`, `trap`,
#     `eval` and `echo` are dash builtins. Nothing else: no package manager, no
#     busybox (whose applets include dpkg and rpm), no network tools.
# The binaries must be built on this host (or an older glibc), since the image
# carries this host's glibc.
#
# Idempotent: the rootfs tarball is built reproducibly (sorted names, fixed
# mtimes and owners), and its sha256 (with the image config) is stored in the
# label io.airbyte-rs.base.rootfs-sha256; when the existing image has the same
# label, nothing is imported. A host libc or CA bundle update changes the hash
# and so rebuilds the image.
#
# Environment:
#   BASE_IMAGE         the tag to build (default airbyte-rs/connector-base:bookworm)
#   SOURCE_DATE_EPOCH  the mtime of every file in the image (default 0)
set -euo pipefail
# Explicit permissions for everything created below, whatever the caller's umask.
umask 022

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image="${BASE_IMAGE:-airbyte-rs/connector-base:bookworm}"
hash_label="io.airbyte-rs.base.rootfs-sha256"
certs=/etc/ssl/certs/ca-certificates.crt

die() {
    echo "docker/base/build.sh: $*" >&2
    exit 1
}

command -v docker >/dev/null 2>&1 || die "docker is not installed"
docker info >/dev/null 2>&1 || die "no Docker engine available (\`docker info\` failed)"
# ldd comes with libc-bin (Essential on Debian), so it is always there on a Debian host.
command -v ldd >/dev/null 2>&1 || die "ldd not found (Debian package libc-bin)"

work="$(mktemp -d "${TMPDIR:-/tmp}/connector-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -m 0755 "$rootfs"

# copy_path PATH: copies the host file PATH into the rootfs at the same path,
# recreating every symlink met on the way (in a directory component or the
# file itself) so that the paths the loader and ldd use also work in the
# image, e.g. /lib64/ld-linux-x86-64.so.2 gives the symlinks /lib64 ->
# usr/lib64, /usr/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/...,
# /lib -> usr/lib, and the file /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2.
copy_path() {
    local path="$1" hops=0 prefix rest comp target found
    while :; do
        ((hops++ < 40)) || die "too many symlinks while resolving $1"
        prefix=""
        rest="${path#/}"
        found=""
        # Walk the components left to right until the first symlink.
        while [[ -n $rest ]]; do
            comp="${rest%%/*}"
            if [[ $rest == */* ]]; then rest="${rest#*/}"; else rest=""; fi
            prefix="$prefix/$comp"
            if [[ -L $prefix ]]; then
                target="$(readlink "$prefix")"
                if [[ ! -L $rootfs$prefix ]]; then
                    mkdir -p "$rootfs$(dirname "$prefix")"
                    ln -s "$target" "$rootfs$prefix"
                fi
                [[ $target == /* ]] || target="$(dirname "$prefix")/$target"
                # Lexical normalisation is right here: the symlink's directory
                # has no symlink in it (the walk got past it).
                path="$(realpath -m -s "$target${rest:+/$rest}")"
                found=1
                break
            fi
        done
        [[ -n $found ]] && continue
        [[ -f $path ]] || die "$1: $path is not a regular file"
        mkdir -p "$rootfs$(dirname "$path")"
        cp "$path" "$rootfs$path"
        return
    done
}

# ldd_deps FILE: prints the absolute path of every shared object FILE loads
# (the loader included); nothing for a static binary.
ldd_deps() {
    local out
    if ! out="$(LC_ALL=C ldd "$1" 2>&1)"; then
        [[ $out == *"not a dynamic executable"* ]] && return 0
        die "ldd $1 failed: $out"
    fi
    if [[ $out == *"not found"* ]]; then
        die "$1 needs shared libraries this host lacks:"$'\n'"$out"
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
}

# The fixed set, located through the running bash (dynamically linked on
# Debian): its libc.so.6 gives the multiarch directory, its loader the ELF
# interpreter path that binaries built here ask for.
libs=()
libdir=""
# Captured first (not read from a process substitution) so that a failing
# ldd_deps stops the script.
deps="$(ldd_deps "$BASH")"
while IFS= read -r lib; do
    case "$(basename "$lib")" in
        libc.so.6)
            libdir="$(dirname "$lib")"
            libs+=("$lib")
            ;;
        ld-linux*.so.*) libs+=("$lib") ;;
    esac
done <<<"$deps"
[[ -n $libdir && ${#libs[@]} -eq 2 ]] || die "cannot locate libc.so.6 and the loader with ldd $BASH"
# libm and libgcc_s are linked by every Rust std binary; the others are the
# empty stubs glibc 2.34+ keeps for binaries linked against an older glibc.
for name in libm.so.6 libgcc_s.so.1 libpthread.so.0 libdl.so.2 librt.so.1; do
    if [[ -e $libdir/$name ]]; then
        libs+=("$libdir/$name")
    elif [[ $name == libm.so.6 || $name == libgcc_s.so.1 ]]; then
        die "$libdir/$name is missing (Debian packages libc6, libgcc-s1)"
    fi
done
# The launcher's shell and utilities (see the header); dash is Essential on
# Debian, coreutils too.
shell_tools=(/usr/bin/dash /usr/bin/touch /usr/bin/sleep /usr/bin/cat /usr/bin/mkfifo /usr/bin/test "/usr/bin/[")
for tool in "${shell_tools[@]}"; do
    [[ -x $tool ]] || die "$tool is missing (Debian packages dash, coreutils)"
done
for binary in "${shell_tools[@]}" "$@"; do
    [[ -f $binary ]] || die "$binary: no such file"
    deps="$(ldd_deps "$binary")"
    while IFS= read -r lib; do
        if [[ -n $lib ]]; then libs+=("$lib"); fi
    done <<<"$deps"
done
# The same library reached through two paths is copied once per path; that
# only adds symlinks, since copy_path resolves both to the same file.
mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)
for lib in "${libs[@]}"; do copy_path "$lib"; done

if [[ ! -s $certs ]]; then
    # Debian's package generates the bundle; installing it needs root.
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "docker/base/build.sh: $certs is missing; installing Debian's ca-certificates" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends ca-certificates >&2
    fi
    [[ -s $certs ]] || die "$certs is missing: run \`apt-get install ca-certificates\` as root"
fi
copy_path "$certs"
# The tz database (Debian's tzdata, about 2 MB without its right/ and posix/
# variants), for time zones named at run time (source-http's
# `today_with_timezone(...)`).
zoneinfo=/usr/share/zoneinfo
[[ -f $zoneinfo/Europe/Oslo ]] || die "$zoneinfo is missing: run \`apt-get install tzdata\` as root"
mkdir -p "$rootfs$zoneinfo"
find "$zoneinfo" -mindepth 1 -maxdepth 1 ! -name right ! -name posix -exec cp -a {} "$rootfs$zoneinfo/" \;
for tool in "${shell_tools[@]}"; do copy_path "$tool"; done
# /bin/sh -> dash, reached through Debian's merged /usr (/bin -> usr/bin).
[[ -L $rootfs/bin ]] || ln -s usr/bin "$rootfs/bin"
ln -s dash "$rootfs/usr/bin/sh"

for file in passwd group nsswitch.conf; do
    install -m 0644 "$here/files/etc/$file" "$rootfs/etc/$file"
done
mkdir -m 0755 "$rootfs/airbyte"
mkdir -m 1777 "$rootfs/tmp"

# Reproducible tarball: same files => same bytes => same hash. Owners come
# from the tar options, not from the host, so no chown (and no root) is
# needed: everything is root's except /airbyte, appended as 1000:1000.
tar_opts=(--format=gnu --sort=name --mtime="@${SOURCE_DATE_EPOCH:-0}" --numeric-owner)
tar -C "$rootfs" -cf "$work/rootfs.tar" "${tar_opts[@]}" --owner=0 --group=0 --exclude=./airbyte .
tar -C "$rootfs" -rf "$work/rootfs.tar" "${tar_opts[@]}" --owner=1000 --group=1000 ./airbyte

libc_version="$(dpkg-query -W -f='${Version}' libc6 2>/dev/null || getconf GNU_LIBC_VERSION)"
libc_version="${libc_version// /-}"
# The image config; a change here must also rebuild the image, so it is hashed too.
changes=(
    "ENV PATH=/usr/local/bin:/usr/bin:/bin"
    "USER airbyte"
    "WORKDIR /airbyte"
    "LABEL io.airbyte-rs.base.libc=$libc_version"
)
hash="$({
    sha256sum <"$work/rootfs.tar"
    printf '%s\n' "${changes[@]}"
} | sha256sum | cut -c1-64)"

current="$(docker image inspect -f "{{ index .Config.Labels \"$hash_label\" }}" "$image" 2>/dev/null || true)"
if [[ $current == "$hash" ]]; then
    echo "$image is up to date (rootfs sha256 ${hash:0:12}, libc $libc_version)"
    exit 0
fi

old_id="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
change_args=()
for change in "${changes[@]}" "LABEL $hash_label=$hash"; do change_args+=(--change "$change"); done
docker import "${change_args[@]}" "$work/rootfs.tar" "$image" >/dev/null
# Drop the previous base if the new tag left it unnamed (it stays while
# connector images built on it exist: then rmi fails, which is fine).
if [[ -n $old_id && $(docker image inspect -f '{{len .RepoTags}}' "$old_id" 2>/dev/null || echo 1) == 0 ]]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
size="$(docker image inspect -f '{{.Size}}' "$image")"
echo "built $image ($((size / 1024)) KiB, ${#libs[@]} shared objects, libc $libc_version, rootfs sha256 ${hash:0:12})"
