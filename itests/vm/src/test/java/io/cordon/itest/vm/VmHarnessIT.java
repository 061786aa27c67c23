package io.cordon.itest.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.itest.vm.GuestVm.Mode;
import io.cordon.itest.vm.GuestVm.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The VM harness itself: each mode boots the host it promises (the LSM active and confining a process that enters
 * a profile or domain the way a runtime does, or cgroup v2 alone with its controllers), and a script's output, exit
 * status, environment and working directory come back exactly; a hung guest is killed and reported. One boot per
 * test.
 */
class VmHarnessIT {
    static final Duration TIMEOUT = Duration.ofMinutes(3);

    /**
     * A helper installed in the guest (its root is a throw-away overlay): {@code enter ATTR LABEL CMD...} writes
     * LABEL to /proc/self/attr/ATTR in one write() without a newline (a newline would clear it) and execs CMD, as
     * a runtime does for its container.
     */
    static final String ENTER = """
            cat >/usr/local/bin/enter <<'EOF'
            #!/bin/bash
            attr=$1 label=$2
            shift 2
            printf %s "$label" >"/proc/self/attr/$attr" || exit 126
            exec "$@"
            EOF
            chmod +x /usr/local/bin/enter
            # attempt CMD...: "allowed: OUTPUT" or "denied: ERROR"
            attempt() { if out=$("$@" 2>&1); then echo "allowed: $out"; else echo "denied: $out"; fi; }
            """;

    @Test
    void apparmorConfinesAProcessThatEntersAProfile() {
        Result r = run(Mode.APPARMOR, ENTER + """
                echo "lsm=$(cat /sys/kernel/security/lsm)"
                echo "enabled=$(cat /sys/module/apparmor/parameters/enabled)"
                d=$(mktemp -d)
                echo open >"$d/open"
                echo secret >"$d/secret"
                cat >"$d/profile" <<EOF
                abi <abi/3.0>,
                profile cordon-vm-smoke flags=(attach_disconnected) {
                  file,
                  deny $d/secret rw,
                }
                EOF
                apparmor_parser -r -W -L "$d/cache" "$d/profile"
                echo "loaded=$(grep cordon-vm-smoke /sys/kernel/security/apparmor/profiles)"
                echo "current=$(enter apparmor/exec 'exec cordon-vm-smoke' cat /proc/self/attr/current)"
                echo "open=$(attempt enter apparmor/exec 'exec cordon-vm-smoke' cat "$d/open")"
                echo "secret=$(attempt enter apparmor/exec 'exec cordon-vm-smoke' cat "$d/secret")"
                echo "unconfined=$(attempt cat "$d/secret")"
                """);
        Map<String, String> v = values(r);
        assertTrue(Arrays.asList(v.get("lsm").split(",")).contains("apparmor"), r.output());
        assertEquals("Y", v.get("enabled"), r.output());
        assertEquals("cordon-vm-smoke (enforce)", v.get("loaded"), r.output());
        assertEquals("cordon-vm-smoke (enforce)", v.get("current"), r.output());
        assertEquals("allowed: open", v.get("open"), r.output());
        assertTrue(v.get("secret").startsWith("denied: ") && v.get("secret").endsWith("Permission denied"),
                "the profile's deny rule must give EACCES:\n" + r.output());
        assertEquals("allowed: secret", v.get("unconfined"), "the file itself is readable:\n" + r.output());
    }

    @Test
    void selinuxEnforcesTheTestDomainAlsoWithNoNewPrivs() {
        Result r = run(Mode.SELINUX, ENTER + """
                echo "lsm=$(cat /sys/kernel/security/lsm)"
                echo "enforce=$(cat /sys/fs/selinux/enforce)"
                ctx=system_u:system_r:cordon_test_t:s0
                d=/srv/smoke
                mkdir -p $d/files $d/own
                mount -t tmpfs tmpfs $d/files
                echo open >$d/files/open
                echo secret >$d/files/secret
                chcon -t cordon_secret_t $d/files/secret
                echo "label=$(stat -c %C $d/files/secret)"
                mount -t tmpfs -o context=system_u:object_r:cordon_test_file_t:s0 tmpfs $d/own
                # Audit records reach the kernel log through printk_ratelimit() (a burst of 10 per 5 s), so
                # in a guest that has just booted and loaded a policy a denial's records can be dropped. Lift
                # the limit, so that the log shows what the domain was denied.
                echo 0 >/proc/sys/kernel/printk_ratelimit
                echo "current=$(enter exec $ctx cat /proc/self/attr/current | tr -d '\\0')"
                echo "open=$(attempt enter exec $ctx cat $d/files/open)"
                echo "overlay=$(attempt enter exec $ctx head -c 5 pom.xml)"
                echo "secret=$(attempt enter exec $ctx cat $d/files/secret)"
                echo "nnp=$(setpriv --no-new-privs enter exec $ctx grep NoNewPrivs /proc/self/status | tr -s ' \\t' ' ')"
                echo "nnp-current=$(setpriv --no-new-privs enter exec $ctx cat /proc/self/attr/current | tr -d '\\0')"
                echo "nnp-secret=$(attempt setpriv --no-new-privs enter exec $ctx cat $d/files/secret)"
                echo "own=$(attempt enter exec $ctx sh -c "echo mine >$d/own/f && mkdir $d/own/sub && cat $d/own/f")"
                echo "own-label=$(stat -c %C $d/own/f)"
                # kauditd writes the records to the log after the denial returned: give it a moment.
                denied="scontext=$ctx tcontext=system_u:object_r:cordon_secret_t:s0 tclass=file permissive=0"
                for _ in $(seq 1 50); do dmesg | grep 'avc:  denied' | grep -q "$denied" && break; sleep 0.1; done
                echo "avc=$(dmesg | grep 'avc:  denied' | grep -c "$denied" || true)"
                echo "other-avc=$(dmesg | grep 'avc:  denied' | grep 'scontext=system_u:system_r:cordon_test_t:s0' | grep -v cordon_secret_t | tr '\\n' ' ')"
                """);
        Map<String, String> v = values(r);
        assertTrue(Arrays.asList(v.get("lsm").split(",")).contains("selinux"), r.output());
        assertEquals("1", v.get("enforce"), r.output());
        assertEquals("system_u:object_r:cordon_secret_t:s0", v.get("label"), r.output());
        assertEquals("system_u:system_r:cordon_test_t:s0", v.get("current"), r.output());
        assertEquals("allowed: open", v.get("open"), r.output());
        assertEquals("allowed: <?xml", v.get("overlay"), "a file of the host's root, unlabeled:\n" + r.output());
        assertEquals("denied: cat: /srv/smoke/files/secret: Permission denied", v.get("secret"), r.output());
        assertEquals("NoNewPrivs: 1", v.get("nnp"), r.output());
        assertEquals("system_u:system_r:cordon_test_t:s0", v.get("nnp-current"), r.output());
        assertEquals("denied: cat: /srv/smoke/files/secret: Permission denied", v.get("nnp-secret"), r.output());
        assertEquals("allowed: mine", v.get("own"), r.output());
        assertEquals("system_u:object_r:cordon_test_file_t:s0", v.get("own-label"), r.output());
        // The two EACCES above are the enforcement. The log shows that SELinux gave them, in the test domain, but
        // not necessarily one record per read: the audit path may fold or drop identical denials.
        assertTrue(Integer.parseInt(v.get("avc")) >= 1,
                "an enforced denial of the secret to the test domain is logged:\n" + r.output());
        assertEquals("", v.get("other-avc"), "the domain is denied nothing else:\n" + r.output());
    }

    @Test
    void cgroup2IsTheOnlyHierarchyAndItsLimitsHold() {
        Result r = run(Mode.CGROUP2, """
                cg=/sys/fs/cgroup
                echo "controllers=$(cat $cg/cgroup.controllers)"
                echo "subtree=$(cat $cg/cgroup.subtree_control)"
                echo "mounts=$(awk '$3 ~ /^cgroup/ { printf "%s %s;", $3, $2 }' /proc/mounts)"
                echo "no-v1=$(grep -c cgroup_no_v1=all /proc/cmdline)"
                mkdir $cg/smoke
                echo +pids >$cg/cgroup.subtree_control
                echo 1 >$cg/smoke/pids.max
                # A process alone in the cgroup may not fork.
                echo "fork=$(python3 -c '
                import errno, os
                with open("/sys/fs/cgroup/smoke/cgroup.procs", "w") as f:
                    f.write(str(os.getpid()))
                try:
                    if os.fork() == 0:
                        os._exit(0)
                    print("allowed")
                except OSError as e:
                    print(errno.errorcode[e.errno])
                ')"
                echo "pids.events=$(cat $cg/smoke/pids.events)"
                """);
        Map<String, String> v = values(r);
        List<String> controllers = Arrays.asList(v.get("controllers").split(" "));
        assertTrue(controllers.containsAll(List.of("cpu", "memory", "pids")), r.output());
        assertEquals("", v.get("subtree"), "subtree controllers are left to the runtime:\n" + r.output());
        assertEquals("cgroup2 /sys/fs/cgroup;", v.get("mounts"), "one hierarchy, v2:\n" + r.output());
        assertEquals("1", v.get("no-v1"), r.output());
        assertEquals("EAGAIN", v.get("fork"), "pids.max 1 must refuse a fork:\n" + r.output());
        assertEquals("max 1", v.get("pids.events"), r.output());
    }

    @Test
    void exitStatusOutputEnvironmentAndDirectoryComeBackExactly() throws IOException {
        Path cwd = Path.of("").toRealPath();
        Path marker = cwd.resolve("target/written-in-guest");
        Files.deleteIfExists(marker);
        Result r = run(Mode.APPARMOR, """
                printf 'out\\n'
                printf 'err\\n' >&2
                printf 'pwd=%s\\n' "$PWD"
                printf 'home=%s user=%s\\n' "$HOME" "$(id -u)"
                printf 'smoke=%s\\n' "${CORDON_VM_SMOKE:-unset}"
                printf 'bytes=\\001\\r\\n'
                mkdir -p target && touch target/written-in-guest
                exit 7
                """);
        assertEquals(7, r.exitCode(), r.output());
        assertEquals("out\nerr\npwd=" + cwd + "\nhome=/root user=0\nsmoke=passed through\nbytes=\001\r\n",
                r.output());
        assertFalse(Files.exists(marker), "writes in the guest must not reach the host's root");
    }

    @Test
    void aHungGuestIsKilledAndReported() {
        // The timeout covers the boot too, which under emulation on a busy shared host took up to 20 s (a whole
        // cgroup2 run of the test above, in a soak run): 90 s leaves the guest ample time to print first.
        long start = System.nanoTime();
        GuestVm.TimeoutError e = assertThrows(GuestVm.TimeoutError.class,
                () -> GuestVm.run(Mode.CGROUP2, "echo started; sleep 600", Duration.ofSeconds(90)));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertTrue(e.getMessage().contains("timed out after 90 s"), e.getMessage());
        assertTrue(e.getMessage().contains("started"), "output up to the timeout is kept:\n" + e.getMessage());
        assertTrue(seconds < 130, "killed at the timeout, took " + seconds + " s");
        assertTrue(ProcessHandle.current().descendants()
                .noneMatch(h -> h.info().command().orElse("").contains("qemu-system")), "QEMU left running");
    }

    /** Runs the script with {@code set -eu}: a failing step fails the test with the output so far. */
    static Result run(Mode mode, String script) {
        long start = System.nanoTime();
        Result r = GuestVm.run(mode, "set -eu\n" + script, TIMEOUT);
        System.out.printf("%s guest: %.1f s%n", mode, (System.nanoTime() - start) / 1e9);
        return r;
    }

    /** key=value lines of a script that exited 0. */
    static Map<String, String> values(Result r) {
        assertEquals(0, r.exitCode(), r.output());
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : r.lines()) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                v.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new CheckedMap(v, r.output());
    }

    /** A map whose missing keys fail the test with the script's output. */
    static final class CheckedMap extends LinkedHashMap<String, String> {
        private static final long serialVersionUID = 1L;
        private final String output;

        CheckedMap(Map<String, String> values, String output) {
            super(values);
            this.output = output;
        }

        @Override
        public String get(Object key) {
            String value = super.get(key);
            if (value == null) {
                throw new AssertionError("the script printed no " + key + "=:\n" + output);
            }
            return value;
        }
    }
}
