package io.cordon.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The parts of the SELinux labels a container asks for: {@code user}, {@code role}, {@code type} and
 * {@code level} of the process label, {@code filetype} for the type of its mount label, or no labelling at all.
 * Parts not given are the runtime's to choose.
 *
 * @param disabledBy what turned labelling off, as the user wrote it; the parts are then unused, as in Docker
 * @param sources    what asked, as the user wrote it, in order; empty when nothing did
 */
public record SelinuxLabel(Optional<String> user, Optional<String> role, Optional<String> type,
        Optional<String> level, Optional<String> filetype, Optional<String> disabledBy, List<String> sources) {

    public static final SelinuxLabel NOT_ASKED = new SelinuxLabel(Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    public SelinuxLabel {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(filetype, "filetype");
        Objects.requireNonNull(disabledBy, "disabledBy");
        sources = List.copyOf(sources);
    }

    /** Whether any part of a label was given (as opposed to nothing, or only {@code disable}). */
    public boolean anyPart() {
        return user.isPresent() || role.isPresent() || type.isPresent() || level.isPresent() || filetype.isPresent();
    }

    /** Whether labelling is off. */
    public boolean disabled() {
        return disabledBy.isPresent();
    }

    /** Whether anything was said about labels; asking is a requirement of the SELinux stage. */
    public boolean asked() {
        return !sources.isEmpty();
    }
}
