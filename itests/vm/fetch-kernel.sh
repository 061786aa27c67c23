#!/bin/bash
# Fetch Debian's current stock kernel (linux-image-amd64's dependency) and turn
# it into what run-in-vm.sh boots: an uncompressed ELF vmlinux (QEMU enters it
# through PVH, which skips ~3.5 s of in-guest decompression under TCG), its
# modules tree (depmod'ed, shared into the guest for modprobe) and a tiny
# initramfs that loads 9p/virtio/overlay and switches to the host's root.
#
# Why Debian's kernel: it has AppArmor and SELinux built in and cgroup v2 with
# every controller, unlike the host kernel this project is developed on.
#
# Everything is cached in ${CORDON_VM_CACHE:-/var/cache/cordon-vm}/<version>/,
# built under a flock (test JVMs may start at the same time) in a temp dir that
# is renamed into place, so a reader sees either nothing or a complete tree.
# CORDON_VM_KERNEL=<version> (e.g. 6.1.0-57-amd64) pins a version instead of
# asking apt.
#
# Prints, one per line: version=, vmlinux=, initrd=, modules= (absolute paths).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${CORDON_VM_CACHE:-/var/cache/cordon-vm}
# Load order matters: each module needs the ones before it.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
    9pnet 9pnet_virtio netfs fscache 9p overlay)

die() {
    echo "fetch-kernel: $*" >&2
    exit 1
}

# Half-built trees never outlive this process (the final rename is atomic).
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in apt-get apt-cache dpkg-deb xz cpio depmod flock busybox; do
    command -v "$tool" >/dev/null || die "$tool not found (install: apt-get install qemu-system-x86 busybox-static cpio kmod xz-utils)"
done
busybox_bin=$(command -v busybox)
# The initramfs has no libraries: busybox must be the static build.
if ldd "$busybox_bin" >/dev/null 2>&1; then
    die "$busybox_bin is dynamically linked (install busybox-static)"
fi

depends_of_meta() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1
}

resolve_version() {
    if [ -n "${CORDON_VM_KERNEL:-}" ]; then
        echo "$CORDON_VM_KERNEL"
        return
    fi
    # apt-cache takes ~1 s; every VM run asks, so remember the answer for as
    # long as the package lists stay the same.
    local lists dep memo=$cache/linux-image-amd64.resolved
    lists=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)
    if [ -f "$memo" ] && read -r stamp dep <"$memo" && [ "$stamp" = "$lists" ] && [ -n "$dep" ]; then
        echo "$dep"
        return
    fi
    dep=$(depends_of_meta)
    if [ -z "$dep" ]; then
        # No package lists yet (a fresh container): fetch them once.
        apt-get update -q >&2 || die "apt-get update failed"
        lists=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)
        dep=$(depends_of_meta)
    fi
    [ -n "$dep" ] || die "cannot resolve linux-image-amd64 to a linux-image-<version>-amd64 package"
    echo "$lists $dep" >"$memo.$$" && mv -f "$memo.$$" "$memo"
    echo "$dep"
}

# vmlinuz is a bzImage whose payload is an xz stream; the decompressor code
# in it may also contain the magic, so try each match until one decompresses
# to an ELF file. --single-stream ignores whatever follows the stream.
extract_vmlinux() { # extract_vmlinux BZIMAGE OUT
    local off
    while IFS=: read -r off _; do
        # (A process substitution, not a pipe: tail gets SIGPIPE when xz
        # stops early, which pipefail would count as a failure.)
        if xz -dc --single-stream < <(tail -c +"$((off + 1))" "$1" 2>/dev/null) >"$2" 2>/dev/null &&
            [ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
            return 0
        fi
    done < <(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$1")
    return 1
}

# The initramfs depends on the init script, the module list and busybox: key
# its name by their hash so a changed harness gets a fresh one next to the old.
initrd_key() {
    { cat "$here/guest/initramfs-init.sh" "$busybox_bin"; printf '%s\n' "${modules[@]}"; } | sha256sum | cut -c1-16
}

build_initrd() { # build_initrd KERNEL_DIR OUT
    local stage mod src i=10
    stage=$(mktemp -d "$cache/.initrd.XXXXXX")
    scratch+=("$stage")
    mkdir -p "$stage"/{bin,dev,modules,proc,sys}
    cp "$busybox_bin" "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"
    install -m 0755 "$here/guest/initramfs-init.sh" "$stage/init"
    # The kernel opens /dev/console for init before /init can mount devtmpfs.
    mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true
    for mod in "${modules[@]}"; do
        src=$(find "$1/modules/kernel" -name "$mod.ko" -o -name "$mod.ko.xz" -o -name "$mod.ko.zst" | head -n1)
        if [ -z "$src" ]; then
            # Built into this kernel: nothing to load.
            grep -q "/$mod.ko\$" "$1/modules/modules.builtin" && continue
            die "module $mod not found in the kernel's modules"
        fi
        # busybox insmod cannot read compressed modules: store them plain.
        case $src in
        *.xz) xz -dc "$src" >"$stage/modules/$i-$mod.ko" ;;
        *.zst) zstd -qdc "$src" >"$stage/modules/$i-$mod.ko" ;;
        *) cp "$src" "$stage/modules/$i-$mod.ko" ;;
        esac
        i=$((i + 1))
    done
    # Uncompressed: the guest then spends no time inflating it.
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$stage.cpio"
    scratch+=("$stage.cpio")
    mv -f "$stage.cpio" "$2"
}

build_kernel() { # build_kernel VERSION DEST
    local tmp deb
    tmp=$(mktemp -d "$cache/.kernel.XXXXXX")
    scratch+=("$tmp")
    # apt downloads as the unprivileged _apt user: let it write there
    # (otherwise it falls back to root with a warning).
    if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
        chown _apt "$tmp"
    fi
    echo "fetch-kernel: downloading linux-image-$1 into $cache" >&2
    if ! (cd "$tmp" && apt-get download -q "linux-image-$1" >&2); then
        apt-get update -q >&2 || die "apt-get update failed"
        (cd "$tmp" && apt-get download -q "linux-image-$1" >&2) || die "apt-get download linux-image-$1 failed"
    fi
    deb=$(echo "$tmp"/linux-image-"$1"_*.deb)
    [ -f "$deb" ] || die "apt-get download left no linux-image-$1 package"
    dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
    [ -f "$tmp/root/boot/vmlinuz-$1" ] || die "$deb has no /boot/vmlinuz-$1"
    extract_vmlinux "$tmp/root/boot/vmlinuz-$1" "$tmp/vmlinux" ||
        die "no xz-compressed ELF kernel found in vmlinuz-$1"
    depmod -b "$tmp/root" "$1" || die "depmod for $1 failed"
    mv "$tmp/root/lib/modules/$1" "$tmp/modules"
    cp "$tmp/root/boot/config-$1" "$tmp/config"
    rm -rf "$tmp/root" "$deb"
    echo "$1" >"$tmp/version"
    chown -R 0:0 "$tmp" 2>/dev/null || true
    chmod 0755 "$tmp"
    mv -T "$tmp" "$2" || die "cannot move the kernel into $2"
}

mkdir -p "$cache" || die "cannot create the cache directory $cache"
version=$(resolve_version)
kdir=$cache/$version
initrd=$kdir/initramfs-$(initrd_key).cpio

if [ ! -f "$kdir/vmlinux" ] || [ ! -f "$initrd" ]; then
    exec 9>"$cache/.lock"
    flock 9
    # Only the lock holder makes scratch trees: any left now are from a
    # process that was killed.
    rm -rf "$cache"/.kernel.* "$cache"/.initrd.*
    # Another process may have built it while this one waited for the lock.
    [ -f "$kdir/vmlinux" ] || build_kernel "$version" "$kdir"
    [ -f "$initrd" ] || build_initrd "$kdir" "$initrd"
    exec 9>&-
fi

printf 'version=%s\nvmlinux=%s\ninitrd=%s\nmodules=%s\n' "$version" "$kdir/vmlinux" "$initrd" "$kdir/modules"
