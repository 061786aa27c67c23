package io.cordon.stage.netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cordon.api.CordonException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a CNI network config list against one container's network namespace the way
 * libcni does: each plugin binary is executed with the CNI_* environment and its
 * config on stdin; ADD runs the plugins in order, each seeing the previous result;
 * CHECK runs them in order with the final result; DEL runs them in reverse.
 */
final class CniRunner {
    static final String PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Executes one plugin binary; replaced in unit tests. */
    interface PluginExec {
        Outcome exec(Path binary, Map<String, String> env, byte[] stdin) throws IOException;
    }

    record Outcome(int exitCode, byte[] stdout, String stderr) {
    }

    private final CniConfig config;
    private final List<Path> pluginPath;
    private final String containerId;
    private final String netns;
    private final String ifname;
    private final Map<String, Object> runtimeConfig;
    private final PluginExec exec;

    CniRunner(CniConfig config, List<Path> pluginPath, String containerId, String netns, String ifname,
            Map<String, Object> runtimeConfig, PluginExec exec) {
        this.config = config;
        this.pluginPath = List.copyOf(pluginPath);
        this.containerId = containerId;
        this.netns = netns;
        this.ifname = ifname;
        this.runtimeConfig = Map.copyOf(runtimeConfig);
        this.exec = exec;
    }

    CniConfig config() {
        return config;
    }

    /** The binary of every plugin of the list; a missing one is an error that names it and where it was looked for. */
    List<Path> plugins() {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < config.plugins().size(); i++) {
            out.add(find(config.type(i)));
        }
        return out;
    }

    private Path find(String type) {
        for (Path dir : pluginPath) {
            Path p = dir.resolve(type);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new CordonException("CNI plugin '" + type + "' of network " + config.name() + " not found in "
                + String.join(":", pluginPath.stream().map(Path::toString).toList())
                + " (install containernetworking-plugins, or fix \"type\" in " + config.origin() + ")");
    }

    /**
     * ADD, plugin by plugin. {@code progress} gets each intermediate result, so that a failing ADD can still be
     * undone with what was made. Returns the final result.
     */
    JsonNode add(java.util.function.Consumer<JsonNode> progress) {
        List<Path> binaries = plugins();
        JsonNode prev = null;
        for (int i = 0; i < binaries.size(); i++) {
            JsonNode result = invoke("ADD", i, binaries.get(i), prev, true);
            prev = result;
            progress.accept(result);
        }
        return prev;
    }

    /** CHECK with the final result, where the list's spec version has it and the list does not disable it. */
    boolean check(JsonNode result) {
        if (!config.atLeast040() || config.disableCheck()) {
            return false;
        }
        List<Path> binaries = plugins();
        for (int i = 0; i < binaries.size(); i++) {
            invoke("CHECK", i, binaries.get(i), result, false);
        }
        return true;
    }

    /** DEL in reverse order, every plugin even when one fails; returns the failures (empty: all clean). */
    List<String> del(JsonNode lastResult) {
        List<String> errors = new ArrayList<>();
        for (int i = config.plugins().size() - 1; i >= 0; i--) {
            try {
                invoke("DEL", i, find(config.type(i)), config.atLeast040() ? lastResult : null, false);
            } catch (CordonException e) {
                errors.add(e.getMessage());
            }
        }
        return errors;
    }

    private JsonNode invoke(String command, int plugin, Path binary, JsonNode prev, boolean wantResult) {
        String type = config.type(plugin);
        String what = "network " + config.name() + ": CNI plugin " + type + " " + command;
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", containerId);
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", ifname);
        env.put("CNI_PATH", String.join(":", pluginPath.stream().map(Path::toString).toList()));
        env.put("PATH", PATH_ENV);
        Outcome out;
        try {
            out = exec.exec(binary, env, config.pluginInput(plugin, prev, runtimeConfig));
        } catch (IOException e) {
            throw new CordonException(what + " could not run " + binary + ": " + e.getMessage());
        }
        String stdout = new String(out.stdout(), StandardCharsets.UTF_8).trim();
        if (out.exitCode() != 0) {
            throw new CordonException(what + " failed: " + errorText(out, stdout));
        }
        if (!wantResult) {
            return null;
        }
        try {
            JsonNode result = JSON.readTree(stdout);
            if (result == null || !result.isObject()) {
                throw new IOException("not a JSON object");
            }
            return result;
        } catch (IOException e) {
            throw new CordonException(what + " printed no valid result: " + oneLine(stdout.isEmpty() ? "(nothing)"
                    : stdout));
        }
    }

    /** A plugin's error: the spec's {"code","msg","details"} on stdout, else its stderr, else the exit code. */
    static String errorText(Outcome out, String stdout) {
        try {
            JsonNode err = JSON.readTree(stdout);
            if (err != null && err.hasNonNull("msg")) {
                String details = err.path("details").asText("");
                return oneLine(err.get("msg").asText() + (details.isBlank() ? "" : ": " + details));
            }
        } catch (IOException e) {
            // not JSON: fall back to stderr
        }
        String stderr = out.stderr().trim();
        if (!stderr.isEmpty()) {
            return oneLine(stderr);
        }
        return stdout.isEmpty() ? "exit code " + out.exitCode() : oneLine(stdout);
    }

    static String oneLine(String s) {
        String one = s.replaceAll("\\s*\\n\\s*", " ").trim();
        return one.length() > 400 ? one.substring(0, 400) + "..." : one;
    }

    /** Runs the plugin binary with exactly this environment; gives up after {@code timeout}. */
    static PluginExec processExec(Duration timeout) {
        return (binary, env, stdin) -> {
            ProcessBuilder pb = new ProcessBuilder(binary.toString());
            pb.environment().clear();
            pb.environment().putAll(env);
            pb.directory(Path.of("/").toFile());
            Process p = pb.start();
            CompletableFuture<byte[]> stdout = readAsync(p.getInputStream());
            CompletableFuture<byte[]> stderr = readAsync(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin);
            } catch (IOException e) {
                // the plugin may exit without reading its config; its exit code and output tell why
            }
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    p.waitFor();
                    return new Outcome(124, new byte[0], "timed out after " + timeout.toSeconds() + " s");
                }
                return new Outcome(p.exitValue(), stdout.join(),
                        new String(stderr.join(), StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        };
    }

    private static CompletableFuture<byte[]> readAsync(InputStream in) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                f.complete(in.readAllBytes());
            } catch (IOException e) {
                f.complete(new byte[0]);
            }
        }, "cordon-cni-io");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
