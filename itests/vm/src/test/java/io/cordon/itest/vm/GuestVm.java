package io.cordon.itest.vm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a bash script as root under a second kernel: Debian's stock kernel booted
 * in QEMU by {@code itests/vm/run-in-vm.sh}, configured as a host with AppArmor,
 * with SELinux enforcing, or with cgroup v2 alone. This machine's own kernel
 * offers none of these, so tests of cordon's LSM and cgroup v2 stages run there.
 *
 * <p>The guest sees the host's root read-only (writes go to a throw-away
 * overlay) and runs the script in this JVM's working directory, so repository
 * paths and the built runtime are the same inside. Its /tmp, /run, /proc, /sys
 * and /dev are its own: files for the guest belong under the repository (e.g.
 * {@code target/}), not in {@code java.io.tmpdir}. CI and CORDON_* environment
 * variables are passed in. Boot, script and power-off take ~5 s plus the
 * script's own time under emulation (java -version alone takes ~1.5 s there).
 *
 * <p>Whatever keeps the guest from running the script (no QEMU, no kernel, a
 * failed boot, a timeout) fails the calling test with the harness's message:
 * never a skip, in CI or anywhere else.
 */
public final class GuestVm {
    /** The host the guest is set up as. */
    public enum Mode {
        /** AppArmor is the LSM ({@code security=apparmor}); no profile is loaded: load yours with apparmor_parser. */
        APPARMOR("apparmor"),
        /**
         * SELinux enforcing with Debian's default policy plus {@code itests/vm/selinux/*.cil}: kernel_t (the script,
         * the JVM) is permissive; {@code system_u:system_r:cordon_test_t:s0} is a confined container domain that may
         * not touch files of type {@code cordon_secret_t}.
         */
        SELINUX("selinux"),
        /** Only the unified cgroup v2 hierarchy at /sys/fs/cgroup ({@code cgroup_no_v1=all}), cpu, memory, pids. */
        CGROUP2("cgroup2");

        final String arg;

        Mode(String arg) {
            this.arg = arg;
        }
    }

    /** What the script did: its exit status and its stdout and stderr, merged in order. */
    public record Result(int exitCode, String output) {
        public List<String> lines() {
            return output.isEmpty() ? List.of() : List.of(output.split("\n"));
        }
    }

    /** The guest did not finish within the timeout; QEMU was killed. */
    public static final class TimeoutError extends AssertionError {
        private static final long serialVersionUID = 1L;

        TimeoutError(String message) {
            super(message);
        }
    }

    static final Path HOME = home();
    static final Path HARNESS = HOME.resolve("itests/vm/run-in-vm.sh");
    /** Fetching and unpacking the kernel, or building the policy, the first time: outside the guest's timeout. */
    static final Duration PREPARE = Duration.ofMinutes(5);
    /** The host has few cores: one guest at a time from this JVM. */
    private static final Object ONE_AT_A_TIME = new Object();

    private GuestVm() {
    }

    /**
     * Boots a guest in {@code mode}, runs {@code script} there with {@code bash -c} and powers it off.
     *
     * @param timeout for boot, script and power-off together (whole seconds, rounded up)
     * @return the script's exit status and output, whatever they are
     * @throws TimeoutError if the guest was still running after {@code timeout}
     * @throws AssertionError if the guest could not run the script, with the harness's reason
     */
    public static Result run(Mode mode, String script, Duration timeout) {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        synchronized (ONE_AT_A_TIME) {
            return launch(mode, script, seconds);
        }
    }

    private static Result launch(Mode mode, String script, long seconds) {
        if (!Files.isExecutable(HARNESS)) {
            throw new AssertionError("the VM harness is missing or not executable: " + HARNESS);
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(HARNESS.toString(), mode.arg, "--timeout",
                Long.toString(seconds)));
        // The guest mounts its own /tmp and /run over the host's: a checkout there (a CI clone in /tmp, say)
        // would be hidden, so hand it in at the same path, read-only under an overlay as the root is.
        Path real = realPath(HOME);
        if (real.startsWith("/tmp") || real.startsWith("/run")) {
            cmd.addAll(List.of("--overlay", real.toString()));
        }
        cmd.addAll(List.of("--", "-"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + HARNESS + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // stderr is the harness's own (kernel download, failures): shown live in the test log too.
        Thread outPump = pump(p.getInputStream(), out, null);
        Thread errPump = pump(p.getErrorStream(), err, System.err);
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(script.getBytes(StandardCharsets.UTF_8));
            }
            long limit = seconds + PREPARE.toSeconds();
            if (!p.waitFor(limit, TimeUnit.SECONDS)) {
                kill(p);
                throw new AssertionError("run-in-vm.sh " + mode.arg + " did not finish in " + limit
                        + " s (its own timeout is " + seconds + " s); killed it and QEMU");
            }
            outPump.join();
            errPump.join();
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while the guest ran", e);
        } catch (IOException e) {
            kill(p);
            throw new UncheckedIOException("cannot pass the script to run-in-vm.sh", e);
        }
        int code = p.exitValue();
        String stderr = err.toString(StandardCharsets.UTF_8);
        String failure = harnessFailure(code, stderr);
        if (failure != null) {
            String detail = "guest in " + mode.arg + " mode: " + failure + "\n--- harness output ---\n" + stderr
                    + "--- the script's output so far ---\n" + out.toString(StandardCharsets.UTF_8);
            if (code == 124) {
                throw new TimeoutError(detail);
            }
            throw new AssertionError(detail);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8));
    }

    /**
     * The harness's own failure, if any: exit status 124 (timeout), 125 or 2 (usage) with its one-line reason
     * last on stderr. The script's output never goes to stderr, so a script that exits 124 or 125 itself is told
     * apart by the missing line.
     */
    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    static String harnessFailure(int code, String stderr) {
        if (code != 124 && code != 125 && code != 2) {
            return null;
        }
        String last = stderr.strip().lines().reduce((a, b) -> b).orElse("");
        if (last.startsWith("run-in-vm: ")) {
            return last.substring("run-in-vm: ".length());
        }
        if (code == 2 && stderr.contains("Usage: run-in-vm.sh")) {
            return "run-in-vm.sh refused its arguments";
        }
        return null;
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to, OutputStream echo) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (from) {
                for (int n; (n = from.read(buf)) > 0;) {
                    synchronized (to) {
                        to.write(buf, 0, n);
                    }
                    if (echo != null) {
                        echo.write(buf, 0, n);
                        echo.flush();
                    }
                }
            } catch (IOException e) {
                // the process is gone; what was read is kept
            }
        }, "guest-vm-pump");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** QEMU runs below the harness (timeout, qemu): kill the whole tree, not just the script. */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The repository root: -Dcordon.home (set by the pom), else found upwards from the working directory. */
    private static Path home() {
        String prop = System.getProperty("cordon.home");
        if (prop != null) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("itests/vm/run-in-vm.sh"))) {
                return d;
            }
        }
        return Path.of("../..").toAbsolutePath().normalize();
    }
}
