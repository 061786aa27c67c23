package io.cordon.itest.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.itest.vm.GuestVm.Mode;
import io.cordon.itest.vm.GuestVm.Result;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SELinux stage on an enforcing host: Debian's policy plus the harness's test module
 * ({@code itests/vm/selinux/cordon_test.cil}: a confined domain {@code cordon_test_t} that may touch everything
 * but files of type {@code cordon_secret_t}, and a file type {@code cordon_test_file_t}).
 *
 * <p>One guest, one cordon runtime: the JVM starts ~40 times slower under emulation, so a single {@code cordon
 * shell} runs every container from a Gogo script on stdin, and each container prints {@code key=value} lines
 * that the tests below read. The runtime is the one built on the host ({@code features/full/target/full.jar}).
 */
class SelinuxVmIT {
    static final Duration TIMEOUT = Duration.ofMinutes(8);
    static final String DOMAIN = "system_u:system_r:cordon_test_t:s0";
    static final String SECRET_DENIED = "cat: /secret/file: Permission denied";
    /** Shows the current context without the kernel's trailing NUL. */
    static final String CURRENT = "$(tr -d \"\\0\" </proc/self/attr/current)";
    static final String LXC_CONTEXTS = "/etc/selinux/default/contexts/lxc_contexts";

    static final String GUEST_SCRIPT = """
            set -u
            # The kernel rate-limits its log, and the runtime's own (permissive, logged) denials would crowd out
            # the ones under test.
            echo 0 >/proc/sys/kernel/printk_ratelimit
            mkdir -p /srv/secret
            echo open >/srv/secret/open
            echo topsecret >/srv/secret/file
            chcon -t cordon_secret_t /srv/secret/file
            echo "secret.label=$(stat -c %C /srv/secret/file)"
            CORDON_NO_BUILD=1 bin/cordon shell <<'GOGO' 2>&1
            cordon:stages
            cordon:run -- sh -c 'echo "stock.current=@CURRENT@"'
            cordon:run --dry-run -- true
            cordon:run --security-opt label=type:cordon_test_t -v /srv/secret:/secret -- sh -c 'echo "typed.current=@CURRENT@"; echo "typed.tmp=$(stat -c %C /tmp)"; echo x >/tmp/f && echo typed.tmpwrite=ok; echo "typed.open=$(cat /secret/open)"; echo "typed.secret=$(cat /secret/file 2>&1)"'
            cordon:run --security-opt label=type:cordon_test_t --security-opt label=filetype:cordon_test_file_t -- sh -c 'echo "files.tmp=$(stat -c %C /tmp)"; echo mine >/tmp/f && echo "files.written=$(stat -c %C /tmp/f) $(cat /tmp/f)"; echo "files.root=$(stat -c %C /)"; echo "files.shm=$(stat -c %C /dev/shm)"; echo "files.pts=$(stat -c %C /dev/pts)"; echo "files.usr=$(stat -c %C /usr/bin/cat)"'
            cordon:run --security-opt label=type:cordon_test_t --security-opt seccomp=unconfined -- python3 -c 'import ctypes; libc = ctypes.CDLL(None); b = ctypes.create_string_buffer(512); libc.syscall(250, 17, -3, b, 512); print("key.label=" + b.value.decode()); libc.syscall(250, 6, -3, b, 512); print("key.name=" + b.value.decode().split(";")[-1])'
            cordon:run --security-opt label=type:nosuch_t -- echo invalid.ran=yes
            cordon:run --security-opt label=type:cordon_test_t --security-opt no-new-privileges -v /srv/secret:/secret -- sh -c 'echo "nnp.current=@CURRENT@"; echo "nnp.flag=$(grep NoNewPrivs /proc/self/status | tr -d " \\t")"; echo "nnp.secret=$(cat /secret/file 2>&1)"'
            cordon:run --security-opt label=type:cordon_test_t --security-opt label=level:s0:c1,c2 --security-opt label=filetype:cordon_test_file_t -- sh -c 'echo "level.current=@CURRENT@"; echo "level.tmp=$(stat -c %C /tmp)"'
            cordon:run --security-opt label=disable -- sh -c 'echo "disabled.current=@CURRENT@"'
            echo 'process = "system_u:system_r:cordon_test_t:s0"' > @LXC@
            echo 'file = "system_u:object_r:cordon_test_file_t:s0"' >> @LXC@
            cordon:stages
            cordon:run -v /srv/secret:/secret -- sh -c 'echo "mcs1.current=@CURRENT@"; echo "mcs1.tmp=$(stat -c %C /tmp)"; echo x >/tmp/f && echo mcs1.tmpwrite=ok; echo "mcs1.secret=$(cat /secret/file 2>&1)"'
            cordon:run -- sh -c 'echo "mcs2.current=@CURRENT@"'
            GOGO
            echo "shell.exit=$?"
            echo "left.state=$(ls -A /run/cordon/containers 2>/dev/null | wc -l)"
            echo "left.mounts=$(grep -c ' /run/cordon/' /proc/mounts)"
            dmesg | grep 'avc:  denied' | grep 'permissive=0' | sed 's/^/denial /'
            """.replace("@CURRENT@", CURRENT).replace("@LXC@", LXC_CONTEXTS);

    static Result guest;
    /** The containers' key=value lines (the Gogo prompt stripped). */
    static Map<String, String> values;
    static List<String> denials;

    @BeforeAll
    static void runTheScenarioInOneGuest() {
        long start = System.nanoTime();
        guest = GuestVm.run(Mode.SELINUX, "cd " + GuestVm.HOME + "\n" + GUEST_SCRIPT, TIMEOUT);
        System.out.printf("selinux guest: %.1f s, exit %d; its output:%n%s%n", (System.nanoTime() - start) / 1e9,
                guest.exitCode(), guest.output());
        values = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^(?:cordon> )*([a-z0-9]+\\.[a-z0-9.]+)=(.*)$").matcher(guest.output());
        while (m.find()) {
            values.putIfAbsent(m.group(1), m.group(2));
        }
        denials = guest.lines().stream().filter(l -> l.startsWith("denial ")).toList();
    }

    static String value(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new AssertionError("the guest printed no " + key + "=…:\n" + guest.output());
        }
        return v;
    }

    @Test
    void theShellRanEveryContainerAndLeftNothing() {
        assertEquals(0, guest.exitCode(), guest.output());
        assertEquals("0", value("shell.exit"), guest.output());
        assertEquals("system_u:object_r:cordon_secret_t:s0", value("secret.label"));
        assertEquals("0", value("left.state"), "container state directories left:\n" + guest.output());
        assertEquals("0", value("left.mounts"), "mounts left under /run/cordon:\n" + guest.output());
    }

    @Test
    void theStageIsAvailableAndSaysWhyUnlabelledContainersAreSo() {
        List<String> probes = guest.lines().stream().map(l -> l.replaceFirst("^(cordon> )+", ""))
                .filter(l -> l.startsWith("selinux ")).toList();
        assertEquals(2, probes.size(), guest.output());
        assertTrue(probes.get(0).endsWith("available (enforcing, policy default; containers that ask for no label"
                + " run unlabelled: " + LXC_CONTEXTS + " names container_t, which the loaded policy does not define)"),
                "Debian's lxc_contexts names a type its policy lacks:\n" + probes.get(0));
        assertTrue(probes.get(1).endsWith("available (enforcing, policy default)"),
                "with the test policy's lxc_contexts:\n" + probes.get(1));
    }

    @Test
    void aTypeEntersTheConfinedDomain() {
        assertEquals(DOMAIN, value("typed.current"));
        assertEquals(DOMAIN, value("nnp.current"), "no-new-privileges: the policy allows nnp_transition");
        assertEquals("NoNewPrivs:1", value("nnp.flag"));
        assertEquals("system_u:system_r:cordon_test_t:s0:c1,c2", value("level.current"));
    }

    @Test
    void theConfinedDomainIsDeniedTheSecretAndAllowedTheRest() {
        assertEquals(SECRET_DENIED, value("typed.secret"));
        assertEquals(SECRET_DENIED, value("nnp.secret"));
        assertEquals(SECRET_DENIED, value("mcs1.secret"));
        assertEquals("open", value("typed.open"), "a file of another type on the same volume");
        assertEquals("ok", value("typed.tmpwrite"));
        // The container's programs come from the host's /usr, unlabeled on 9p: it ran sh, cat, stat, python3.
        assertEquals("system_u:object_r:unlabeled_t:s0", value("files.usr"));
        Pattern enforced = Pattern.compile("avc:  denied  \\{ read \\} for  pid=\\d+ comm=\"cat\" name=\"file\""
                + " dev=\"\\S+\" ino=\\d+ scontext=system_u:system_r:cordon_test_t:s0(:c\\d+,c\\d+)?"
                + " tcontext=system_u:object_r:cordon_secret_t:s0 tclass=file permissive=0");
        List<String> secretReads = denials.stream().filter(d -> enforced.matcher(d).find()).toList();
        // Each read was refused (EACCES, above); the audit path may fold or rate-limit identical denials, so
        // what the log must show is that the policy enforced them: at least one such record, never more than
        // the three reads.
        assertTrue(!secretReads.isEmpty() && secretReads.size() <= 3,
                "the reads of the secret, enforced and logged:\n" + String.join("\n", denials));
        List<String> others = denials.stream().filter(d -> d.contains("scontext=system_u:system_r:cordon_test_t"))
                .filter(d -> !d.contains("tcontext=system_u:object_r:cordon_secret_t")).toList();
        assertEquals(List.of(), others, "the domain is denied nothing else");
    }

    @Test
    void tmpfsAndDevptsMountsCarryTheMountLabel() {
        String files = "system_u:object_r:cordon_test_file_t:s0";
        assertEquals(files, value("files.tmp"));
        assertEquals(files + " mine", value("files.written"), "writable, and what it creates gets the label");
        assertEquals(files, value("files.root"), "the default root is a tmpfs too");
        assertEquals(files, value("files.shm"));
        assertEquals(files, value("files.pts"));
        assertEquals("system_u:object_r:cordon_test_file_t:s0:c1,c2", value("level.tmp"), "the process level");
        // Debian's lxc_contexts names container_file_t, which its policy lacks: tmpfs_t with the process level.
        assertEquals("system_u:object_r:tmpfs_t:s0", value("typed.tmp"));
    }

    @Test
    void theContainersSessionKeyringIsItsOwnAndCarriesItsLabel() {
        assertEquals(DOMAIN, value("key.label"));
        assertTrue(value("key.name").matches("cordon:[0-9a-f]{64}"), value("key.name"));
    }

    @Test
    void anUndefinedTypeIsRefusedInOneLineBeforeTheContainerStarts() {
        assertFalse(values.containsKey("invalid.ran"), guest.output());
        List<String> errors = guest.lines().stream().filter(l -> l.contains("nosuch_t")).toList();
        assertEquals(1, errors.size(), guest.output());
        assertTrue(errors.get(0).matches("(cordon> )*cordon: stage selinux failed in prepare: SELinux label"
                + " system_u:system_r:nosuch_t:s0 is not valid in the loaded policy: the kernel refuses it as the"
                + " container's process label; .*"), errors.get(0));
    }

    @Test
    void withoutALabelTheContainerRunsInTheRuntimesContextAndTheDryRunSaysSo() {
        assertEquals("system_u:system_r:kernel_t:s0", value("stock.current"));
        assertEquals("system_u:system_r:kernel_t:s0", value("disabled.current"));
        assertTrue(guest.lines().stream().anyMatch(l -> l.matches("\\s+selinux\\s+" + Pattern.quote(LXC_CONTEXTS)
                + " gives system_u:system_r:container_t:s0:c\\d+,c\\d+, which the loaded policy does not define: the"
                + " container runs unlabelled, in the runtime's own SELinux context"
                + " \\(system_u:system_r:kernel_t:s0\\); .*")), "the dry run's note:\n" + guest.output());
    }

    @Test
    void withLxcContextsEachContainerGetsAnMcsPairOfItsOwn() {
        Pattern pair = Pattern.compile("system_u:system_r:cordon_test_t:(s0:c(\\d+),c(\\d+))");
        Matcher first = pair.matcher(value("mcs1.current"));
        Matcher second = pair.matcher(value("mcs2.current"));
        assertTrue(first.matches() && second.matches(), value("mcs1.current") + " / " + value("mcs2.current"));
        assertTrue(Integer.parseInt(first.group(2)) < Integer.parseInt(first.group(3)), first.group(1));
        assertEquals("system_u:object_r:cordon_test_file_t:" + first.group(1), value("mcs1.tmp"),
                "the mount label has the container's pair");
        assertEquals("ok", value("mcs1.tmpwrite"), "and the container may write there");
        // Random pairs: the same one twice in a row has a chance of 1 in 523,776.
        assertNotEquals(first.group(1), second.group(1));
    }
}
