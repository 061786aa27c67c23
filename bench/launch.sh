#!/usr/bin/env bash
# Launch benchmark: N launches of `true` through the warm cordon runtime (in one JVM,
# and through the resident runtime's client as a user types it), side by
# side with runc, crun, bwrap and unshare using the same namespaces (pid, mount,
# uts, ipc, cgroup; the host's network and user namespaces). It writes the table,
# with the date, commit, machine and cordon's active stages, into bench/README.md
# (the generated section) and bench/results.json. See bench/README.md.
#
#   bench/launch.sh [--label NAME] [--keep] [--no-record] [N]
#     N            timed launches per tool (default 50)
#     --label NAME name this run in the table (e.g. before-openat2)
#     --keep       keep the earlier runs that carry a label (one with NAME is replaced);
#                  without it this run replaces every earlier one
#     --no-record  print the table only; leave bench/README.md and bench/results.json alone
#
# Environment:
#   WARMUP  untimed launches per tool and round (default 5)
#   ROUNDS  the N launches of every tool are split into this many rounds that take
#           turns, so that a load change on the machine hits all tools alike
#           (default 5; each round starts one JVM for `bin/cordon bench`)
#   COLD_N  cold `bin/cordon run -- true` launches, spread over the rounds (default 5)
# Needs root. Exits 1 with one line if any row could not be measured (the table,
# recorded all the same, says why).
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
BENCH="$ROOT/bench"
CORDON="$ROOT/bin/cordon"
JAR="$ROOT/features/full/target/full.jar"
RESULTS="$BENCH/results.json"
README="$BENCH/README.md"
PY=/usr/bin/python3
TAG="cordon-bench-$$"

die() { echo "launch.sh: $*" >&2; exit 1; }
usage() { sed -n '7,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

LABEL="" KEEP=() NO_RECORD=() N=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --label) [ "$#" -ge 2 ] || die "--label needs a name (e.g. --label before-openat2)"; LABEL="$2"; shift 2 ;;
    --label=*) LABEL="${1#--label=}"; shift ;;
    --keep) KEEP=(--keep); shift ;;
    --no-record) NO_RECORD=(--no-record); shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1'; usage: bench/launch.sh [--label NAME] [--keep] [--no-record] [N]" ;;
    *) [ -z "$N" ] || die "one count only (got '$N' and '$1')"; N="$1"; shift ;;
  esac
done
N="${N:-50}"
WARMUP="${WARMUP:-5}"
ROUNDS="${ROUNDS:-5}"
COLD_N="${COLD_N:-5}"
for v in N WARMUP ROUNDS COLD_N; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
[ "$N" -ge 1 ] || die "N must be at least 1"
[ "$ROUNDS" -ge 1 ] || die "ROUNDS must be at least 1"
[ "$ROUNDS" -le "$N" ] || ROUNDS="$N"
if [ -n "$LABEL" ] && ! [[ "$LABEL" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$ ]]; then
  die "--label must be letters, digits, '.', '_' or '-' (at most 40, starting with a letter or digit), got '$LABEL'"
fi
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, mounts and cgroups need it)"
[ -x "$PY" ] || die "$PY is needed for timing (Debian package python3)"
for t in jq findmnt mountpoint git; do
  command -v "$t" >/dev/null || die "$t is not installed (Debian packages: jq, util-linux, git)"
done
# Before minutes of measuring: can the results be written at all?
if [ "${#NO_RECORD[@]}" -eq 0 ]; then "$PY" "$BENCH/report.py" check "$RESULTS" "$README" || exit 1; fi

# --- scratch space and cleanup ----------------------------------------------
TMP="$(mktemp -d /tmp/cordon-bench.XXXXXX)"
RUNC_STATE="$TMP/runc-state"
CRUN_STATE="$TMP/crun-state"
mkdir -p "$RUNC_STATE" "$CRUN_STATE" "$TMP/deploy"
# A deploy folder of its own: a bundle someone dropped into /var/lib/cordon/deploy
# must not join (or replace) a stage in the measured runtime.
export CORDON_DEPLOY="$TMP/deploy"
# The warm and cold rows keep their meaning (a runtime inside this one JVM; one JVM per
# command), so bin/cordon runs without the resident runtime for them. The client row
# goes through a daemon of this run's own, on a private socket, started below.
export CORDON_NO_DAEMON=1
DAEMON_SOCK="$TMP/cordond/cordon.sock"
DAEMON_PID=""
CLIENT=(env -u CORDON_NO_DAEMON CORDON_SOCKET="$DAEMON_SOCK" "$CORDON")

# crun 1.8 refuses hybrid cgroups (v1 controllers plus a cgroup2 mount): it runs
# in a private mount namespace in which that cgroup2 mount is gone.
CRUN_NS=()
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  CRUN_NS=(unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' crun-ns)
fi

cleanup() {
  local rc=$? id d
  trap - EXIT INT TERM
  if [ -n "$DAEMON_PID" ]; then
    kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  fi
  if command -v runc >/dev/null; then
    for id in $(runc --root "$RUNC_STATE" list -q 2>/dev/null); do
      runc --root "$RUNC_STATE" delete --force "$id" >/dev/null 2>&1 || echo "launch.sh: runc delete $id failed" >&2
    done
  fi
  if command -v crun >/dev/null; then
    for id in $(crun --root "$CRUN_STATE" list -q 2>/dev/null); do
      "${CRUN_NS[@]}" crun --root "$CRUN_STATE" delete --force "$id" >/dev/null 2>&1 \
        || echo "launch.sh: crun delete $id failed" >&2
    done
  fi
  # runc/crun remove their cgroups when a container is deleted; catch leftovers.
  for d in /sys/fs/cgroup/*/"$TAG"-* /sys/fs/cgroup/"$TAG"-*; do
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

# --- rows that are not measured ------------------------------------------------
# Every tool keeps its row. One that is missing or fails gets its reason there
# (the first reason wins) and no more launches; the script then exits 1.
declare -A STATUS=()
not_measured() { # KEY REASON
  local reason
  reason="$(printf '%s' "$2" | tr -s '\n\t ' '   ' | cut -c1-300)"
  if [ -z "${STATUS[$1]:-}" ]; then
    STATUS[$1]="$reason"
    echo "launch.sh: $1: $reason" >&2
  fi
}
measuring() { [ -z "${STATUS[$1]:-}" ]; }
interrupted() { # RC: a child that died of Ctrl-C or SIGTERM stops the whole run
  case "$1" in 130) exit 130 ;; 143) exit 143 ;; esac
}

# --- tools ------------------------------------------------------------------
declare -A PACKAGE=([runc]=runc [crun]=crun [bwrap]=bubblewrap [unshare]=util-linux)
missing=()
for t in runc crun bwrap; do command -v "$t" >/dev/null || missing+=("${PACKAGE[$t]}"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    echo "launch.sh: installing ${missing[*]} with apt-get ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>"$TMP/apt.err"; then
      apt-get update -qq >/dev/null 2>>"$TMP/apt.err" || true
      apt-get install -y -qq "${missing[@]}" >/dev/null 2>"$TMP/apt.err" || true
    fi
  else
    echo "no apt-get to install it with" >"$TMP/apt.err"
  fi
fi
for t in runc crun bwrap unshare; do
  if ! command -v "$t" >/dev/null; then
    why="$(grep -v '^[[:space:]]*$' "$TMP/apt.err" 2>/dev/null | tail -n 1 || true)"
    not_measured "$t" "not installed: Debian package ${PACKAGE[$t]} (${why:-apt-get installed it, but there is no $t on PATH})"
  fi
done

# --- the run's facts ------------------------------------------------------------
START="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
START_S="$(date +%s)"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
COMMIT="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null)" || die "$ROOT is not a git checkout: a run records its commit"
# Dirty = anything that can change what is measured; the two files a run writes do not.
git -C "$ROOT" status --porcelain=v1 --untracked-files=normal \
  | awk '{ p = substr($0, 4); if (p != "bench/README.md" && p != "bench/results.json") print p }' >"$TMP/dirty"
CPU="$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)"
CPU="${CPU:-$(uname -m)}"
MEM="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
OS="$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}" || echo unknown)"
case "$(stat -fc %T /sys/fs/cgroup)" in
  cgroup2fs) CGROUPS="cgroup v2" ;;
  tmpfs) if mountpoint -q /sys/fs/cgroup/unified; then CGROUPS="cgroup v1 hybrid (v1 controllers, a cgroup2 mount)"
         else CGROUPS="cgroup v1"; fi ;;
  *) CGROUPS="cgroups: $(stat -fc %T /sys/fs/cgroup)" ;;
esac
TOOLS_JSON="$(
  {
    echo "java $(java -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p')"
    if command -v runc >/dev/null; then echo "runc $(runc --version | awk 'NR==1{print $3}')"; fi
    if command -v crun >/dev/null; then echo "crun $(crun --version | awk 'NR==1{print $3}')"; fi
    if command -v bwrap >/dev/null; then bwrap --version; fi
    if command -v unshare >/dev/null; then echo "util-linux $(unshare --version | awk '{print $NF}')"; fi
  } | jq -R 'capture("^(?<k>\\S+) (?<v>.*)$")' | jq -cs 'map({(.k): .v}) | add // {}'
)"

# --- what every container must look like (checked once per tool) ------------
# New pid, mnt, uts, ipc and cgroup namespaces; the host's net and user ones.
declare -A HOST_NS=()
for ns in pid mnt uts ipc cgroup net user; do HOST_NS[$ns]="$(readlink "/proc/self/ns/$ns")"; done
check_cmd() { # 1: expect a new root (pivot_root), 0: the host's root (unshare)
  local c="" ns
  for ns in pid mnt uts ipc cgroup; do c+="[ \"\$(readlink /proc/self/ns/$ns)\" != '${HOST_NS[$ns]}' ] && "; done
  for ns in net user; do c+="[ \"\$(readlink /proc/self/ns/$ns)\" = '${HOST_NS[$ns]}' ] && "; done
  if [ "$1" = 1 ]; then c+="[ ! -e '$ROOT' ] && "; fi
  # Passed: say what the container holds (its capabilities, no_new_privs, seccomp mode) for the table.
  c+="grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"
  c+=' || { echo "unexpected container: $(for n in pid mnt uts ipc cgroup net user; do printf "%s=%s " $n $(readlink /proc/self/ns/$n); done)root=$(ls / | tr "\n" " ")" >&2; exit 3; }'
  printf '%s' "$c"
}
verify() { # KEY CMD...: one launch of the check command; a failure is the row's reason
  local key="$1" out rc=0; shift
  out="$("$@" </dev/null 2>&1)" || rc=$?
  interrupted "$rc"
  if [ "$rc" != 0 ]; then
    not_measured "$key" "failed: the check launch exited $rc: ${out:-(no output)}"
    return 1
  fi
  printf '%s\n' "$out" >"$TMP/$key.holds"
}

# --- cordon: build if needed (bin/cordon does that), check, list the stages ------
echo "launch.sh: cordon: first launch (builds $JAR if stale) ..." >&2
if verify cordon "$CORDON" run --network host -- sh -c "$(check_cmd 1)"; then
  cp "$TMP/cordon.holds" "$TMP/cordon-cold.holds"
else
  not_measured cordon-cold "${STATUS[cordon]}"
fi
grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status >"$TMP/host.holds"

# --- cordond of this run's own, for the client row --------------------------------
mkdir -p "$(dirname "$DAEMON_SOCK")"
env -u CORDON_NO_DAEMON CORDON_SOCKET="$DAEMON_SOCK" "$CORDON" daemon >"$TMP/cordond.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 300); do
  [ -S "$DAEMON_SOCK" ] && break
  kill -0 "$DAEMON_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -S "$DAEMON_SOCK" ]; then
  verify cordon-client "${CLIENT[@]}" run --network host -- sh -c "$(check_cmd 1)" || true
else
  not_measured cordon-client "failed: bin/cordon daemon did not listen on $DAEMON_SOCK: $(tail -n 1 "$TMP/cordond.log")"
fi
if ! "$CORDON" stages >"$TMP/stages.txt" 2>"$TMP/stages.err"; then
  die "bin/cordon stages failed, so the run cannot say which stages it measured: $(tr -s '\n' ' ' <"$TMP/stages.err")"
fi
STAGES_JSON="$(awk 'NR > 1 && !/^LSM:/' "$TMP/stages.txt" | jq -R '
  capture("^(?<name>\\S+)\\s+(?<phase>\\S+)\\s+(?<order>\\S+)\\s+(?<bundle>\\S+)\\s+(?<handles>\\S+)\\s+(?<availability>.*)$")
  | {name, phase, availability}' | jq -cs .)"
[ "$(jq length <<<"$STAGES_JSON")" -gt 0 ] || die "bin/cordon stages listed no stage: $(cat "$TMP/stages.txt")"

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
# cordon also binds /etc/alternatives read-only and re-creates /etc/ld.so.conf.d
# (its files) on every launch; the OCI rootfs gets copies once, bwrap a bind each.
for d in alternatives ld.so.conf.d; do
  if [ -d "/etc/$d" ] && [ ! -L "/etc/$d" ]; then
    cp -a "/etc/$d" "$RFS/etc/$d"
    BWRAP_ETC+=(--ro-bind "/etc/$d" "/etc/$d")
  fi
done
EXTRA_JSON="$(printf '%s\n' "${EXTRA_BINDS[@]}" | jq -R . | jq -cs 'map(select(. != ""))')"

# runc's `spec` is the base config of both (crun's when runc is missing).
SPEC_TOOL=""
for t in runc crun; do if command -v "$t" >/dev/null; then SPEC_TOOL="$t"; break; fi; done
make_bundle() { # DIR CGROUP ARGS-JSON
  local dir="$1"
  mkdir -p "$dir"
  (cd "$dir" && "$SPEC_TOOL" spec) || die "$SPEC_TOOL spec failed"
  jq --arg rootfs "$RFS" --arg cg "$2" --argjson args "$3" --argjson extra "$EXTRA_JSON" '
    .process.terminal = false
    | .process.args = $args
    | .root = {path: $rootfs, readonly: false}
    | .hostname = "bench"
    | .linux.namespaces = [{type: "pid"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}, {type: "cgroup"}]
    | .linux.cgroupsPath = $cg
    | .mounts += ([{destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "ro", "nodev"]}]
                  + ($extra | map({destination: ., type: "bind", source: ., options: ["rbind", "ro", "nodev"]}))
                  + [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]},
                     {destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]}])
    | .linux.maskedPaths = ((.linux.maskedPaths + ["/proc/interrupts", "/sys/devices/virtual/powercap"]) | unique)
  ' "$dir/config.json" >"$dir/config.json.new" || die "editing $dir/config.json failed"
  mv "$dir/config.json.new" "$dir/config.json"
}
if [ -n "$SPEC_TOOL" ]; then
  CHECK_ARGS="$(jq -cn --arg c "$(check_cmd 1)" '["sh", "-c", $c]')"
  make_bundle "$TMP/runc" "/$TAG-runc" '["true"]'
  make_bundle "$TMP/runc-check" "/$TAG-runc" "$CHECK_ARGS"
  make_bundle "$TMP/crun" "/$TAG-crun" '["true"]'
  make_bundle "$TMP/crun-check" "/$TAG-crun" "$CHECK_ARGS"
fi

RUNC=(runc --root "$RUNC_STATE" run --bundle)
CRUN=(crun --root "$CRUN_STATE" run --bundle)
BWRAP=(bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup --hostname bench
  --ro-bind /usr /usr "${BWRAP_SYS[@]}" "${BWRAP_ETC[@]}"
  --proc /proc --dev /dev --ro-bind /sys /sys --tmpfs /tmp --tmpfs /run)
UNSHARE=(unshare --pid --fork --mount --uts --ipc --cgroup --mount-proc)

if measuring runc; then verify runc "${RUNC[@]}" "$TMP/runc-check" "$TAG-runc" || true; fi
if measuring crun; then verify crun "${CRUN_NS[@]}" "${CRUN[@]}" "$TMP/crun-check" "$TAG-crun" || true; fi
if measuring bwrap; then verify bwrap "${BWRAP[@]}" sh -c "$(check_cmd 1)" || true; fi
if measuring unshare; then verify unshare "${UNSHARE[@]}" sh -c "$(check_cmd 0)" || true; fi

# --- one block of launches per tool --------------------------------------------
jar_stamp() { stat -c '%y %s' "$JAR" 2>/dev/null || echo missing; }
JAR_STAMPS="$(jar_stamp)"
note_jar() { # bin/cordon rebuilds whenever a source is newer than the jar
  local s; s="$(jar_stamp)"
  case "$JAR_STAMPS" in *"$s"*) ;; *) JAR_STAMPS+=$'\n'"$s" ;; esac
}
# timeloop KEY N WARMUP -- CMD...: one block, appended to $TMP/KEY.ns; a failure is the row's reason.
# The loop itself runs under "${TIMELOOP_IN[@]}" (empty but for crun).
TIMELOOP_IN=()
timeloop() {
  local key="$1" n="$2" w="$3" rc=0; shift 4
  "${TIMELOOP_IN[@]}" "$PY" "$BENCH/timeloop.py" "$key" "$n" "$w" "$TMP/$key.part" -- "$@" || rc=$?
  interrupted "$rc"
  if [ "$rc" != 0 ]; then
    not_measured "$key" "failed in round $((r + 1)): $(cat "$TMP/$key.part.failed" 2>/dev/null || echo "timeloop.py exited $rc")"
    return 0
  fi
  cat "$TMP/$key.part" >>"$TMP/$key.ns"
}
CORDON_SAYS=()
run_block() { # KEY N
  local key="$1" n="$2" attempt before got rc=0
  [ "$n" -ge 1 ] || return 0
  measuring "$key" || return 0
  case "$key" in
    cordon)
      "$CORDON" bench --network host -n "$n" --warmup "$WARMUP" -- true >"$TMP/cordon.out" 2>"$TMP/cordon.err" || rc=$?
      interrupted "$rc"
      if [ "$rc" != 0 ]; then
        not_measured cordon "failed in round $((r + 1)): cordon bench exited $rc: $(cat "$TMP/cordon.err")"
        return 0
      fi
      grep -E '^[0-9]+$' "$TMP/cordon.out" >"$TMP/cordon.part" || true
      got="$(wc -l <"$TMP/cordon.part")"
      if [ "$got" -ne "$n" ]; then
        not_measured cordon "failed in round $((r + 1)): cordon bench printed $got timings, expected $n: $(cat "$TMP/cordon.out" "$TMP/cordon.err")"
        return 0
      fi
      cat "$TMP/cordon.part" >>"$TMP/cordon.ns"
      CORDON_SAYS+=("$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' "$TMP/cordon.err")")
      ;;
    cordon-cold)
      # bin/cordon rebuilds the jar when a source is newer than it; if that happens
      # here (sources edited meanwhile), these launches timed Maven: time them again.
      for attempt in 1 2 3; do
        before="$(jar_stamp)"
        timeloop cordon-cold-block "$n" 0 -- "$CORDON" run --network host -- true
        if ! measuring cordon-cold-block; then
          not_measured cordon-cold "${STATUS[cordon-cold-block]}"
          return 0
        fi
        if [ "$(jar_stamp)" = "$before" ]; then
          cat "$TMP/cordon-cold-block.ns" >>"$TMP/cordon-cold.ns"
          rm -f "$TMP/cordon-cold-block.ns"
          return 0
        fi
        rm -f "$TMP/cordon-cold-block.ns"
        echo "launch.sh: bin/cordon rebuilt $JAR during a cold launch (a source changed); timing again" >&2
      done
      not_measured cordon-cold "failed: bin/cordon kept rebuilding $JAR during the cold launches (sources are changing)"
      ;;
    cordon-client) timeloop cordon-client "$n" "$WARMUP" -- "${CLIENT[@]}" run --network host -- true ;;
    runc) timeloop runc "$n" "$WARMUP" -- "${RUNC[@]}" "$TMP/runc" "$TAG-runc" ;;
    crun)
      # The whole block runs inside the one mount namespace: unshare+umount are not timed.
      TIMELOOP_IN=("${CRUN_NS[@]}")
      timeloop crun "$n" "$WARMUP" -- "${CRUN[@]}" "$TMP/crun" "$TAG-crun"
      TIMELOOP_IN=()
      ;;
    bwrap) timeloop bwrap "$n" "$WARMUP" -- "${BWRAP[@]}" true ;;
    unshare) timeloop unshare "$n" "$WARMUP" -- "${UNSHARE[@]}" true ;;
    host) timeloop host "$n" "$WARMUP" -- /usr/bin/true ;;
    *) die "unknown tool $key" ;;
  esac
}

# --- rounds ----------------------------------------------------------------------
TOOLS=(cordon cordon-client runc crun bwrap unshare host cordon-cold)
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

# --- the table -------------------------------------------------------------------
WARNINGS=()
BUILDS="$(printf '%s\n' "$JAR_STAMPS" | wc -l)"
if [ "$BUILDS" -gt 1 ]; then
  WARNINGS+=("bin/cordon rebuilt $JAR $((BUILDS - 1)) time(s) during this run because sources changed: the cordon rows mix $BUILDS builds. Run again on a tree nobody is editing.")
fi
for key in "${!STATUS[@]}"; do
  case "$key" in cordon-cold-block) ;; *) printf '%s\n' "${STATUS[$key]}" >"$TMP/$key.status" ;; esac
done
jq -n --arg run_label "$LABEL" --arg date "$START" --argjson duration "$(( $(date +%s) - START_S ))" \
  --arg commit "$COMMIT" --rawfile dirty "$TMP/dirty" \
  --arg cpu "$CPU" --arg cpus "$(nproc)" --arg mem "$MEM" --arg kernel "$(uname -r)" --arg os "$OS" \
  --arg cgroups "$CGROUPS" --arg load_start "$LOAD_START" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --argjson tools "$TOOLS_JSON" --argjson stages "$STAGES_JSON" \
  --argjson n "$N" --argjson rounds "$ROUNDS" --argjson warmup "$WARMUP" --argjson cold_n "$COLD_N" \
  --argjson medians "$(printf '%s\n' "${CORDON_SAYS[@]}" | jq -R . | jq -cs 'map(select(. != ""))')" \
  --argjson warnings "$(printf '%s\n' "${WARNINGS[@]}" | jq -R . | jq -cs 'map(select(. != ""))')" \
  '{
    "label": (if $run_label == "" then null else $run_label end), date: $date, duration_s: $duration,
    commit: $commit, dirty: ($dirty | split("\n") | map(select(. != ""))),
    machine: {cpu: $cpu, cpus: $cpus, memory: $mem, kernel: $kernel, os: $os, cgroups: $cgroups},
    load_start: $load_start, load_end: $load_end, tools: $tools, stages: $stages,
    method: {n: $n, rounds: $rounds, warmup: $warmup, cold_n: $cold_n},
    cordon_round_medians: $medians, warnings: $warnings
  }' >"$TMP/meta.json"
echo
"$PY" "$BENCH/report.py" record "$TMP" "$RESULTS" "$README" "${KEEP[@]}" "${NO_RECORD[@]}"
