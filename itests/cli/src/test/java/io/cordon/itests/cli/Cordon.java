package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs bin/cordon the way a user does and captures what it prints. */
final class Cordon {
    static final Path HOME = Path.of(System.getProperty("cordon.home", "../..")).toAbsolutePath().normalize();
    static final Path BIN = HOME.resolve("bin/cordon");
    static final Path STATE = Path.of("/run/cordon/containers");

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    private Cordon() {
    }

    /**
     * bin/cordon in its one-JVM-per-command mode (CORDON_NO_DAEMON=1). These tests give each command its
     * own runtime settings through the environment (CORDON_DEPLOY, CORDON_CNI_CONFDIR, …), which a
     * resident daemon reads once when it starts, and some watch the JVM's own process tree; DaemonIT
     * covers the daemon path on a socket of its own, so no test depends on a daemon a user runs.
     */
    static ProcessBuilder builder(String... args) {
        assertTrue(Files.isExecutable(BIN), "bin/cordon not found at " + BIN);
        List<String> cmd = new ArrayList<>();
        cmd.add(BIN.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("CORDON_NO_DAEMON", "1");
        return pb;
    }

    static Result run(String... args) {
        return runWithInput(null, args);
    }

    static Result runWithInput(String stdin, String... args) {
        return runWithEnv(java.util.Map.of(), stdin, args);
    }

    /** Run with extra environment variables for bin/cordon (e.g. CORDON_CNI_CONFDIR). */
    static Result runWithEnv(java.util.Map<String, String> env, String stdin, String... args) {
        try {
            Path out = Files.createTempFile("cordon-out", ".txt");
            Path err = Files.createTempFile("cordon-err", ".txt");
            try {
                ProcessBuilder pb = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().putAll(env);
                if (stdin == null) {
                    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                }
                Process p = pb.start();
                if (stdin != null) {
                    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
                    p.getOutputStream().close();
                }
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("cordon " + String.join(" ", args) + " did not finish in 120 s");
                }
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Run a shell command line inside a default container. */
    static Result sh(String script) {
        return run("run", "--", "sh", "-c", script);
    }

    /** The host's mounts (this JVM's mount namespace): mount point, type and source of each. */
    static java.util.Set<String> mounts() {
        try {
            java.util.Set<String> out = new java.util.TreeSet<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                out.add(f[4] + " " + f[dash + 1] + " " + f[dash + 2]);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * No mount that was not there {@code before} stays on the host. Other checkouts' cordon
     * runs mount and unmount on this shared host meanwhile (their network namespaces, say), so
     * this waits up to 30 s for strangers to go; a leaked mount stays and fails.
     */
    static void assertNoNewMounts(java.util.Set<String> before, String what) {
        java.util.Set<String> added = new java.util.TreeSet<>();
        for (int i = 0; i < 300; i++) {
            added = new java.util.TreeSet<>(mounts());
            added.removeAll(before);
            if (added.isEmpty()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        fail(what + ": mounts left on the host: " + added);
    }

    /**
     * Container state directories that stay. The host is shared: other checkouts' cordon
     * runs come and go under the same /run/cordon meanwhile, so this waits up to 30 s for
     * the directory to empty; a leak stays and is returned.
     */
    static List<String> stateEntries() {
        List<String> now = stateEntriesNow();
        for (int i = 0; i < 300 && !now.isEmpty(); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            now = stateEntriesNow();
        }
        return now;
    }

    private static List<String> stateEntriesNow() {
        if (!Files.isDirectory(STATE)) {
            return List.of();
        }
        try (var s = Files.list(STATE)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
