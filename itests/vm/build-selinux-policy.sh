#!/bin/bash
# Build the binary SELinux policy the guest loads in selinux mode: Debian's
# selinux-policy-default plus the harness's module(s) in itests/vm/selinux/.
#
# Why on the host: in the guest under TCG "semodule -i" takes ~35 s, here a
# few seconds, and the result is cached. semodule runs against a scratch copy
# of the policy store (-p ROOT), so the host's own store and /etc/selinux are
# never written (SELinux is not even active on the host: nothing is loaded).
#
# Cached in ${CORDON_VM_CACHE:-/var/cache/cordon-vm}/selinux-<hash>/policy.NN,
# keyed by the module sources and the state of the base store, built under a
# flock in a temp dir that is renamed into place.
# Prints the absolute path of the binary policy.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${CORDON_VM_CACHE:-/var/cache/cordon-vm}
store=/var/lib/selinux/default

die() {
    echo "build-selinux-policy: $*" >&2
    exit 1
}

scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v semodule >/dev/null || die "semodule not found (install: apt-get install policycoreutils)"
[ -d "$store/active" ] || die "no policy store at $store (install: apt-get install selinux-policy-default)"
shopt -s nullglob
sources=("$here"/selinux/*.cil)
[ ${#sources[@]} -gt 0 ] || die "no modules in $here/selinux"

key=$({
    cat "${sources[@]}"
    # The base: the package, and the store's own record of its last change.
    dpkg-query -W -f '${Version}\n' selinux-policy-default 2>/dev/null || true
    cat "$store/active/commit_num" "$store/active/modules_checksum" 2>/dev/null || true
} | sha256sum | cut -c1-16)
dir=$cache/selinux-$key

find_policy() {
    local p
    for p in "$dir"/policy.[0-9]*; do
        echo "$p"
        return 0
    done
    return 1
}

mkdir -p "$cache" || die "cannot create the cache directory $cache"
if ! find_policy >/dev/null; then
    exec 9>"$cache/.lock"
    flock 9
    rm -rf "$cache"/.selinux.*
    if ! find_policy >/dev/null; then
        tmp=$(mktemp -d "$cache/.selinux.XXXXXX")
        scratch+=("$tmp")
        mkdir -p "$tmp/root/var/lib/selinux"
        cp -a "$store" "$tmp/root/var/lib/selinux/"
        echo "build-selinux-policy: building the policy with ${sources[*]##*/}" >&2
        # -n: do not load it (there is nothing to load it into here).
        semodule -p "$tmp/root" -s default -n -i "${sources[@]}" >"$tmp/log" 2>&1 ||
            die "semodule failed: $(grep -v '^libsemanage.add_user' "$tmp/log" | tail -n 5 | tr '\n' ' ')"
        built=("$tmp"/root/etc/selinux/default/policy/policy.[0-9]*)
        [ ${#built[@]} -eq 1 ] || die "semodule left no binary policy in $tmp/root/etc/selinux/default/policy"
        mkdir "$tmp/out"
        cp "${built[0]}" "$tmp/out/"
        mv -T "$tmp/out" "$dir" || die "cannot move the policy into $dir"
    fi
    exec 9>&-
fi
find_policy || die "no policy in $dir"
