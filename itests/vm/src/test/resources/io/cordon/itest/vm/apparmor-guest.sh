# AppArmorVmIT's guest script (bash, as root, in the repository root, under a kernel where AppArmor is the
# active LSM and no profile is loaded). One cordon runtime for every container: a JVM starts ~40x slower under
# emulation, so bin/cordon shell is fed a Gogo script of cordon:run lines. Every container reports through
# /aa/probe.py, whose lines read "AA CASE CHECK RESULT"; the host side prints "HOST CHECK RESULT".
# By hand: itests/vm/run-in-vm.sh apparmor -- - < itests/vm/src/test/resources/io/cordon/itest/vm/apparmor-guest.sh
set -u
[ -f features/full/target/full.jar ] || { echo "HOST error no features/full/target/full.jar: build it on the host"; exit 1; }
mkdir -p /tmp/aa

# Each argument is one check; its result is "ok", the errno name of the failure, or what was read.
cat >/tmp/aa/probe.py <<'EOF'
import ctypes, errno, os, sys

libc = ctypes.CDLL(None, use_errno=True)


def mount():
    os.makedirs("/mnt", exist_ok=True)
    if libc.mount(b"none", b"/mnt", b"tmpfs", 0, None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def write(path):
    with open(path, "w") as f:
        f.write("h")


def read(path):
    with open(path) as f:
        f.read()


checks = {
    "attr": lambda: open("/proc/self/attr/current").read().strip(),
    "mount": mount,
    "sysrq-write": lambda: write("/proc/sysrq-trigger"),
    "sysrq-read": lambda: read("/proc/sysrq-trigger"),
    "read-group": lambda: read("/etc/group"),
    "read-passwd": lambda: read("/etc/passwd"),
}
case = sys.argv[1]
for name in sys.argv[2:]:
    try:
        result = checks[name]()
        print("AA", case, name, "ok" if result is None else result, flush=True)
    except OSError as e:
        print("AA", case, name, errno.errorcode.get(e.errno, str(e.errno)), flush=True)
EOF

# A profile of the test's own, loaded the way an administrator would: all a container needs, but /etc/group
# may not be read.
cat >/tmp/aa/cordon-test-deny <<'EOF'
abi <abi/3.0>,
profile cordon-test-deny flags=(attach_disconnected,mediate_deleted) {
  file,
  network,
  unix,
  capability,
  signal (receive) peer=unconfined,
  signal (send, receive) peer=cordon-test-deny,
  deny /etc/group r,
}
EOF
apparmor_parser -r /tmp/aa/cordon-test-deny && echo "HOST test-profile loaded"

# The host (unconfined) signals a container under cordon-default: the profile must let it in, or the sleep runs
# its full minute and the container reports a normal exit instead of SIGTERM's 143. The signaller reports into a
# file, printed after the shell: written to the console it could land after a Gogo prompt, on the prompt's line.
# It waits as long as the shell runs (a fixed number of tries ran out on a loaded host before the container started).
(
    until pkill -TERM -f '^sleep 61$' 2>/dev/null; do
        sleep 0.2
    done
    echo sent >/tmp/aa/signal
) &
signaller=$!

CORDON_NO_BUILD=1 bin/cordon shell <<'EOF'
cordon:stages
cordon:run -v /tmp/aa:/aa:ro -- python3 /aa/probe.py default attr sysrq-write sysrq-read read-group
cordon:run -v /tmp/aa:/aa:ro --cap-add SYS_ADMIN -- python3 /aa/probe.py default-sys-admin attr mount
cordon:run -v /tmp/aa:/aa:ro --security-opt no-new-privileges -- python3 /aa/probe.py default-nnp attr
cordon:run -v /tmp/aa:/aa:ro --security-opt apparmor=cordon-test-deny -- python3 /aa/probe.py custom attr read-group read-passwd
cordon:run -v /tmp/aa:/aa:ro --security-opt apparmor=unconfined --cap-add SYS_ADMIN -- python3 /aa/probe.py unconfined attr mount sysrq-read read-group
cordon:run --security-opt apparmor=cordon-not-loaded -- sh -c 'echo AA not-loaded ran'
cordon:run -- sh -c 'sleep 61; echo AA signal exit $?'
exit
EOF
echo "HOST shell-exit $?"
kill "$signaller" 2>/dev/null
wait
echo "HOST signal $(cat /tmp/aa/signal 2>/dev/null || echo never-sent)"
echo "HOST profiles $(tr '\n' ';' </sys/kernel/security/apparmor/profiles)"
echo "HOST recorded-sha256 $(cat /run/cordon/apparmor/cordon-default.sha256)"
echo "HOST source-sha256 $(sha256sum </var/cache/cordon/apparmor/profiles/cordon-default | cut -d' ' -f1)"
echo "HOST compiled-cache $(find /var/cache/cordon/apparmor/compiled -type f -name cordon-default | wc -l)"
echo "HOST containers-left $(ls /run/cordon/containers 2>/dev/null | wc -l)"
