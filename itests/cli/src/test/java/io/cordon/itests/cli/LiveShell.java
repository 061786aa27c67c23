package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A running {@code bin/cordon shell}: type Gogo lines into it and wait for what it prints. For tests
 * of things that only a long-lived runtime shows (hot-plugged bundles, detached containers).
 */
final class LiveShell implements AutoCloseable {
    private final Process process;
    private final StringBuffer seen = new StringBuffer();
    private final Thread reader;
    private final OutputStream in;
    private int said;

    LiveShell(Map<String, String> env) throws IOException {
        ProcessBuilder pb = Cordon.builder("shell").redirectErrorStream(true);
        pb.environment().putAll(env);
        process = pb.start();
        in = process.getOutputStream();
        reader = new Thread(() -> {
            try (var out = process.getInputStream()) {
                byte[] b = new byte[4096];
                for (int n; (n = out.read(b)) > 0;) {
                    seen.append(new String(b, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the shell is gone
            }
        }, "live-shell-reader");
        reader.start();
    }

    /** Everything the shell printed so far. */
    String output() {
        return seen.toString();
    }

    /** Type a line and return what it printed: up to a marker echoed after it (at most 60 s). */
    String say(String line) throws IOException, InterruptedException {
        String marker = "end-of-step-" + (++said);
        String out = say(line + "\necho " + marker, marker);
        return out.substring(0, out.indexOf(marker));
    }

    /** Type a line and return what the shell printed from then until {@code until} appears (at most 60 s). */
    String say(String line, String until) throws IOException, InterruptedException {
        int from = seen.length();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!seen.substring(from).contains(until)) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                fail("'" + line + "' never printed '" + until + "'; the shell printed:\n" + seen.substring(from));
            }
            Thread.sleep(20);
        }
        return seen.substring(from);
    }

    @Override
    public void close() throws Exception {
        try {
            in.write("exit\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException gone) {
            // nothing more to tell it
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        reader.join(10_000);
    }
}
