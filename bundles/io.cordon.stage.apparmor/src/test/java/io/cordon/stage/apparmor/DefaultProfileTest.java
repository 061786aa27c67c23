package io.cordon.stage.apparmor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default profile template: rendering, what its write-deny globs cover, and that AppArmor accepts it. */
class DefaultProfileTest {
    @TempDir
    Path temp;

    static final String RENDERED = DefaultProfile.render("cordon-default");

    @Test
    void theNameGoesEverywhereThePlaceholderWas() {
        assertFalse(RENDERED.contains("{{"), "no placeholder left");
        assertTrue(RENDERED.contains("\nprofile cordon-default flags=(attach_disconnected,mediate_deleted) {\n"),
                RENDERED);
        assertTrue(RENDERED.contains("  signal (send, receive) peer=cordon-default,\n"));
        assertTrue(RENDERED.contains("  ptrace (trace, read, tracedby, readby) peer=cordon-default,\n"));
        String other = DefaultProfile.render("cordon-test.2");
        assertTrue(other.contains("\nprofile cordon-test.2 flags="));
        assertFalse(other.contains("cordon-default"), "the template does not hard-code the name");
        assertEquals(DefaultProfile.template().replace("{{name}}", "x"), DefaultProfile.render("x"));
    }

    @Test
    void onlyPlainNamesAreSplicedIntoPolicy() {
        for (String bad : List.of("", "a b", "a,", "a{", "x}\nprofile evil {", "-a", "a/b")) {
            assertThrows(IllegalArgumentException.class, () -> DefaultProfile.render(bad), bad);
        }
    }

    @Test
    void itDeniesWhatTheBriefSays() {
        for (String rule : List.of("deny mount,", "deny umount,", "deny pivot_root,",
                "deny @{PROC}/sysrq-trigger rwklx,", "deny @{PROC}/kcore rwklx,", "deny @{PROC}/mem rwklx,",
                "deny @{PROC}/kmem rwklx,", "deny /sys/kernel/security/** rwklx,", "file,", "network,",
                "capability,", "signal (receive) peer=unconfined,")) {
            assertTrue(RENDERED.contains("\n  " + rule + "\n"), rule);
        }
        assertFalse(RENDERED.contains("change_profile"), "a confined container must not switch itself out");
    }

    /** The write-deny rules of the profile as Java patterns, translating the AppArmor glob syntax they use. */
    static List<Pattern> writeDenials() {
        List<Pattern> out = new ArrayList<>();
        for (String line : RENDERED.lines().map(String::strip).toList()) {
            if (line.startsWith("deny /") || line.startsWith("deny @{PROC}/")) {
                String[] f = line.split(" ");
                if (f[2].contains("w")) {
                    out.add(Pattern.compile(globToRegex(f[1].replace("@{PROC}", "/proc"))));
                }
            }
        }
        return out;
    }

    /** AppArmor globs: ** crosses slashes, * and ? do not, [...] and {a,b} as in a shell. */
    static String globToRegex(String glob) {
        StringBuilder r = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                        r.append(".*");
                        i++;
                    } else {
                        r.append("[^/]*");
                    }
                }
                case '?' -> r.append("[^/]");
                case '[' -> {
                    int end = glob.indexOf(']', i);
                    r.append(glob, i, end + 1);
                    i = end;
                }
                case '{' -> r.append("(?:");
                case '}' -> r.append(')');
                case ',' -> r.append('|');
                default -> r.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return r.toString();
    }

    static boolean writeDenied(String path) {
        return writeDenials().stream().anyMatch(p -> p.matcher(path).matches());
    }

    @Test
    void procSysIsTheHostsExceptNetAndSystemVIpc() {
        for (String own : List.of("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/core/somaxconn",
                "/proc/sys/kernel/shmmax", "/proc/sys/kernel/shmall", "/proc/sys/kernel/shm_rmid_forced",
                "/proc/sys/kernel/msgmax", "/proc/sys/kernel/msgmnb", "/proc/sys/kernel/msg_next_id",
                "/proc/sys/kernel/sem", "/proc/sys/kernel/sem_next_id")) {
            assertFalse(writeDenied(own), own + " belongs to the container's own namespace");
        }
        for (String host : List.of("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                "/proc/sys/kernel/sysrq", "/proc/sys/kernel/hostname", "/proc/sys/kernel/random/uuid",
                "/proc/sys/kernel/yama/ptrace_scope", "/proc/sys/kernel/seccomp/actions_logged",
                "/proc/sys/kernel/sched_child_runs_first", "/proc/sys/kernel/keys/maxkeys",
                "/proc/sys/kernel/panic",
                "/proc/sys/vm/drop_caches", "/proc/sys/fs/binfmt_misc/register", "/proc/sys/fs/file-max",
                "/proc/sys/fs/mqueue/msg_max", "/proc/sys/kernel2/x", "/proc/sys/netfilter/x", "/proc/sys/dev/x",
                "/proc/sys/abi/vsyscall32", "/proc/sys/user/max_user_namespaces", "/proc/sys/debug/exception-trace",
                "/proc/sysrq-trigger", "/proc/kcore")) {
            assertTrue(writeDenied(host), host + " is the host's");
        }
    }

    @Test
    void sysIsReadOnlyExceptTheCgroupTree() {
        for (String own : List.of("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/cpu/tasks",
                "/sys/fs/cgroup/a/b/cgroup.procs")) {
            assertFalse(writeDenied(own), own);
        }
        for (String host : List.of("/sys/kernel/mm/transparent_hugepage/enabled", "/sys/power/state",
                "/sys/fs/bpf/x", "/sys/fs/fuse/connections/1/abort", "/sys/fs/cgroupx/y", "/sys/fs/cgrou/x",
                "/sys/fs/c/x", "/sys/firmware/efi/efivars/x", "/sys/f/x", "/sys/fsx/y",
                "/sys/kernel/security/apparmor/.replace", "/sys/module/apparmor/parameters/enabled",
                "/sys/class/net/eth0/mtu", "/sys/block/sda/queue/scheduler", "/sys/devices/system/cpu/cpu1/online")) {
            assertTrue(writeDenied(host), host);
        }
    }

    /**
     * The real parser must accept the rendered text (compile only: -Q skips the kernel, -S writes the binary
     * policy to stdout), so a template edit that AppArmor rejects fails here and not on a user's host. Needs
     * Debian's apparmor package, which .ci/run installs; it works on a kernel without AppArmor.
     */
    @Test
    void apparmorParserCompilesIt() throws Exception {
        Path parser = ProfileLoader.findParser(System.getenv("PATH")).orElseThrow(() -> new AssertionError(
                "apparmor_parser is needed to check the default profile (apt-get install apparmor)"));
        Path source = temp.resolve("cordon-default");
        Files.writeString(source, RENDERED);
        Path binary = temp.resolve("cordon-default.bin");
        Path messages = temp.resolve("messages.txt");
        Process p = new ProcessBuilder(parser.toString(), "-Q", "-S", source.toString())
                .redirectOutput(binary.toFile()).redirectError(messages.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("apparmor_parser did not finish in 60 s");
        }
        String said = Files.readString(messages, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), said);
        assertTrue(Files.size(binary) > 1000, "a compiled policy came out");
        assertFalse(said.contains("rror"), said);
        assertFalse(said.contains("arning"), said);
    }
}
