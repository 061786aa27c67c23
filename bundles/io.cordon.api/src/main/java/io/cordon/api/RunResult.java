package io.cordon.api;

/**
 * How a container ended. {@code exitCode} is what {@code cordon run} exits with:
 * the command's own code, 128+N for death by signal N, or 125/126/127 when the
 * launch failed (then {@code error} says why in one line).
 */
public record RunResult(String containerId, int exitCode, int signal, String error) {
    public boolean failedToStart() {
        return error != null;
    }
}
