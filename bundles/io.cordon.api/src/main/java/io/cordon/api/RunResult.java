package io.cordon.api;

/**
 * How a container ended. {@code exitCode} is what {@code cordon run} exits with:
 * the command's own code, 128+N for death by signal N, or 125/126/127 when the
 * launch failed (then {@code error} says why in one line). {@code notes} are the
 * stages' explanations of how it ended (e.g. an OOM kill).
 */
public record RunResult(String containerId, int exitCode, int signal, String error, java.util.List<String> notes) {
    public RunResult {
        notes = notes == null ? java.util.List.of() : java.util.List.copyOf(notes);
    }

    public RunResult(String containerId, int exitCode, int signal, String error) {
        this(containerId, exitCode, signal, error, java.util.List.of());
    }

    public boolean failedToStart() {
        return error != null;
    }
}
