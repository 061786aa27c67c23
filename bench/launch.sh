#!/usr/bin/env bash
# Launch benchmark: N launches of `true` through the warm cordon runtime, side by
# side with runc, crun, bwrap and unshare using the same namespaces (pid, mount,
# uts, ipc; no net, no user, no cgroup namespace). See bench/README.md.
#
#   bench/launch.sh [N]          N timed launches per tool (default 50)
#
# Environment:
#   WARMUP  untimed launches per tool and round (default 5)
#   ROUNDS  the N launches of every tool are split into this many rounds that take
#           turns, so that a load change on the machine hits all tools alike
#           (default 5; each round starts one JVM for `bin/cordon bench`)
#   COLD_N  cold `bin/cordon run -- true` launches, spread over the rounds (default 5)
# Needs root.
set -euo pipefail

N="${1:-50}"
WARMUP="${WARMUP:-5}"
ROUNDS="${ROUNDS:-5}"
COLD_N="${COLD_N:-5}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
CORDON="$ROOT/bin/cordon"
JAR="$ROOT/features/full/target/full.jar"
PY=/usr/bin/python3
TAG="cordon-bench-$$"

die() { echo "launch.sh: $*" >&2; exit 1; }

for v in N WARMUP ROUNDS COLD_N; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
[ "$N" -ge 1 ] || die "N must be at least 1"
[ "$ROUNDS" -ge 1 ] || die "ROUNDS must be at least 1"
[ "$ROUNDS" -le "$N" ] || ROUNDS="$N"
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
for t in runc crun bwrap unshare jq findmnt mountpoint; do
  command -v "$t" >/dev/null || die "$t is not installed"
done

# --- scratch space and cleanup ----------------------------------------------
TMP="$(mktemp -d /tmp/cordon-bench.XXXXXX)"
RUNC_STATE="$TMP/runc-state"
CRUN_STATE="$TMP/crun-state"
mkdir -p "$RUNC_STATE" "$CRUN_STATE"

# crun 1.8 refuses hybrid cgroups (v1 controllers plus a cgroup2 mount): it runs
# in a private mount namespace in which that cgroup2 mount is gone.
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
    if [ -d "$d" ]; then rmdir "$d" 2>/dev/null || echo "launch.sh: cannot remove cgroup $d" >&2; fi
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
# timeloop.py NAME N WARMUP OUT -- CMD...: runs CMD WARMUP+N times, one at a time,
# and writes the wall time of each timed run (ns, from just before fork to reap)
# to OUT, one per line. A non-zero exit stops everything with the tool's stderr.
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

# timeloop NAME N WARMUP -- CMD...: one block of launches, appended to $TMP/NAME.ns
timeloop() {
  local name="$1" n="$2" w="$3"; shift 4
  "$PY" "$TMP/timeloop.py" "$name" "$n" "$w" "$TMP/$name.part" -- "$@"
  cat "$TMP/$name.part" >>"$TMP/$name.ns"
}

# --- what every container must look like (checked once per tool) ------------
H_PID="$(readlink /proc/self/ns/pid)"; H_MNT="$(readlink /proc/self/ns/mnt)"
H_UTS="$(readlink /proc/self/ns/uts)"; H_IPC="$(readlink /proc/self/ns/ipc)"
H_NET="$(readlink /proc/self/ns/net)"; H_USER="$(readlink /proc/self/ns/user)"
check_cmd() { # 1: expect a new root (pivot_root), 0: the host's root (unshare)
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
  local name="$1" out; shift
  if ! out="$("$@" </dev/null 2>&1)"; then
    die "$name: the check launch failed: ${out:-(no output)}
  command: $*"
  fi
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
CORDON_REV="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '(not a git checkout)')"

# --- cordon: build if needed (bin/cordon does that), check ---------------------
echo "launch.sh: cordon: first launch (builds $JAR if stale) ..." >&2
verify cordon "$CORDON" run --network host -- sh -c "$(check_cmd 1)"

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
# cordon also re-creates /etc/alternatives (its symlinks) and /etc/ld.so.conf.d
# (its files) on every launch; the OCI rootfs gets copies once, bwrap a bind each.
for d in alternatives ld.so.conf.d; do
  if [ -d "/etc/$d" ] && [ ! -L "/etc/$d" ]; then
    cp -a "/etc/$d" "$RFS/etc/$d"
    BWRAP_ETC+=(--ro-bind "/etc/$d" "/etc/$d")
  fi
done
EXTRA_JSON="$(printf '%s\n' "${EXTRA_BINDS[@]}" | jq -R . | jq -cs 'map(select(. != ""))')"

make_bundle() { # DIR CGROUP ARGS-JSON
  local dir="$1"
  mkdir -p "$dir"
  (cd "$dir" && runc spec) || die "runc spec failed"
  jq --arg rootfs "$RFS" --arg cg "$2" --argjson args "$3" --argjson extra "$EXTRA_JSON" '
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

# --- one block of launches per tool --------------------------------------------
jar_stamp() { stat -c '%y %s' "$JAR" 2>/dev/null || echo missing; }
JAR_STAMPS="$(jar_stamp)"
note_jar() { # bin/cordon rebuilds whenever a source is newer than the jar
  local s; s="$(jar_stamp)"
  case "$JAR_STAMPS" in *"$s"*) ;; *) JAR_STAMPS+=$'\n'"$s" ;; esac
}
CORDON_SAYS=()
run_block() { # TOOL N
  local tool="$1" n="$2" attempt before got
  [ "$n" -ge 1 ] || return 0
  case "$tool" in
    cordon)
      if ! "$CORDON" bench --network host -n "$n" --warmup "$WARMUP" -- true >"$TMP/cordon.out" 2>"$TMP/cordon.err"; then
        die "cordon bench failed: $(cat "$TMP/cordon.err")"
      fi
      grep -E '^[0-9]+$' "$TMP/cordon.out" >"$TMP/cordon.part" || true
      got="$(wc -l <"$TMP/cordon.part")"
      [ "$got" -eq "$n" ] || die "cordon bench printed $got timings, expected $n: $(cat "$TMP/cordon.out" "$TMP/cordon.err")"
      cat "$TMP/cordon.part" >>"$TMP/cordon.ns"
      CORDON_SAYS+=("$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' "$TMP/cordon.err")")
      ;;
    cordon-cold)
      # bin/cordon rebuilds the jar when a source is newer than it; if that happens
      # here (sources edited meanwhile), these launches timed Maven: time them again.
      for attempt in 1 2 3; do
        before="$(jar_stamp)"
        "$PY" "$TMP/timeloop.py" cordon-cold "$n" 0 "$TMP/cordon-cold.part" -- "$CORDON" run --network host -- true
        if [ "$(jar_stamp)" = "$before" ]; then
          cat "$TMP/cordon-cold.part" >>"$TMP/cordon-cold.ns"
          return 0
        fi
        echo "launch.sh: bin/cordon rebuilt $JAR during a cold launch (a source changed); timing again" >&2
      done
      die "bin/cordon kept rebuilding $JAR during the cold launches (sources are changing)"
      ;;
    runc) timeloop runc "$n" "$WARMUP" -- "${RUNC[@]}" "$TMP/runc" "$TAG-runc" ;;
    crun)
      # The whole block runs inside the one mount namespace: unshare+umount are not timed.
      "${CRUN_NS[@]}" "$PY" "$TMP/timeloop.py" crun "$n" "$WARMUP" "$TMP/crun.part" -- \
        "${CRUN[@]}" "$TMP/crun" "$TAG-crun"
      cat "$TMP/crun.part" >>"$TMP/crun.ns"
      ;;
    bwrap) timeloop bwrap "$n" "$WARMUP" -- "${BWRAP[@]}" true ;;
    unshare) timeloop unshare "$n" "$WARMUP" -- "${UNSHARE[@]}" true ;;
    host) timeloop host "$n" "$WARMUP" -- /usr/bin/true ;;
    *) die "unknown tool $tool" ;;
  esac
}

# --- rounds ----------------------------------------------------------------------
TOOLS=(cordon runc crun bwrap unshare host cordon-cold)
share() { echo $(( $1 / ROUNDS + ($2 < $1 % ROUNDS ? 1 : 0) )); } # TOTAL ROUND -> launches in it
for r in $(seq 0 $((ROUNDS - 1))); do
  n="$(share "$N" "$r")"; c="$(share "$COLD_N" "$r")"
  echo "launch.sh: round $((r + 1))/$ROUNDS: $n launches of each tool after $WARMUP warmups, $c cold cordon ..." >&2
  # Each round starts with a different tool, so none is always first after a cold JVM.
  for i in "${!TOOLS[@]}"; do
    t="${TOOLS[$(( (i + r) % ${#TOOLS[@]} ))]}"
    if [ "$t" = cordon-cold ]; then run_block "$t" "$c"; else run_block "$t" "$n"; fi
    note_jar
  done
done

# --- table -------------------------------------------------------------------
echo
echo "launch benchmark: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)," \
  "load average $LOAD_BEFORE at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo "  runc $(runc --version | awk 'NR==1{print $3}'), crun $(crun --version | awk 'NR==1{print $3}')," \
  "$(bwrap --version), util-linux $(unshare --version | awk '{print $NF}'), cordon $CORDON_REV"
echo "  $ROUNDS rounds, $WARMUP warmups per tool and round"
echo "  cordon bench's own median per round (ms): ${CORDON_SAYS[*]}"
BUILDS="$(printf '%s\n' "$JAR_STAMPS" | wc -l)"
if [ "$BUILDS" -gt 1 ]; then
  echo "  WARNING: bin/cordon rebuilt $JAR $((BUILDS - 1)) time(s) during this run because sources"
  echo "  changed: the cordon rows mix $BUILDS builds. Run again on a tree nobody is editing."
fi
"$PY" - "$TMP" <<'EOF'
import math, os, sys
tmp = sys.argv[1]
def load(name):
    path = "%s/%s.ns" % (tmp, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return sorted(int(l) for l in f if l.strip())
def median(v): return v[len(v) // 2]                         # the element cordon bench calls the median
def p90(v): return v[max(0, math.ceil(0.9 * len(v)) - 1)]   # nearest rank
rows = [
    ("cordon (warm)", "cordon", "in-JVM runtime.run(), framework already up"),
    ("runc run", "runc", "+ cgroup v1 create/remove"),
    ("crun run", "crun", "+ cgroup v1 create/remove; in a mount ns without the cgroup2 mount"),
    ("bwrap", "bwrap", "no masked paths, all caps dropped"),
    ("unshare", "unshare", "no new root: host / plus a fresh /proc"),
    ("host true", "host", "no isolation: the timing loop's own floor"),
    ("cordon (cold)", "cordon-cold", "bin/cordon run -- true: JVM + framework start"),
]
base = median(load("cordon"))
print()
print("%-14s %5s %10s %10s %9s   %s" % ("tool", "n", "median ms", "p90 ms", "x cordon", "note"))
print("-" * 100)
for label, name, note in rows:
    v = load(name)
    if not v:
        continue
    print("%-14s %5d %10.2f %10.2f %8.2fx   %s" % (label, len(v), median(v) / 1e6, p90(v) / 1e6,
                                             median(v) / base, note))
print()
print("x cordon = the tool's median / cordon (warm)'s median. External tools are timed one launch at a")
print("time from python3 (Popen + waitpid, perf_counter_ns: fork+exec of the tool until it is reaped);")
print("cordon (warm) is timed inside its JVM by `bin/cordon bench` (posix_spawn of cordon-launcher until")
print("reaped). runc and crun also create, fill and remove a cgroup per launch: unavoidable for them.")
EOF
