package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Acceptance 6 and 9: stdio, exit codes, signals, one-line errors, --dry-run. */
class PlumbingIT {

    @Test
    void stdinPassesThroughWithDashI() {
        Cordon.Result r = Cordon.runWithInput("hi\n", "run", "-i", "--", "cat");
        assertEquals(0, r.code(), r.err());
        assertEquals("hi\n", r.out());
    }

    @Test
    void withoutDashIStdinIsEmpty() {
        Cordon.Result r = Cordon.runWithInput("secret\n", "run", "--", "cat");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
    }

    @Test
    void stdoutAndStderrAreSeparate() {
        Cordon.Result r = Cordon.sh("echo out; echo err >&2");
        assertEquals("out\n", r.out());
        assertEquals("err\n", r.err());
    }

    @Test
    void exitCodePropagates() {
        assertEquals(7, Cordon.sh("exit 7").code());
        assertEquals(0, Cordon.run("run", "--", "true").code());
        assertEquals(1, Cordon.run("run", "--", "false").code());
    }

    @Test
    void missingExecutableIs127WithOneLine() {
        Cordon.Result r = Cordon.run("run", "--", "no-such-command-xyz");
        assertEquals(127, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("no-such-command-xyz"), r.err());
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
        Cordon.Result notExec = Cordon.run("run", "--", "/etc/passwd");
        assertEquals(126, notExec.code(), notExec.err());
        assertEquals(1, notExec.err().lines().count(), notExec.err());
    }

    @Test
    void missingRootfsIsOneLineAndLeavesNothing() {
        long mounts = Cordon.mountCount();
        Cordon.Result r = Cordon.run("run", "--rootfs", "/no/such/rootfs", "--", "true");
        assertEquals(125, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("/no/such/rootfs"), r.err());
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
        Cordon.assertMountCount(mounts, "host mount table changed");
    }

    @Test
    void badFlagsAreOneLineErrors() {
        for (List<String> args : List.of(List.of("run", "--bogus", "--", "true"), List.of("run", "-e", "NOVALUE",
                "--", "true"), List.of("run", "-v", "relative:/x", "--", "true"), List.of("run", "--hostname",
                "bad_host!", "--", "true"), List.of("run"))) {
            Cordon.Result r = Cordon.run(args.toArray(String[]::new));
            assertEquals(125, r.code(), args + ": " + r.err());
            assertEquals(1, r.err().lines().count(), args + " gave: " + r.err());
        }
    }

    @Test
    void sigtermAndSigintReachTheContainer() throws Exception {
        for (String sig : List.of("TERM", "INT")) {
            Process p = Cordon.builder("run", "--", "sh", "-c",
                    "trap 'echo got-" + sig + "; exit 42' " + sig + "; echo ready; while :; do sleep 0.1; done")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
            new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "cordon did not exit after SIG" + sig);
            assertEquals("got-" + sig, out.readLine());
            assertEquals(42, p.exitValue(), "exit code after SIG" + sig);
        }
    }

    @Test
    void deathBySignalGives128PlusN() throws Exception {
        Process p = Cordon.builder("run", "--", "sh", "-c", "echo ready; sleep 600")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        // The JVM (bin/cordon execs java) -> the launcher -> the container's PID 1.
        ProcessHandle launcher = await(() -> ProcessHandle.of(p.pid()).flatMap(h -> h.children().findFirst()));
        ProcessHandle init = await(() -> launcher.children().findFirst());
        new ProcessBuilder("kill", "-KILL", Long.toString(init.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(128 + 9, p.exitValue());
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
    }

    private static ProcessHandle await(java.util.function.Supplier<Optional<ProcessHandle>> s) throws Exception {
        for (int i = 0; i < 100; i++) {
            Optional<ProcessHandle> h = s.get();
            if (h.isPresent()) {
                return h.get();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("process not found");
    }

    @Test
    void dryRunPrintsThePlanAndStartsNothing() {
        Cordon.Result r = Cordon.run("run", "--dry-run", "--hostname", "planned", "--", "true");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("new pid"), out);
        assertTrue(out.matches("(?s).*pivot_root\\s+mountns\\s+pivot_root .*"), out);
        assertTrue(out.matches("(?s).*system\\s+utsns\\s+sethostname planned.*"), out);
        assertTrue(out.matches("(?s).*exec\\s+orchestrator\\s+exec \\[true\\].*"), out);
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
    }
}
