#!/usr/bin/env bash
# Launch benchmark: N launches of `true` through the warm cordon runtime, side by
# side with runc, crun, bwrap and unshare using the same namespaces (pid, mount,
# uts, ipc; no net, no user, no cgroup namespace).
#
#   bench/launch.sh [N]          N timed launches per tool (default 50)
#
# Environment: WARMUP (untimed launches per tool, default 5), COLD_N (cold
# `bin/cordon run -- true` launches, default 5). Needs root. See bench/README.md.
set -euo pipefail

N="${1:-50}"
WARMUP="${WARMUP:-5}"
COLD_N="${COLD_N:-5}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
CORDON="$ROOT/bin/cordon"
PY=/usr/bin/python3
TAG="cordon-bench-$$"

die() { echo "launch.sh: $*" >&2; exit 1; }

for v in N WARMUP COLD_N; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
[ "$N" -ge 1 ] || die "N must be at least 1"
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, mounts and cgroups need it)"
[ -x "$PY" ] || die "$PY is needed for timing"

# --- tools ------------------------------------------------------------------
missing=()
command -v runc >/dev/null || missing+=(runc)
command -v crun >/dev/null || missing+=(crun)
command -v bwrap >/dev/null || missing+=(bubblewrap)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "launch.sh: installing ${missing[*]} with apt-get ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
  fi
fi
for t in runc crun bwrap unshare; do
  command -v "$t" >/dev/null || die "$t is not installed"
done

# --- scratch space and cleanup ----------------------------------------------
TMP="$(mktemp -d /tmp/cordon-bench.XXXXXX)"
RUNC_STATE="$TMP/runc-state"
CRUN_STATE="$TMP/crun-state"
mkdir -p "$RUNC_STATE" "$CRUN_STATE"

# crun 1.8 refuses hybrid cgroups (v1 controllers plus a cgroup2 mount); give it
# a private mount namespace in which that cgroup2 mount is gone.
CRUN_NS=()
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  CRUN_NS=(unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' crun-ns)
fi

cleanup() {
  local rc=$? id d
  trap - EXIT INT TERM
  for id in $(runc --root "$RUNC_STATE" list -q 2>/dev/null); do
    runc --root "$RUNC_STATE" delete --force "$id" >/dev/null 2>&1 || echo "launch.sh: runc delete $id failed" >&2
  done
  for id in $(crun --root "$CRUN_STATE" list -q 2>/dev/null); do
    "${CRUN_NS[@]}" crun --root "$CRUN_STATE" delete --force "$id" >/dev/null 2>&1 \
      || echo "launch.sh: crun delete $id failed" >&2
  done
  # runc/crun remove their cgroups when a container is deleted; catch leftovers.
  for d in /sys/fs/cgroup/*/"$TAG"-*; do
    [ -d "$d" ] && { rmdir "$d" 2>/dev/null || echo "launch.sh: cannot remove cgroup $d" >&2; }
  done
  # Nothing is mounted under $TMP (the bundles' binds happen in the containers'
  # own mount namespaces), but never let rm -rf walk into a mount of /usr.
  if [ -d "$TMP" ]; then
    findmnt -rn -o TARGET | awk -v t="$TMP/" 'index($0 "/", t) == 1' | sort -r | while read -r m; do
      umount -l "$m" || true
    done
    rm -rf --one-file-system "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- timing loop for the external tools --------------------------------------
# timeloop.py NAME N WARMUP OUT -- CMD...: runs CMD WARMUP+N times, writes the
# wall time of each timed run (ns, from fork to reap) to OUT, one per line.
# A non-zero exit stops everything with the tool's stderr shown.
cat >"$TMP/timeloop.py" <<'EOF'
import signal, subprocess, sys, time
name, n, warmup, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
assert sys.argv[5] == "--"
cmd = sys.argv[6:]
TIMEOUT = 120

class Timeout(Exception):
    pass

def alarm(signum, frame):
    raise Timeout()

# Popen.wait() without a timeout blocks in waitpid(); subprocess.run(timeout=...)
# would poll with sleeps growing to 50 ms and round every launch up to the next
# poll. A SIGALRM is the watchdog instead.
signal.signal(signal.SIGALRM, alarm)
times = []
try:
    with open(out + ".stderr", "w+b") as err:
        for i in range(-warmup, n):
            err.seek(0)
            err.truncate()
            t0 = time.perf_counter_ns()
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            signal.alarm(TIMEOUT)
            try:
                rc = p.wait()
            except Timeout:
                p.kill()
                p.wait()
                rc = "timeout after %d s" % TIMEOUT
            finally:
                signal.alarm(0)
            t = time.perf_counter_ns() - t0
            if rc != 0:
                err.seek(0)
                msg = err.read().decode(errors="replace").strip()
                sys.stderr.write("launch.sh: %s failed (launch %d, exit %s): %s\n  command: %s\n"
                                 % (name, i + warmup + 1, rc, msg or "(no stderr)", " ".join(cmd)))
                sys.exit(1)
            if i >= 0:
                times.append(t)
except KeyboardInterrupt:
    sys.exit(130)
with open(out, "w") as f:
    f.write("".join("%d\n" % t for t in times))
EOF

timeloop() { # NAME N WARMUP -- CMD...
  local name="$1" n="$2" w="$3"; shift 4
  "$PY" "$TMP/timeloop.py" "$name" "$n" "$w" "$TMP/$name.ns" -- "$@"
}

# --- what every container must look like (checked once per tool) ------------
H_PID="$(readlink /proc/self/ns/pid)"; H_MNT="$(readlink /proc/self/ns/mnt)"
H_UTS="$(readlink /proc/self/ns/uts)"; H_IPC="$(readlink /proc/self/ns/ipc)"
H_NET="$(readlink /proc/self/ns/net)"; H_USER="$(readlink /proc/self/ns/user)"
check_cmd() { # 1: expect a new root (pivot_root), 0: host root (unshare)
  local c
  c='p=$(readlink /proc/self/ns/pid); m=$(readlink /proc/self/ns/mnt); u=$(readlink /proc/self/ns/uts);'
  c+=' i=$(readlink /proc/self/ns/ipc); n=$(readlink /proc/self/ns/net); s=$(readlink /proc/self/ns/user);'
  c+=" [ \"\$p\" != '$H_PID' ] && [ \"\$m\" != '$H_MNT' ] && [ \"\$u\" != '$H_UTS' ] && [ \"\$i\" != '$H_IPC' ]"
  c+=" && [ \"\$n\" = '$H_NET' ] && [ \"\$s\" = '$H_USER' ]"
  if [ "$1" = 1 ]; then c+=" && [ ! -e '$ROOT' ]"; fi
  c+=' || { echo "unexpected container: pid=$p mnt=$m uts=$u ipc=$i net=$n user=$s root=$(ls / | tr "\n" " ")" >&2; exit 3; }'
  printf '%s' "$c"
}
verify() { # NAME CMD...: one launch of the check command
  local name="$1"; shift
  if ! out="$("$@" </dev/null 2>&1)"; then
    die "$name: the check launch failed: ${out:-(no output)}
  command: $*"
  fi
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- cordon: build if needed (bin/cordon does it), check, cold, warm ----------
echo "launch.sh: cordon: first launch (builds $ROOT/features/full/target/full.jar if stale) ..." >&2
verify cordon "$CORDON" run -- sh -c "$(check_cmd 1)"

# bin/cordon rebuilds the jar when any source is newer; if that happens during the
# cold runs (sources edited meanwhile), they timed Maven too: run them again.
JAR="$ROOT/features/full/target/full.jar"
jar_stamp() { stat -c '%y %s' "$JAR" 2>/dev/null || echo missing; }
for attempt in 1 2 3; do
  echo "launch.sh: cordon cold: $COLD_N x bin/cordon run -- true ..." >&2
  before="$(jar_stamp)"
  timeloop cordon-cold "$COLD_N" 0 -- "$CORDON" run -- true
  [ "$(jar_stamp)" = "$before" ] && break
  [ "$attempt" = 3 ] && die "bin/cordon kept rebuilding $JAR during the cold runs (sources are changing)"
  echo "launch.sh: bin/cordon rebuilt the jar during the cold runs (a source changed); timing them again" >&2
done

echo "launch.sh: cordon warm: bin/cordon bench -n $N --warmup $WARMUP -- true ..." >&2
if ! "$CORDON" bench -n "$N" --warmup "$WARMUP" -- true >"$TMP/cordon.out" 2>"$TMP/cordon.err"; then
  die "cordon bench failed: $(cat "$TMP/cordon.err")"
fi
grep -E '^[0-9]+$' "$TMP/cordon.out" >"$TMP/cordon.ns" || true
[ "$(wc -l <"$TMP/cordon.ns")" -eq "$N" ] \
  || die "cordon bench printed $(wc -l <"$TMP/cordon.ns") timings, expected $N: $(cat "$TMP/cordon.out" "$TMP/cordon.err")"
CORDON_SAYS="$(grep 'median' "$TMP/cordon.err" || true)"

# --- OCI bundles for runc and crun --------------------------------------------
# One rootfs directory shared by both: empty mount points, the host's merged-/usr
# symlinks, and a private /etc with the same few files cordon copies. /usr (and any
# real /lib* directory) is bind-mounted read-only by the runtime itself, in the
# container's mount namespace, on every launch - as cordon and bwrap do.
RFS="$TMP/rootfs"
mkdir -p "$RFS"/{usr,etc,proc,dev,sys,tmp,run,root}
EXTRA_BINDS=()
BWRAP_SYS=()
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then
    ln -s "$(readlink "/$d")" "$RFS/$d"
    BWRAP_SYS+=(--symlink "$(readlink "/$d")" "/$d")
  elif [ -d "/$d" ]; then
    mkdir -p "$RFS/$d"
    EXTRA_BINDS+=("/$d")
    BWRAP_SYS+=(--ro-bind "/$d" "/$d")
  fi
done
BWRAP_ETC=(--dir /etc)
for f in passwd group resolv.conf nsswitch.conf ld.so.cache ld.so.conf; do
  if [ -f "/etc/$f" ]; then
    cp -L "/etc/$f" "$RFS/etc/$f"
    BWRAP_ETC+=(--ro-bind "/etc/$f" "/etc/$f")
  fi
done

make_bundle() { # DIR CGROUP ARGS-JSON
  local dir="$1"
  mkdir -p "$dir"
  (cd "$dir" && runc spec) || die "runc spec failed"
  jq --arg rootfs "$RFS" --arg cg "$2" --argjson args "$3" --argjson extra "$(printf '%s\n' "${EXTRA_BINDS[@]}" | jq -R . | jq -s 'map(select(. != ""))')" '
    .process.terminal = false
    | .process.args = $args
    | .root = {path: $rootfs, readonly: false}
    | .hostname = "bench"
    | .linux.namespaces = [{type: "pid"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}]
    | .linux.cgroupsPath = $cg
    | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
    | .mounts += ([{destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "ro", "nodev"]}]
                  + ($extra | map({destination: ., type: "bind", source: ., options: ["rbind", "ro", "nodev"]}))
                  + [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]},
                     {destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]}])
    | .linux.maskedPaths = ((.linux.maskedPaths + ["/proc/interrupts", "/sys/devices/virtual/powercap"]) | unique)
  ' "$dir/config.json" >"$dir/config.json.new" || die "editing $dir/config.json failed"
  mv "$dir/config.json.new" "$dir/config.json"
}
CHECK_ARGS="$(jq -cn --arg c "$(check_cmd 1)" '["sh", "-c", $c]')"
make_bundle "$TMP/runc" "/$TAG-runc" '["true"]'
make_bundle "$TMP/runc-check" "/$TAG-runc" "$CHECK_ARGS"
make_bundle "$TMP/crun" "/$TAG-crun" '["true"]'
make_bundle "$TMP/crun-check" "/$TAG-crun" "$CHECK_ARGS"

RUNC=(runc --root "$RUNC_STATE" run --bundle)
CRUN=(crun --root "$CRUN_STATE" run --bundle)
BWRAP=(bwrap --unshare-pid --unshare-ipc --unshare-uts --hostname bench
  --ro-bind /usr /usr "${BWRAP_SYS[@]}" "${BWRAP_ETC[@]}"
  --proc /proc --dev /dev --ro-bind /sys /sys --tmpfs /tmp --tmpfs /run)
UNSHARE=(unshare --pid --fork --mount --uts --ipc --mount-proc)

verify runc "${RUNC[@]}" "$TMP/runc-check" "$TAG-runc"
verify crun "${CRUN_NS[@]}" "${CRUN[@]}" "$TMP/crun-check" "$TAG-crun"
verify bwrap "${BWRAP[@]}" sh -c "$(check_cmd 1)"
verify unshare "${UNSHARE[@]}" sh -c "$(check_cmd 0)"

echo "launch.sh: runc, crun, bwrap, unshare, host true: $N launches each after $WARMUP warmups ..." >&2
timeloop runc "$N" "$WARMUP" -- "${RUNC[@]}" "$TMP/runc" "$TAG-runc"
# The whole crun loop runs inside the one mount namespace, so it is not timed.
"${CRUN_NS[@]}" "$PY" "$TMP/timeloop.py" crun "$N" "$WARMUP" "$TMP/crun.ns" -- "${CRUN[@]}" "$TMP/crun" "$TAG-crun"
timeloop bwrap "$N" "$WARMUP" -- "${BWRAP[@]}" true
timeloop unshare "$N" "$WARMUP" -- "${UNSHARE[@]}" true
timeloop host "$N" "$WARMUP" -- /usr/bin/true

# --- table -------------------------------------------------------------------
echo
echo "launch benchmark: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $LOAD_BEFORE at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo "  runc $(runc --version | awk 'NR==1{print $3}'), crun $(crun --version | awk 'NR==1{print $3}'), $(bwrap --version), $(unshare --version | awk '{print $NF}' | sed 's/^/util-linux /')"
[ -n "$CORDON_SAYS" ] && echo "  ($CORDON_SAYS)"
"$PY" - "$TMP" "$N" "$COLD_N" <<'EOF'
import math, sys
tmp, n, cold_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(name):
    with open("%s/%s.ns" % (tmp, name)) as f:
        return sorted(int(l) for l in f if l.strip())
def median(v): return v[len(v) // 2]          # the same element cordon bench calls the median
def p90(v): return v[max(0, math.ceil(0.9 * len(v)) - 1)]  # nearest rank
rows = [
    ("cordon (warm)", "cordon", "in-JVM runtime.run(), framework already up"),
    ("runc run", "runc", "+ v1 cgroup create/remove"),
    ("crun run", "crun", "+ v1 cgroup create/remove; own mount ns w/o cgroup2"),
    ("bwrap", "bwrap", "no /proc masking, caps dropped"),
    ("unshare", "unshare", "no new root: host / plus fresh /proc"),
    ("host true", "host", "no isolation: the timing loop's floor"),
    ("cordon (cold)", "cordon-cold", "bin/cordon run -- true: JVM + framework start"),
]
base = median(load("cordon"))
print()
print("%-15s %5s %10s %10s %9s   %s" % ("tool", "n", "median ms", "p90 ms", "x cordon", "note"))
print("-" * 95)
for label, name, note in rows:
    v = load(name)
    print("%-15s %5d %10.2f %10.2f %8.2fx   %s" % (label, len(v), median(v) / 1e6, p90(v) / 1e6,
                                              median(v) / base, note))
print()
print("x cordon = tool median / cordon (warm) median. External tools are timed one launch at a time")
print("from python3 (subprocess.run, perf_counter_ns: fork+exec of the tool to reap); cordon (warm)")
print("is timed inside the JVM by `bin/cordon bench` (posix_spawn of cordon-launcher to reap).")
print("runc and crun also create, populate and remove a cgroup v1 hierarchy per launch (unavoidable).")
EOF
