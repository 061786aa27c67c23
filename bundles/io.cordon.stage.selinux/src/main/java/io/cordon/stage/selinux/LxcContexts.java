package io.cordon.stage.selinux;

import io.cordon.api.CordonException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The policy's {@code contexts/lxc_contexts}: the labels its authors meant containers to get, as
 * {@code key = "context"} lines ({@code process}, {@code file}, {@code ro_file} …); {@code #} starts a comment.
 */
record LxcContexts(String source, Map<String, String> entries) {

    static LxcContexts parse(String source, String text) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            int eq = line.indexOf('=');
            if (line.isEmpty() || line.startsWith("#") || eq <= 0) {
                continue;
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            entries.put(line.substring(0, eq).strip(), value);
        }
        return new LxcContexts(source, Map.copyOf(entries));
    }

    /** The label for container processes. */
    Optional<SecurityContext> process() {
        return context("process");
    }

    /** The label for the container's own files. */
    Optional<SecurityContext> file() {
        return context("file");
    }

    private Optional<SecurityContext> context(String key) {
        String value = entries.get(key);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(SecurityContext.parse(value));
        } catch (IllegalArgumentException e) {
            throw new CordonException(source + ": the " + key + " entry " + e.getMessage()
                    + "; fix the file or ask for a label with --security-opt label=type:TYPE");
        }
    }
}
