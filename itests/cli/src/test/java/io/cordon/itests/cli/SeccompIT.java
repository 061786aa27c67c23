package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** The seccomp stage end to end: cordon's default profile, Docker's profiles, unconfined, malformed profiles. */
class SeccompIT {
    /** Docker's profile and fixtures, beside the checkout (there in CI too). */
    static final Path SHARED = Cordon.HOME.resolve("../shared/data/seccomp").normalize();

    /**
     * Calls each dangerous syscall through ctypes (x86_64 numbers) and prints "name result errno". Every call is
     * made harmless even where it is allowed: a missing mount point, bad reboot magic, bad kexec flags, bad ops.
     */
    static final String PROBE = String.join("\n",
            "import ctypes, errno",
            "libc = ctypes.CDLL(None, use_errno=True)",
            "calls = {'unshare': (272, [0x20000]), 'mount': (165, [b'none', b'/nonexistent', b'tmpfs', 0, None]),",
            "  'keyctl': (250, [0x7fffffff, 0, 0, 0, 0]), 'reboot': (169, [1, 2, 0, 0]),",
            "  'kexec_load': (246, [0, 0, 0, 0x12340000]), 'init_module': (175, [None, 0, b'']),",
            "  'bpf': (321, [0x7fffffff, 0, 0])}",
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
        assertEquals(7, out.size(), r.out());
        return out;
    }

    @Test
    void theDefaultProfileRefusesWhatReachesPastTheContainer() {
        Map<String, String> got = probe();
        got.forEach((call, result) -> assertEquals("-1 EPERM", result, call));
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

    @Test
    void theFilterIsTheLastStepBeforeExecInThePlan() {
        // With no_new_privs the filter is the last step before exec. Without it the kernel wants
        // CAP_SYS_ADMIN to install a filter, so (as runc does) it goes in before the identity and
        // capability phases drop that, right after the LSM label.
        Cordon.Result r = Cordon.run("run", "--dry-run", "--security-opt", "no-new-privileges", "--", "true");
        assertEquals(0, r.code(), r.err());
        List<String> ops = r.lines().stream().filter(l -> l.matches("\\s+\\d+\\s+\\S+\\s+\\S+\\s+.*")).toList();
        String seccomp = ops.stream().filter(l -> l.contains("seccomp filter (")).findFirst().orElseThrow(
                () -> new AssertionError("no seccomp op in the plan:\n" + r.out()));
        assertTrue(seccomp.matches("\\s+\\d+\\s+seccomp\\s+seccomp\\s+seccomp filter \\(\\d+ instructions.*"), seccomp);
        int at = ops.indexOf(seccomp);
        assertTrue(ops.subList(at + 1, ops.size()).stream().allMatch(l -> l.contains(" exec ")),
                "only the exec phase follows the filter:\n" + r.out());
        Cordon.Result byDefault = Cordon.run("run", "--dry-run", "--", "true");
        List<String> plain = byDefault.lines().stream().filter(l -> l.matches("\\s+\\d+\\s+\\S+\\s+\\S+\\s+.*"))
                .toList();
        String filter = plain.stream().filter(l -> l.contains("seccomp filter (")).findFirst().orElseThrow();
        assertTrue(filter.matches("\\s+\\d+\\s+lsm_label\\s+seccomp\\s+seccomp filter.*"), filter);
        assertTrue(plain.subList(plain.indexOf(filter) + 1, plain.size()).stream()
                .anyMatch(l -> l.contains("capset")), "capabilities are dropped after the filter:\n" + byDefault.out());
        assertFalse(r.out().contains("WARNING: no seccomp"), r.out());
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
        String opt = "seccomp=" + SHARED.resolve("moby-default.json");
        Cordon.Result r = Cordon.run("run", "--security-opt", opt, "--", "sh", "-c", "ps -e | wc -l; echo ok");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("4", "ok"), r.lines());
        probe("--security-opt", opt).forEach((call, result) -> assertEquals("-1 EPERM", result, call));
    }

    /**
     * Two fixtures allow almost nothing (not even execve or exit_group): the filter is in force when the command
     * cannot start, and cordon says why.
     */
    @ParameterizedTest
    @ValueSource(strings = {"moby-default-old-format.json", "moby-example.json", "moby-conditional_include.json"})
    void dockersFixturesLoadUnchanged(String fixture) throws IOException {
        Path file = SHARED.resolve(fixture);
        assertTrue(Files.isRegularFile(file), file + " missing: the shared seccomp data lives beside the checkout");
        String opt = "seccomp=" + file;
        Cordon.Result dry = Cordon.run("run", "--dry-run", "--security-opt", opt, "--", "true");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("seccomp filter ("), dry.out());
        Cordon.Result r = Cordon.run("run", "--security-opt", opt, "--", "true");
        if (fixture.equals("moby-default-old-format.json")) {
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
