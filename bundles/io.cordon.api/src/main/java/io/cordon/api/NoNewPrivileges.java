package io.cordon.api;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether the container runs with no_new_privs, so no exec in it can gain privileges through a setuid bit or
 * file capabilities.
 *
 * @param on     whether it is set
 * @param source what asked for it, as the user wrote it (e.g. {@code --security-opt no-new-privileges:false});
 *               empty when nothing did, which means off
 */
public record NoNewPrivileges(boolean on, Optional<String> source) {
    public static final NoNewPrivileges NOT_ASKED = new NoNewPrivileges(false, Optional.empty());

    public NoNewPrivileges {
        Objects.requireNonNull(source, "source");
    }

    public static NoNewPrivileges asked(boolean on, String source) {
        return new NoNewPrivileges(on, Optional.of(source));
    }

    /** Whether anything said, on or off; asking is a requirement of the stage that sets it. */
    public boolean asked() {
        return source.isPresent();
    }
}
