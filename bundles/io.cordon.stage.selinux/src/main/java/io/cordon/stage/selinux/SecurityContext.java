package io.cordon.stage.selinux;

import java.util.Objects;
import java.util.Optional;

/**
 * An SELinux security context {@code user:role:type[:level]}. The level is absent under a policy without
 * MLS/MCS; when present it may itself contain colons and a range ({@code s0-s0:c0.c1023}).
 */
record SecurityContext(String user, String role, String type, Optional<String> level) {

    SecurityContext {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(level, "level");
    }

    SecurityContext(String user, String role, String type, String level) {
        this(user, role, type, Optional.ofNullable(level));
    }

    /**
     * Parses a context as the kernel or a policy file writes it. A trailing NUL or newline, which
     * {@code /proc/PID/attr/current} and selinuxfs answers carry, is dropped.
     *
     * @throws IllegalArgumentException if it is not {@code user:role:type[:level]} with non-empty parts
     */
    static SecurityContext parse(String text) {
        String t = text.strip();
        while (t.endsWith("\0")) {
            t = t.substring(0, t.length() - 1).strip();
        }
        String[] parts = t.split(":", 4);
        if (parts.length < 3 || java.util.Arrays.stream(parts).anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("'" + t + "' is not an SELinux context (user:role:type[:level])");
        }
        return new SecurityContext(parts[0], parts[1], parts[2], parts.length == 4 ? parts[3] : null);
    }

    SecurityContext withUser(String u) {
        return new SecurityContext(u, role, type, level);
    }

    SecurityContext withRole(String r) {
        return new SecurityContext(user, r, type, level);
    }

    SecurityContext withType(String t) {
        return new SecurityContext(user, role, t, level);
    }

    SecurityContext withLevel(Optional<String> l) {
        return new SecurityContext(user, role, type, l);
    }

    /** The sensitivity of the low end of the level ({@code s0} of {@code s0-s0:c0.c1023}), if there is a level. */
    Optional<String> sensitivity() {
        return level.map(l -> l.split("-", 2)[0].split(":", 2)[0]);
    }

    @Override
    public String toString() {
        return user + ":" + role + ":" + type + level.map(l -> ":" + l).orElse("");
    }
}
