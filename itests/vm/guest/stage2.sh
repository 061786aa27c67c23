#!/bin/bash
# PID 1 of the guest after switch_root. It runs from the host's root over 9p,
# so it changes without rebuilding the cached initramfs; the initramfs has
# already mounted the kernel filesystems and the job share.
# It sets up the LSM of the chosen mode and checks it, runs the job's command
# with its output on the second serial port, writes the exit status to the
# job share and powers off.
# Usage (from the kernel command line, after "--"): stage2.sh MODE [trace]
# Protocol with run-in-vm.sh, all in the job share (/run/cordon-vm):
#   in:  script (bash -c text), cwd, env (NUL-separated KEY=VALUE),
#        shares (NUL-separated: host dir, 9p tag), policy (selinux mode)
#   out: status (the command's exit status) or error (one line: why the guest
#        could not run it)
# Under TCG every exec of a dynamically linked tool over 9p costs ~50 ms:
# bash builtins and static busybox applets where they will do.
# No set -e: whatever fails, PID 1 must still report and power off.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mode=${1:-}
job=/run/cordon-vm
out=/dev/ttyS1
bb=/bin/busybox

# CORDON_VM_DEBUG=1 on the host: trace every step, timed, to the console.
if [ "${2:-}" = trace ]; then
    exec 2>/dev/console
    PS4='+ ${EPOCHREALTIME} '
    set -x
fi

poweroff() {
    $bb sync
    $bb poweroff -f
    $bb sleep 10 # not reached; PID 1 must never exit (a panic)
}

die() {
    echo "stage2: $*" >/dev/console
    printf '%s\n' "$*" >"$job/error"
    poweroff
}

mnt() { # mnt TYPE SOURCE TARGET [OPTIONS]
    if ! $bb mkdir -p "$3" || ! $bb mount -t "$1" ${4:+-o "$4"} "$2" "$3"; then
        die "cannot mount $1 on $3"
    fi
}

[ -f "$job/script" ] || die "no job script in the job share"

# Modules of the guest's kernel (the host's /lib/modules is for the host's
# kernel), so modprobe works in the guest.
read -r _ _ kver _ </proc/version
mnt 9p modules "/lib/modules/$kver" trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro

# Extra host directories, at the same path as on the host: writable (--share),
# or read-only under a tmpfs overlay (--overlay: a checkout the guest's own /tmp
# or /run hides, whose writes must not reach the host, as for the root).
if [ -s "$job/shares" ]; then
    mapfile -d '' shares <"$job/shares"
    for ((i = 0; i + 2 < ${#shares[@]}; i += 3)); do
        dir=${shares[i]} tag=${shares[i + 1]}
        if [ "${shares[i + 2]}" = overlay ]; then
            mnt 9p "$tag" "/run/cordon-vm-lower/$tag" trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro
            mnt tmpfs "$tag-rw" "/run/cordon-vm-upper/$tag" mode=0755
            $bb mkdir -p "/run/cordon-vm-upper/$tag/upper" "/run/cordon-vm-upper/$tag/work"
            mnt overlay overlay "$dir" "lowerdir=/run/cordon-vm-lower/$tag,upperdir=/run/cordon-vm-upper/$tag/upper,workdir=/run/cordon-vm-upper/$tag/work"
        else
            mnt 9p "$tag" "$dir" trans=virtio,version=9p2000.L,msize=262144,cache=none
        fi
    done
fi

case $mode in
apparmor)
    lsm=$(</sys/kernel/security/lsm)
    [[ ,$lsm, == *,apparmor,* ]] || die "apparmor is not an active LSM (lsm: $lsm)"
    enabled=$(</sys/module/apparmor/parameters/enabled)
    [ "$enabled" = Y ] || die "apparmor is not enabled (/sys/module/apparmor/parameters/enabled: $enabled)"
    ;;
selinux)
    lsm=$(</sys/kernel/security/lsm)
    [[ ,$lsm, == *,selinux,* ]] || die "selinux is not an active LSM (lsm: $lsm)"
    mnt selinuxfs selinuxfs /sys/fs/selinux
    # selinuxfs takes the whole policy in a single write(): dd one block of
    # the file's size (fullblock: 9p may return short reads).
    [ -f "$job/policy" ] || die "no policy in the job share"
    size=$($bb stat -c %s "$job/policy")
    $bb dd if="$job/policy" of=/sys/fs/selinux/load bs="$size" count=1 iflag=fullblock 2>/dev/null ||
        die "loading the SELinux policy failed (see the console log)"
    echo 1 >/sys/fs/selinux/enforce || die "cannot switch SELinux to enforcing"
    enforce=$(</sys/fs/selinux/enforce)
    [ "$enforce" = 1 ] || die "SELinux did not become enforcing (enforce: $enforce)"
    ;;
cgroup2)
    controllers=$(</sys/fs/cgroup/cgroup.controllers)
    for c in cpu memory pids; do
        [[ " $controllers " == *" $c "* ]] || die "cgroup2 controller $c missing (have: $controllers)"
    done
    ;;
*)
    die "unknown mode '$mode'"
    ;;
esac

cwd=$(<"$job/cwd")
[ -d "$cwd" ] || die "working directory $cwd does not exist in the guest (its /tmp, /run, /proc, /sys and /dev are its own)"
env=(PATH="$PATH" HOME=/root LANG=C.UTF-8 CORDON_VM_MODE="$mode")
if [ -s "$job/env" ]; then
    mapfile -d '' -O "${#env[@]}" env <"$job/env"
fi
script=$(<"$job/script")

# Output goes raw to the second serial port: no \n -> \r\n, no echo.
$bb stty -F "$out" raw -echo || die "cannot set $out to raw mode"
# The redirections happen in the subshell, which is no session leader, so
# ttyS1 does not become PID 1's controlling terminal.
(
    cd "$cwd" || exit 125
    exec env -i "${env[@]}" /bin/bash -c "$script" </dev/null >"$out" 2>&1
)
status=$?
# coreutils stty sets with TCSADRAIN: returns once every byte has left the
# UART, so nothing is lost to the power-off.
stty raw -echo <"$out" 2>/dev/null
echo "$status" >"$job/status"
poweroff
