package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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

    static ProcessBuilder builder(String... args) {
        assertTrue(Files.isExecutable(BIN), "bin/cordon not found at " + BIN);
        List<String> cmd = new ArrayList<>();
        cmd.add(BIN.toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    static Result run(String... args) {
        return runWithInput(null, args);
    }

    static Result runWithInput(String stdin, String... args) {
        try {
            Path out = Files.createTempFile("cordon-out", ".txt");
            Path err = Files.createTempFile("cordon-err", ".txt");
            try {
                ProcessBuilder pb = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile());
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

    /**
     * The host's mount table is back to {@code expected} lines. Other checkouts' tests may
     * mount and unmount on the host meanwhile, so wait up to 10 s for a difference to go away.
     */
    static void assertMountCount(long expected, String message) {
        long now = mountCount();
        for (int i = 0; i < 50 && now != expected; i++) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            now = mountCount();
        }
        assertEquals(expected, now, message);
    }

    static long mountCount() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).size();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Container state directories that stay. Other checkouts on the same host share
     * /run/cordon and may run containers while these tests do, so an entry only counts if
     * it is still there after up to 10 s: another run's containers come and go, a
     * directory leaked by a finished launch does not.
     */
    static List<String> stateEntries() {
        Set<String> left = new TreeSet<>(listState());
        for (int i = 0; i < 50 && !left.isEmpty(); i++) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            left.retainAll(listState());
        }
        return List.copyOf(left);
    }

    private static List<String> listState() {
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
