package io.cordon.stage.apparmor;

import io.cordon.api.AppArmorProfile;
import io.cordon.api.ContainerSpec;
import java.util.Optional;

/**
 * What one launch asks of AppArmor, from the spec's {@link AppArmorProfile} (which the spec decided, the last
 * value winning as in Docker): nothing asked means cordon's default profile, a name means that loaded profile
 * (or, if it is cordon's default, the default, which cordon loads when missing), and {@code unconfined} means
 * no profile at all.
 *
 * @param kind    default profile, a named loaded profile, or none
 * @param profile the profile name the container's exec label gets; empty for {@link Kind#UNCONFINED}
 * @param flag    what decided it, for error messages; empty when nothing was asked
 */
record ProfileChoice(Kind kind, String profile, String flag) {
    static final String UNCONFINED = "unconfined";

    enum Kind {
        /** cordon's own profile, which cordon loads when it is missing or changed. */
        DEFAULT,
        /** A profile somebody else loaded; cordon only checks that the kernel has it. */
        NAMED,
        /** No AppArmor confinement: the exec label is left alone. */
        UNCONFINED
    }

    /** The label to put on the container's exec, if any. */
    Optional<String> label() {
        return kind == Kind.UNCONFINED ? Optional.empty() : Optional.of(profile);
    }

    static ProfileChoice of(ContainerSpec spec, String defaultProfile) {
        AppArmorProfile asked = spec.appArmor();
        String flag = asked.source().orElse("");
        return switch (asked.kind()) {
            case DEFAULT -> new ProfileChoice(Kind.DEFAULT, defaultProfile, flag);
            case UNCONFINED -> new ProfileChoice(Kind.UNCONFINED, "", flag);
            case NAMED -> {
                String name = asked.name().orElseThrow();
                yield new ProfileChoice(name.equals(defaultProfile) ? Kind.DEFAULT : Kind.NAMED, name, flag);
            }
        };
    }
}
