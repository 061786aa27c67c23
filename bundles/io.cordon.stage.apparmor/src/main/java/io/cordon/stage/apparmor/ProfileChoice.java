package io.cordon.stage.apparmor;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What one launch asks of AppArmor, from its {@code --security-opt apparmor=…} values (also
 * {@code apparmor:…}, as Docker accepts). As in Docker the last value wins; nothing asked means cordon's
 * default profile, and {@code unconfined} means no profile at all.
 *
 * @param kind    default profile, a named loaded profile, or none
 * @param profile the profile name the container's exec label gets; empty for {@link Kind#UNCONFINED}
 * @param flag    the flag that decided it, for error messages; empty when nothing was asked
 */
record ProfileChoice(Kind kind, String profile, String flag) {
    static final String UNCONFINED = "unconfined";
    /** Longer names are surely a mistake; the kernel takes the label in one page anyway. */
    static final int MAX_NAME_BYTES = 1024;

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
        ProfileChoice choice = new ProfileChoice(Kind.DEFAULT, defaultProfile, "");
        for (String v : spec.settings(ContainerSpec.SECURITY_OPT)) {
            if (!ContainerSpec.securityOptKind(v).equals(AppArmorStage.REQUIREMENT)) {
                continue;
            }
            String flag = "--security-opt " + printable(v);
            // "apparmor=NAME" or "apparmor:NAME": the separator is the character after the kind.
            String name = v.length() > AppArmorStage.REQUIREMENT.length()
                    ? v.substring(AppArmorStage.REQUIREMENT.length() + 1) : "";
            checkName(name, flag);
            if (name.equals(UNCONFINED)) {
                choice = new ProfileChoice(Kind.UNCONFINED, "", flag);
            } else if (name.equals(defaultProfile)) {
                choice = new ProfileChoice(Kind.DEFAULT, name, flag);
            } else {
                choice = new ProfileChoice(Kind.NAMED, name, flag);
            }
        }
        return choice;
    }

    /**
     * A profile name goes to the kernel as {@code exec NAME} and is matched against the names in
     * {@code /sys/kernel/security/apparmor/profiles}, one per line with its mode after a space: whitespace or a
     * control character in it can only be a mistake, and a newline would cut the label short.
     */
    static void checkName(String name, String flag) {
        if (name.isEmpty()) {
            throw new CordonException(flag + ": give a profile name, apparmor=PROFILE (a profile loaded into the"
                    + " kernel), or apparmor=unconfined");
        }
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
                throw new CordonException(flag + ": an AppArmor profile name has no spaces or control characters;"
                        + " give the name as /sys/kernel/security/apparmor/profiles lists it");
            }
            i += Character.charCount(c);
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new CordonException(flag.substring(0, Math.min(flag.length(), 60)) + "…: an AppArmor profile name"
                    + " longer than " + MAX_NAME_BYTES + " bytes cannot be right; give the name of a loaded profile");
        }
    }

    /** The flag as the user typed it, but on one line: control characters shown as escapes. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (Character.isISOControl(c)) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
