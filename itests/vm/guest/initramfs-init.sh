#!/bin/sh
# /init of the harness's initramfs (static busybox sh, PID 1).
# Debian's kernel has 9p, virtio-pci and overlayfs as modules, so this stage
# loads them and builds the real root:
#   lower = the host's / over virtio-9p (tag "hostroot"), read-only
#   upper = a tmpfs, so the guest can write without touching the host
# It also sets up, in the new root, everything a modern unified host has and
# a container runtime expects: fresh proc, sys, dev (devtmpfs, pts, shm,
# mqueue, fd links), run and tmp, securityfs, cgroup2 alone (no v1 hierarchy,
# subtree controllers left to the runtime), a hostname and lo up - here and
# not in stage 2 because static busybox applets from RAM cost a fraction of
# what dynamically linked tools over 9p do under TCG.
# The job share (tag "cordonjob") is mounted at /run/cordon-vm.
# The arguments after "--" on the kernel command line are the program to run
# as PID 1 in the new root (the harness's stage 2) and its arguments.
# Failures are printed to the console (console.log on the host) and the guest
# powers off at once instead of panicking or hanging until the timeout.
PATH=/bin
export PATH
r=/newroot

fail() {
    echo "initramfs: $*" >/dev/console
    busybox poweroff -f
}

mnt() { # mnt TYPE SOURCE TARGET [OPTIONS]
    if ! mkdir -p "$3" || ! mount -t "$1" ${4:+-o "$4"} "$2" "$3"; then
        fail "cannot mount $1 on $3"
    fi
}

/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc || fail "cannot mount /proc"
mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"

# The build names the modules NN-name.ko, so the glob gives the load order.
for m in /modules/*.ko; do
    [ -e "$m" ] || continue
    insmod "$m" || fail "insmod $m failed"
done

mnt 9p hostroot /lower trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro
mnt tmpfs rw /rw mode=0755
mkdir -p /rw/upper /rw/work
mnt overlay overlay $r lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work

# The host's /proc, /sys, /dev, /run and /tmp show through 9p: cover them.
mnt proc proc $r/proc
mnt sysfs sysfs $r/sys
mnt devtmpfs devtmpfs $r/dev
mnt tmpfs run $r/run mode=0755,nosuid,nodev
mnt tmpfs tmp $r/tmp mode=1777,nosuid,nodev
ln -sfn /proc/self/fd $r/dev/fd
ln -sfn /proc/self/fd/0 $r/dev/stdin
ln -sfn /proc/self/fd/1 $r/dev/stdout
ln -sfn /proc/self/fd/2 $r/dev/stderr
mnt devpts devpts $r/dev/pts gid=5,mode=0620,ptmxmode=0666
mnt tmpfs shm $r/dev/shm mode=1777,nosuid,nodev
mnt mqueue mqueue $r/dev/mqueue nosuid,nodev,noexec
mnt securityfs securityfs $r/sys/kernel/security
mnt cgroup2 cgroup2 $r/sys/fs/cgroup nsdelegate
mnt 9p cordonjob $r/run/cordon-vm trans=virtio,version=9p2000.L,msize=262144,cache=none

hostname cordon-vm || fail "cannot set the hostname"
ip link set lo up || fail "cannot bring lo up"

[ $# -gt 0 ] || fail "no stage 2 given after -- on the kernel command line"
umount /proc /dev
exec switch_root $r "$@"
