package io.cordon.api;

import java.util.Objects;
import java.util.Optional;

/**
 * The AppArmor profile a container's programs run under.
 *
 * @param kind   the runtime's default profile, a named profile, or none
 * @param name   the profile's name; present exactly for {@link Kind#NAMED}
 * @param source what asked for it, as the user wrote it; empty when nothing did (the default profile)
 */
public record AppArmorProfile(Kind kind, Optional<String> name, Optional<String> source) {
    public enum Kind {
        /** The runtime's default profile. */
        DEFAULT,
        /** A profile by name, which may still be the one the runtime uses by default. */
        NAMED,
        /** No AppArmor confinement. */
        UNCONFINED
    }

    public static final AppArmorProfile NOT_ASKED = new AppArmorProfile(Kind.DEFAULT, Optional.empty(),
            Optional.empty());

    public AppArmorProfile {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
        if (name.isPresent() != (kind == Kind.NAMED)) {
            throw new IllegalArgumentException("an AppArmor profile has a name exactly when its kind is NAMED");
        }
    }

    public static AppArmorProfile named(String name, String source) {
        return new AppArmorProfile(Kind.NAMED, Optional.of(name), Optional.of(source));
    }

    public static AppArmorProfile unconfined(String source) {
        return new AppArmorProfile(Kind.UNCONFINED, Optional.empty(), Optional.of(source));
    }

    /** Whether anything said which profile; asking is a requirement of the AppArmor stage. */
    public boolean asked() {
        return source.isPresent();
    }
}
