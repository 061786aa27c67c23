package io.cordon.api;

import java.util.Objects;

/** Result of a stage's host probe: available, or unavailable with the reason. */
public record Availability(boolean available, String reason) {
    public Availability {
        Objects.requireNonNull(reason, "reason");
    }

    public static Availability available(String detail) {
        return new Availability(true, detail);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason);
    }

    @Override
    public String toString() {
        return available ? "available" + (reason.isEmpty() ? "" : " (" + reason + ")") : "unavailable: " + reason;
    }
}
