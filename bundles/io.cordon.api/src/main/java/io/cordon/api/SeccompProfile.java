package io.cordon.api;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The syscall filter a container asks for.
 *
 * @param kind   the runtime's default profile, no filter, or a profile file
 * @param file   the profile file, absolute; present exactly for {@link Kind#FILE}
 * @param source what asked for it, as the user wrote it; empty when nothing did (the default profile)
 */
public record SeccompProfile(Kind kind, Optional<Path> file, Optional<String> source) {
    public enum Kind {
        /** The runtime's default profile. */
        DEFAULT,
        /** No filter at all. */
        UNCONFINED,
        /** An OCI or Docker JSON profile read from {@link #file()}. */
        FILE
    }

    public static final SeccompProfile NOT_ASKED = new SeccompProfile(Kind.DEFAULT, Optional.empty(),
            Optional.empty());

    public SeccompProfile {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
        if (file.isPresent() != (kind == Kind.FILE)) {
            throw new IllegalArgumentException("a seccomp profile has a file exactly when its kind is FILE");
        }
        file = file.map(f -> f.toAbsolutePath().normalize());
    }

    public static SeccompProfile defaultProfile(String source) {
        return new SeccompProfile(Kind.DEFAULT, Optional.empty(), Optional.of(source));
    }

    public static SeccompProfile unconfined(String source) {
        return new SeccompProfile(Kind.UNCONFINED, Optional.empty(), Optional.of(source));
    }

    public static SeccompProfile file(Path file, String source) {
        return new SeccompProfile(Kind.FILE, Optional.of(file), Optional.of(source));
    }

    /** Whether anything said which profile; asking is a requirement of the seccomp stage. */
    public boolean asked() {
        return source.isPresent();
    }
}
