#!/bin/bash
# Run a command as root under a second kernel: Debian's stock kernel in QEMU,
# with AppArmor, SELinux (enforcing) or a pure cgroup v2 host - things the
# development host's own kernel does not have.
#
# The host's / is the guest's / (virtio-9p, read-only, under a tmpfs overlay),
# so repository paths, the JDK and the built runtime are the same in the
# guest; writes in the guest never reach the host. The guest has its own
# /proc, /sys, /dev, /run and /tmp.
#
# Usage: run-in-vm.sh MODE [--timeout SECS] [--share DIR|--overlay DIR]... -- COMMAND...
#        run-in-vm.sh MODE [--timeout SECS] [--share DIR|--overlay DIR]... -- -   < script
#   MODE       apparmor | selinux | cgroup2 (see README.md, "Testing under a
#              second kernel")
#   COMMAND    joined with spaces and run by "bash -c" (like ssh), as root, in
#              the caller's working directory; "-" reads the script from stdin
#   --timeout  seconds for boot + command + power-off (default 600); then QEMU
#              is killed and the exit status is 124. Fetching the kernel or
#              building the SELinux policy (first use only) is not counted.
#   --share    a host directory the guest may write, at the same path (for
#              results too big for the serial line, ~130 KB/s)
#   --overlay  a host directory the guest sees at the same path read-only,
#              its writes kept in a tmpfs overlay (a checkout under /tmp or
#              /run, which the guest's own /tmp and /run would hide)
# The command's stdout and stderr come back on stdout (merged, in order) and
# its exit status is this script's. Environment in the guest: PATH, HOME=/root,
# LANG=C.UTF-8, CORDON_VM_MODE, plus CI and every CORDON_* variable of the
# caller. stdin of the command is /dev/null.
# Only harness failures are written to stderr, ending in one line
# "run-in-vm: ..." (exit status 124 on timeout, 125 otherwise), preceded by
# the tail of the guest's kernel console.
#
# Tuning: CORDON_VM_CACHE (kernel/policy cache, default /var/cache/cordon-vm),
# CORDON_VM_KERNEL (pin a kernel version), CORDON_VM_ACCEL (tcg|kvm),
# CORDON_VM_MEMORY (MiB, default 2048), CORDON_VM_APPEND (more kernel command
# line), CORDON_VM_QEMU_ARGS (more QEMU arguments), CORDON_VM_DEBUG=1 (QEMU command line and time on stderr; a verbose
# kernel and a timed trace of stage 2 on the console), CORDON_VM_KEEP=DIR (copy
# the guest's console.log there).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    cat >&2 <<'EOF'
Usage: run-in-vm.sh MODE [--timeout SECS] [--share DIR|--overlay DIR]... -- COMMAND...
       run-in-vm.sh MODE [--timeout SECS] [--share DIR|--overlay DIR]... -- - <SCRIPT
  MODE        apparmor | selinux | cgroup2
  COMMAND...  joined with spaces and run by "bash -c" as root in the guest, in
              the current directory; "-" reads the script from stdin
  --timeout   seconds for boot, command and power-off (default 600)
  --share     a host directory the guest may write, at the same path
  --overlay   a host directory the guest sees read-only at the same path, writes discarded
Output: the command's stdout+stderr. Exit status: the command's; 124 on
timeout, 125 if the harness failed (one line "run-in-vm: ..." on stderr).
EOF
    exit 2
}
die() {
    echo "run-in-vm: $*" >&2
    exit 125
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
apparmor | selinux | cgroup2) ;;
-h | --help) usage ;;
*) die "unknown mode '$mode' (apparmor, selinux or cgroup2)" ;;
esac

timeout=600
shares=()
share_modes=()
while [ $# -gt 0 ]; do
    case $1 in
    --timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
    --timeout=*) timeout=${1#*=}; shift ;;
    --share) [ $# -ge 2 ] || usage; shares+=("$2"); share_modes+=(rw); shift 2 ;;
    --share=*) shares+=("${1#*=}"); share_modes+=(rw); shift ;;
    --overlay) [ $# -ge 2 ] || usage; shares+=("$2"); share_modes+=(overlay); shift 2 ;;
    --overlay=*) shares+=("${1#*=}"); share_modes+=(overlay); shift ;;
    --) shift; break ;;
    *) usage ;;
    esac
done
[ $# -ge 1 ] || usage
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a whole number of seconds, not '$timeout'"

qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (install: apt-get install qemu-system-x86)"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
case $here in *[[:space:]]*) die "the repository path must not contain spaces (it goes on the kernel command line): $here" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/cordon-vm.XXXXXX")
qpid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    # Never leave a QEMU behind (timeout forwards the signal to it).
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
        kill -TERM "$qpid" 2>/dev/null || true
        wait "$qpid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

job=$work/job
mkdir "$job"
if [ "$*" = - ]; then
    cat >"$job/script"
else
    printf '%s\n' "$*" >"$job/script"
fi
# The guest passes the script as one argument to bash -c.
[ "$(stat -c %s "$job/script")" -lt 131072 ] || die "the script is larger than 128 KiB (an argument's limit); put it in a file and run that"
pwd -P >"$job/cwd"
# CI and CORDON_* pass through, NUL-separated so any value survives.
while IFS= read -r -d '' kv; do
    if [[ $kv =~ ^(CI|CORDON_[A-Za-z0-9_]*)= ]]; then
        printf '%s\0' "$kv"
    fi
done < <(env -0) >"$job/env"

share_args=()
: >"$job/shares"
for i in "${!shares[@]}"; do
    if ! dir=$(realpath -e "${shares[i]}" 2>/dev/null) || [ ! -d "$dir" ]; then
        die "--share ${shares[i]}: not a directory"
    fi
    printf '%s\0%s\0%s\0' "$dir" "share$i" "${share_modes[i]}" >>"$job/shares"
    ro=
    [ "${share_modes[i]}" = overlay ] && ro=,readonly=on
    share_args+=(-fsdev "local,id=share$i,path=$dir,security_model=none$ro"
        -device "virtio-9p-pci,fsdev=share$i,mount_tag=share$i")
done

kernel=$("$here/fetch-kernel.sh") || die "cannot get the guest kernel (see the fetch-kernel message above)"
vmlinux=$(sed -n 's/^vmlinux=//p' <<<"$kernel")
initrd=$(sed -n 's/^initrd=//p' <<<"$kernel")
modules=$(sed -n 's/^modules=//p' <<<"$kernel")

# Kernel command line: the console (ttyS0) goes to console.log, never to the
# caller; panic=-1 turns a guest crash into an immediate QEMU exit.
# quiet (unless debugging) and mitigations=off each save ~0.5 s of boot under
# TCG; CPU side-channel mitigations are not what these tests are about.
append="console=ttyS0 panic=-1 rdinit=/init mitigations=off"
[ "${CORDON_VM_DEBUG:-}" = 1 ] || append+=" quiet"
case $mode in
apparmor) append+=" security=apparmor apparmor=1" ;;
selinux)
    append+=" security=selinux selinux=1 enforcing=0"
    policy=$("$here/build-selinux-policy.sh") || die "cannot build the SELinux policy (see above)"
    cp "$policy" "$job/policy"
    ;;
cgroup2) append+=" security=apparmor apparmor=1 cgroup_no_v1=all" ;;
esac
append+=${CORDON_VM_APPEND:+ $CORDON_VM_APPEND}
# Stage 2 runs from the job share, not the repository: a checkout under the
# host's /tmp or /run is hidden by the guest's own when switch_root execs it.
cp "$here/guest/stage2.sh" "$job/stage2.sh"
append+=" -- /run/cordon-vm/stage2.sh $mode"
[ "${CORDON_VM_DEBUG:-}" = 1 ] && append+=" trace"

# Real KVM when there is one. kvm_pvm is a paravirtual nested hypervisor that
# cannot run a stock kernel at a usable speed: emulate (TCG) there.
accel=${CORDON_VM_ACCEL:-}
if [ -z "$accel" ]; then
    accel=tcg
    if [ ! -e /sys/module/kvm_pvm ] && [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        accel=kvm
    fi
fi
# shellcheck disable=SC2054 # commas separate QEMU's sub-options
case $accel in
tcg) accel_args=(-accel tcg,thread=multi -cpu max) ;;
kvm) accel_args=(-accel kvm -cpu host) ;;
*) die "CORDON_VM_ACCEL must be tcg or kvm, not '$accel'" ;;
esac

# q35 rather than pc: its PCI interrupt routing costs the guest ~0.5 s less
# ACPI work when the four virtio devices come up.
# shellcheck disable=SC2054 # commas separate QEMU's sub-options
cmd=("$qemu" -machine q35 -nodefaults -no-reboot -display none -nic none
    "${accel_args[@]}" -smp 2 -m "${CORDON_VM_MEMORY:-2048}"
    -kernel "$vmlinux" -initrd "$initrd" -append "$append"
    -serial "file:$work/console.log" -serial stdio
    -fsdev local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
    -fsdev "local,id=cordonjob,path=$job,security_model=none"
    -device virtio-9p-pci,fsdev=cordonjob,mount_tag=cordonjob
    -fsdev "local,id=modules,path=$modules,readonly=on,security_model=none"
    -device virtio-9p-pci,fsdev=modules,mount_tag=modules
    "${share_args[@]}")
# qboot (qemu-system-data) rather than SeaBIOS: a minimal firmware that hands
# over to the kernel at once, ~0.3 s less under TCG.
if [ -f /usr/share/qemu/qboot.rom ]; then
    cmd+=(-bios /usr/share/qemu/qboot.rom)
fi
# Extra QEMU arguments, split on spaces (experiments, debugging).
if [ -n "${CORDON_VM_QEMU_ARGS:-}" ]; then
    read -r -a extra <<<"$CORDON_VM_QEMU_ARGS"
    cmd+=("${extra[@]}")
fi
[ "${CORDON_VM_DEBUG:-}" = 1 ] && echo "run-in-vm: ${cmd[*]}" >&2

start=${EPOCHREALTIME/./}
# In the background so that the INT/TERM traps run while QEMU does.
# stdin is /dev/null: QEMU must not touch the caller's terminal.
# pdeathsig: should this script be SIGKILLed (no trap runs), timeout gets
# SIGTERM and passes it on to QEMU.
setpriv --pdeathsig TERM timeout -k 5 "$timeout" "${cmd[@]}" </dev/null 2>"$work/qemu.err" &
qpid=$!
rc=0
wait "$qpid" || rc=$?
qpid=
if [ "${CORDON_VM_DEBUG:-}" = 1 ]; then
    ms=$(((${EPOCHREALTIME/./} - start) / 1000))
    printf 'run-in-vm: %s: QEMU ran %d.%03d s (exit %d)\n' "$mode" $((ms / 1000)) $((ms % 1000)) "$rc" >&2
fi
if [ -n "${CORDON_VM_KEEP:-}" ]; then
    cp "$work/console.log" "$CORDON_VM_KEEP/" 2>/dev/null || true
fi

console_tail() {
    echo "run-in-vm: last lines of the guest console ($mode mode):" >&2
    tail -n "${1:-25}" "$work/console.log" 2>/dev/null | sed 's/\r$//; s/^/  | /' >&2 || true
    if [ -s "$work/qemu.err" ]; then
        sed 's/^/  qemu: /' "$work/qemu.err" >&2
    fi
}

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    console_tail
    echo "run-in-vm: timed out after $timeout s in $mode mode: QEMU killed" >&2
    exit 124
fi
if [ -f "$job/status" ]; then
    status=$(cat "$job/status")
    [[ $status =~ ^[0-9]+$ ]] || die "the guest reported a bad exit status '$status'"
    exit "$status"
fi
if [ -s "$job/error" ]; then
    console_tail
    die "guest setup failed in $mode mode: $(head -n1 "$job/error")"
fi
console_tail 40
die "the guest stopped without reporting an exit status in $mode mode (QEMU exit status $rc)"
