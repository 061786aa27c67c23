package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seccomp stage end to end: cordon's default profile, Moby's and podman's profiles, unconfined, malformed
 * profiles.
 */
class SeccompIT {
    /** Moby's default profile and its test fixtures, as Debian's golang-github-docker-docker-dev ships them. */
    static final Path MOBY = Path.of("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp");
    /** podman's default profile, as Debian's golang-github-containers-common ships it. */
    static final Path PODMAN = Path.of("/usr/share/containers/seccomp.json");

    /** A packaged profile; a missing one fails the test, naming the package. */
    static Path packaged(Path file) {
        String pkg = file.startsWith(MOBY) ? "golang-github-docker-docker-dev" : "golang-github-containers-common";
        assertTrue(Files.isRegularFile(file), file + " is missing: install " + pkg + " (apt-get install " + pkg
                + "; bin/test does)");
        return file;
    }

    private static final String EPERM = "-1 EPERM";

    /**
     * Calls each dangerous syscall through ctypes (x86_64 numbers) and prints "name result errno". Every call is
     * made harmless even where it is allowed: unshare of the file table only (which needs no capability, so only
     * a filter refuses it), a missing mount point, bad reboot magic, bad kexec flags, bad ops, a null payload.
     */
    static final String PROBE = String.join("\n",
            "import ctypes, errno",
            "libc = ctypes.CDLL(None, use_errno=True)",
            "calls = {'unshare': (272, [0x400]), 'mount': (165, [b'none', b'/nonexistent', b'tmpfs', 0, None]),",
            "  'keyctl': (250, [0x7fffffff, 0, 0, 0, 0]), 'add_key': (248, [b'user', b'', None, 0, 0]),",
            "  'reboot': (169, [1, 2, 0, 0]), 'kexec_load': (246, [0, 0, 0, 0x12340000]),",
            "  'init_module': (175, [None, 0, b'']), 'bpf': (321, [0x7fffffff, 0, 0])}",
            "for name, (nr, args) in calls.items():",
            "    ctypes.set_errno(0)",
            "    r = libc.syscall(nr, *args)",
            "    print(name, r, errno.errorcode.get(ctypes.get_errno(), 0), flush=True)");

    private static Map<String, String> probe(String... options) {
        List<String> args = new java.util.ArrayList<>(List.of("run"));
        args.addAll(List.of(options));
        args.addAll(List.of("--", "python3", "-c", PROBE));
        Cordon.Result r = Cordon.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : r.lines()) {
            String[] f = line.split(" ");
            out.put(f[0], f[1] + " " + f[2]);
        }
        assertEquals(8, out.size(), r.out());
        return out;
    }

    /**
     * With every capability and no filter, what the kernel itself answers each probed call: never EPERM, so with
     * every capability an EPERM can only come from a filter.
     */
    private static Map<String, String> kernelWithEveryCapability() {
        Map<String, String> open = probe("--security-opt", "seccomp=unconfined", "--cap-add", "ALL");
        open.forEach((call, result) -> assertNotEquals(EPERM, result, call + ": without a filter, with every"
                + " capability, the kernel refuses it by itself, so EPERM from a filter would prove nothing: " + open));
        return open;
    }

    /**
     * With every capability, the profile gives the calls in {@code refused} that answer, which the kernel alone
     * does not give, and lets every other probed call through to the kernel (the profile opens it with the
     * capability that guards it, as Docker's does).
     */
    private static void withEveryCapability(String profileOption, Map<String, String> refused) {
        Map<String, String> open = kernelWithEveryCapability();
        Map<String, String> filtered = profileOption.isEmpty() ? probe("--cap-add", "ALL")
                : probe("--security-opt", profileOption, "--cap-add", "ALL");
        for (String call : open.keySet()) {
            if (refused.containsKey(call)) {
                assertNotEquals(refused.get(call), open.get(call), call + " without the filter");
                assertEquals(refused.get(call), filtered.get(call), call + " under the filter, every capability");
            } else {
                assertEquals(open.get(call), filtered.get(call), call + " reaches the kernel with its capability");
            }
        }
    }

    /** With Docker's default capabilities, and without the filter: the calls no capability guards are not EPERM. */
    private static void capabilityFreeCallsAreNotRefusedByTheKernel() {
        Map<String, String> bare = probe("--security-opt", "seccomp=unconfined");
        for (String call : List.of("unshare", "keyctl", "add_key")) {
            assertNotEquals(EPERM, bare.get(call), call + " needs no capability: without a filter it is not EPERM, "
                    + bare);
        }
    }

    @Test
    void theDefaultProfileRefusesWhatReachesPastTheContainer() {
        Map<String, String> got = probe();
        got.forEach((call, result) -> assertEquals(EPERM, result, call));
        // With these capabilities the kernel refuses some of the calls itself (reboot without CAP_SYS_BOOT);
        // those that need none prove the filter here, and every capability proves it for the rest below.
        capabilityFreeCallsAreNotRefusedByTheKernel();
    }

    @Test
    void withEveryCapabilityTheDefaultProfileStillRefusesTheKeyringAndKexec() {
        withEveryCapability("", Map.of("keyctl", EPERM, "add_key", EPERM, "kexec_load", EPERM));
    }

    @Test
    void ordinaryProgramsWorkUnderTheDefaultProfile() {
        Cordon.Result r = Cordon.sh("echo shell; ps -e | wc -l; echo data > /tmp/f && cat /tmp/f && rm /tmp/f"
                + " && mkdir /tmp/d && ls -d /tmp/d");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("shell", "4", "data", "/tmp/d"), r.lines(), "ps -e: header, sh, ps, wc");
        Cordon.Result py = Cordon.run("run", "--", "python3", "-c", "import socket, threading");
        assertEquals(0, py.code(), py.err());
        Cordon.Result work = Cordon.run("run", "--", "python3", "-c", String.join("\n",
                "import socket, threading, os, tempfile",
                "t = threading.Thread(target=lambda: None); t.start(); t.join()",
                "a, b = socket.socketpair(); a.send(b'x'); assert b.recv(1) == b'x'",
                "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(('127.0.0.1', 0)); s.close()",
                "u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.close()",
                "with tempfile.NamedTemporaryFile() as f: f.write(b'y'); f.flush(); os.fsync(f.fileno())",
                "print('ok', os.getpid())"));
        assertEquals(0, work.code(), work.err());
        assertEquals("ok 1\n", work.out());
    }

    /** The plan's op lines ("  12  phase  stage  description") of a dry run. */
    private static List<String> planOps(String... options) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--dry-run"));
        args.addAll(List.of(options));
        args.addAll(List.of("--", "true"));
        Cordon.Result r = Cordon.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("WARNING: no seccomp"), r.out());
        return r.lines().stream().filter(l -> l.matches("\\s+\\d+\\s+\\S+\\s+\\S+\\s+.*")).toList();
    }

    private static int indexOf(List<String> ops, String description) {
        List<String> found = ops.stream().filter(l -> l.contains(description)).toList();
        assertEquals(1, found.size(), "one \"" + description + "\" op in the plan:\n" + String.join("\n", ops));
        return ops.indexOf(found.get(0));
    }

    @Test
    void theFilterGoesInBeforeTheUidAndCapabilityChangesUnlessNoNewPrivileges() {
        // Without no_new_privs the kernel lets only a process with CAP_SYS_ADMIN install a filter, so (as runc
        // does) it goes in before the identity and capability phases take that away, right after the LSM label;
        // the profile then also governs the setresuid and capset calls that follow.
        List<String> plain = planOps();
        int filter = indexOf(plain, "seccomp filter (");
        assertTrue(plain.get(filter).matches("\\s+\\d+\\s+lsm_label\\s+seccomp\\s+seccomp filter \\(\\d+ instructions.*"),
                plain.get(filter));
        assertTrue(filter < indexOf(plain, "setresuid ") && filter < indexOf(plain, "capset "),
                "the uid and capability changes follow the filter:\n" + String.join("\n", plain));
        assertTrue(plain.stream().noneMatch(l -> l.contains("PR_SET_NO_NEW_PRIVS")), String.join("\n", plain));

        // With no_new_privs any process may install it: it is the last step before exec.
        List<String> nnp = planOps("--security-opt", "no-new-privileges");
        int last = indexOf(nnp, "seccomp filter (");
        assertTrue(nnp.get(last).matches("\\s+\\d+\\s+seccomp\\s+seccomp\\s+seccomp filter \\(\\d+ instructions.*"),
                nnp.get(last));
        for (String before : List.of("setresuid ", "capset ", "prctl PR_SET_NO_NEW_PRIVS")) {
            assertTrue(indexOf(nnp, before) < last, before + " precedes the filter:\n" + String.join("\n", nnp));
        }
        assertTrue(nnp.subList(last + 1, nnp.size()).stream().allMatch(l -> l.matches("\\s+\\d+\\s+exec\\s.*")),
                "only the exec phase follows the filter:\n" + String.join("\n", nnp));
    }

    @Test
    void unconfinedTurnsTheFilterOffAndSaysSoLoudly() {
        // CAP_SYS_ADMIN too: without it the capability check, not seccomp, would refuse unshare and mount.
        Map<String, String> got = probe("--security-opt", "seccomp=unconfined", "--cap-add", "SYS_ADMIN");
        assertEquals("0 0", got.get("unshare"), "unshare is allowed without a filter");
        assertEquals("-1 ENOENT", got.get("mount"), "mount reaches the kernel without a filter");
        Cordon.Result dry = Cordon.run("run", "--dry-run", "--security-opt", "seccomp=unconfined", "--", "true");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("WARNING: no seccomp filter"), dry.out());
        assertFalse(dry.out().contains("seccomp filter ("), dry.out());
    }

    @Test
    void dockersDefaultProfileLoadsUnchangedAndWorks() {
        String opt = "seccomp=" + packaged(MOBY.resolve("default.json"));
        Cordon.Result r = Cordon.run("run", "--security-opt", opt, "--", "sh", "-c", "ps -e | wc -l; echo ok");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("4", "ok"), r.lines());
        probe("--security-opt", opt).forEach((call, result) -> assertEquals(EPERM, result, call));
        // Moby's profile does not list the keyring calls or kexec_load: its default EPERM answers them
        withEveryCapability(opt, Map.of("keyctl", EPERM, "add_key", EPERM, "kexec_load", EPERM));
    }

    /**
     * podman's profile: ENOSYS for what it does not list (add_key), an explicit EPERM for kexec_load whatever the
     * capabilities, EPERM for bpf and init_module without the capability that guards them (as the kernel may
     * answer too), and it allows unshare, mount and keyctl outright.
     */
    @Test
    void podmansProfileLoadsUnchangedAndWorks() {
        String opt = "seccomp=" + packaged(PODMAN);
        Cordon.Result r = Cordon.run("run", "--security-opt", opt, "--", "sh", "-c", "ps -e | wc -l; echo ok");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("4", "ok"), r.lines());
        Map<String, String> got = probe("--security-opt", opt);
        Map<String, String> bare = probe("--security-opt", "seccomp=unconfined");
        assertEquals("-1 ENOSYS", got.get("add_key"), "not listed: podman's defaultErrno");
        assertNotEquals("-1 ENOSYS", bare.get("add_key"), "add_key is in this kernel");
        for (String call : List.of("kexec_load", "bpf", "init_module")) {
            assertEquals(EPERM, got.get(call), call);
        }
        for (String call : List.of("unshare", "mount", "keyctl")) {
            assertEquals(bare.get(call), got.get(call), call + " is allowed by podman's profile");
        }
        withEveryCapability(opt, Map.of("add_key", "-1 ENOSYS", "kexec_load", EPERM));
    }

    /**
     * Two fixtures allow almost nothing (not even execve or exit_group): the filter is in force when the command
     * cannot start, and cordon says why.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fixtures/default-old-format.json", "fixtures/example.json",
        "fixtures/conditional_include.json"})
    void dockersFixturesLoadUnchanged(String fixture) throws IOException {
        Path file = packaged(MOBY.resolve(fixture));
        String opt = "seccomp=" + file;
        Cordon.Result dry = Cordon.run("run", "--dry-run", "--security-opt", opt, "--", "true");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("seccomp filter ("), dry.out());
        Cordon.Result r = Cordon.run("run", "--security-opt", opt, "--", "true");
        if (fixture.endsWith("default-old-format.json")) {
            assertEquals(0, r.code(), r.err());
        } else {
            assertTrue(r.code() >= 125, "exit " + r.code() + ": " + r.err());
            assertTrue(r.err().contains("cordon: seccomp profile " + file + " does not allow chdir, execve, write,"
                    + " exit_group, which the container needs to start"), r.err());
        }
    }

    @Test
    void malformedProfilesFailTheLaunchNamingTheField(@TempDir Path dir) throws IOException {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [", "not valid JSON at line 1");
        cases.put("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                + " \"action\": \"SCMP_ACT_MAYBE\"}]}", "syscalls[0].action: unknown action \"SCMP_ACT_MAYBE\"");
        cases.put("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
                + " \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
                "syscalls[0].args[0].op: unknown comparison \"SCMP_CMP_ABOUT\"");
        cases.put("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
                + " \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                "syscalls[0].args[0].index: 6 is out of range");
        Set<String> before = new HashSet<>(Cordon.stateEntries());
        String marker = "seccomp-it-" + ProcessHandle.current().pid();
        int i = 0;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path file = dir.resolve("bad" + i++ + ".json");
            Files.writeString(file, c.getKey());
            Cordon.Result r = Cordon.run("run", "--security-opt", "seccomp=" + file, "--", "echo", marker);
            assertEquals(125, r.code(), r.err());
            assertEquals("", r.out(), "the command must not run");
            assertFalse(r.out().contains(marker));
            assertEquals(1, r.err().lines().count(), "one line: " + r.err());
            assertTrue(r.err().startsWith("cordon: ") && r.err().contains(file.toString()), r.err());
            assertTrue(r.err().contains(c.getValue()), r.err());
            Set<String> left = leftBehind(before, marker);
            assertTrue(left.isEmpty(), "state left in " + Cordon.STATE + ": " + left);
        }
        Cordon.Result missing = Cordon.run("run", "--security-opt", "seccomp=" + dir.resolve("none.json"), "--", "true");
        assertEquals(125, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
    }

    /**
     * State directories that appeared since {@code before} and are this test's: other checkouts on the same host
     * may run containers meanwhile, so an entry whose state.json names another command is not ours; one without a
     * state.json may be another launch just starting, so it counts only if it is still there after a while.
     */
    private static Set<String> leftBehind(Set<String> before, String marker) {
        Set<String> left = new HashSet<>();
        for (int attempt = 0; attempt < 30; attempt++) {
            left = new HashSet<>(Cordon.stateEntries());
            left.removeAll(before);
            left.removeIf(id -> {
                Path state = Cordon.STATE.resolve(id).resolve("state.json");
                try {
                    return Files.isRegularFile(state) && !Files.readString(state).contains(marker);
                } catch (IOException e) {
                    return true; // gone meanwhile
                }
            });
            if (left.isEmpty()) {
                return left;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return left;
    }
}
