package io.cordon.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code --security-opt} values of one container, decided once, as Docker decides them: each option's last
 * occurrence wins, and of {@code label=} each part ({@code user}, {@code role}, {@code type}, {@code level},
 * {@code filetype}) independently; {@code label=disable} anywhere turns labelling off. A value is
 * {@code KEY=VALUE}, or {@code KEY:VALUE} when it has no {@code =}; {@code no-new-privileges} alone means true.
 * Every value is checked, also one a later value overrides.
 */
public record SecurityOptions(NoNewPrivileges noNewPrivileges, SeccompProfile seccomp, AppArmorProfile appArmor,
        SelinuxLabel selinuxLabel) {

    public static final SecurityOptions NONE = new SecurityOptions(NoNewPrivileges.NOT_ASKED,
            SeccompProfile.NOT_ASKED, AppArmorProfile.NOT_ASKED, SelinuxLabel.NOT_ASKED);

    static final String FLAG = "--security-opt";
    static final String NO_NEW_PRIVILEGES = "no-new-privileges";
    static final String UNCONFINED = "unconfined";
    /** Docker's name for its built-in seccomp profile; here it is cordon's. */
    static final String SECCOMP_BUILTIN = "builtin";
    /** strconv.ParseBool, which Docker uses for no-new-privileges=VALUE. */
    private static final Set<String> TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");
    private static final Set<String> FALSE = Set.of("0", "f", "F", "FALSE", "false", "False");
    private static final List<String> LABEL_KEYS = List.of("user", "role", "type", "level", "filetype");
    private static final String KEYS = "user, role, type, level or filetype";
    /** Policy identifiers; the kernel checks the rest. Quotes, commas and spaces could break the mount option. */
    private static final Pattern LABEL_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    /** An MLS/MCS level or range such as {@code s0}, {@code s0:c1,c2} or {@code s0-s0:c0.c1023}. */
    private static final Pattern LABEL_LEVEL = Pattern.compile("[A-Za-z0-9_.,:-]+");
    /** Longer AppArmor names are surely a mistake; the kernel takes the label in one page anyway. */
    static final int MAX_APPARMOR_NAME_BYTES = 1024;

    /**
     * The options of a list of {@code --security-opt} values, in the order given.
     *
     * @throws CordonException for the first malformed value: one line naming it and what is accepted
     */
    public static SecurityOptions parse(List<String> values) {
        NoNewPrivileges nnp = NoNewPrivileges.NOT_ASKED;
        SeccompProfile seccomp = SeccompProfile.NOT_ASKED;
        AppArmorProfile appArmor = AppArmorProfile.NOT_ASKED;
        Map<String, String> labelParts = new LinkedHashMap<>();
        String labelDisabledBy = null;
        List<String> labelSources = new ArrayList<>();
        for (String v : values) {
            String flag = FLAG + " " + printable(v);
            if (v.equals(NO_NEW_PRIVILEGES)) {
                nnp = NoNewPrivileges.asked(true, flag);
                continue;
            }
            // As Docker: split at the first '=' if there is one, else at the first ':'.
            int at = v.indexOf('=') >= 0 ? v.indexOf('=') : v.indexOf(':');
            String key = at < 0 ? v : v.substring(0, at);
            String value = at < 0 ? "" : v.substring(at + 1);
            switch (key) {
                case NO_NEW_PRIVILEGES -> nnp = NoNewPrivileges.asked(bool(value, flag), flag);
                case "seccomp" -> seccomp = seccomp(value, flag);
                case "apparmor" -> appArmor = appArmor(value, flag);
                case "label" -> {
                    labelSources.add(flag);
                    if (value.equals("disable")) {
                        labelDisabledBy = labelDisabledBy == null ? flag : labelDisabledBy;
                    } else {
                        labelPart(value, flag, labelParts);
                    }
                }
                case "selinux" -> throw new CordonException(flag + ": SELinux options are written label=KEY:VALUE,"
                        + " e.g. " + FLAG + " label=type:container_t");
                default -> throw new CordonException(flag + ": unknown option '" + printable(key) + "'; cordon"
                        + " takes seccomp=PROFILE.json|unconfined, apparmor=PROFILE|unconfined,"
                        + " label=KEY:VALUE|disable and no-new-privileges[=true|false]");
            }
        }
        SelinuxLabel label = new SelinuxLabel(part(labelParts, "user"), part(labelParts, "role"),
                part(labelParts, "type"), part(labelParts, "level"), part(labelParts, "filetype"), Optional.ofNullable(labelDisabledBy),
                labelSources);
        return new SecurityOptions(nnp, seccomp, appArmor, label);
    }

    private static boolean bool(String value, String flag) {
        if (TRUE.contains(value)) {
            return true;
        }
        if (FALSE.contains(value)) {
            return false;
        }
        throw new CordonException(flag + ": expected " + NO_NEW_PRIVILEGES + ", " + NO_NEW_PRIVILEGES + "=true or "
                + NO_NEW_PRIVILEGES + "=false");
    }

    private static SeccompProfile seccomp(String value, String flag) {
        if (value.isEmpty()) {
            throw new CordonException(flag + ": expected seccomp=PATH (a JSON profile), seccomp=unconfined or"
                    + " seccomp=builtin");
        }
        return switch (value) {
            case UNCONFINED -> SeccompProfile.unconfined(flag);
            case SECCOMP_BUILTIN -> SeccompProfile.defaultProfile(flag);
            default -> SeccompProfile.file(Path.of(value), flag);
        };
    }

    /**
     * A profile name goes to the kernel as {@code exec NAME} and is matched against the names in
     * {@code /sys/kernel/security/apparmor/profiles}, one per line with its mode after a space: whitespace or a
     * control character in it can only be a mistake, and a newline would cut the label short.
     */
    private static AppArmorProfile appArmor(String name, String flag) {
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
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_APPARMOR_NAME_BYTES) {
            throw new CordonException(flag.substring(0, Math.min(flag.length(), 60)) + "…: an AppArmor profile"
                    + " name longer than " + MAX_APPARMOR_NAME_BYTES + " bytes cannot be right; give the name of a"
                    + " loaded profile");
        }
        return name.equals(UNCONFINED) ? AppArmorProfile.unconfined(flag) : AppArmorProfile.named(name, flag);
    }

    private static void labelPart(String option, String flag, Map<String, String> parts) {
        int colon = option.indexOf(':');
        if (option.isEmpty() || colon < 0) {
            throw new CordonException(flag + ": expected label=KEY:VALUE with KEY one of " + KEYS
                    + " (e.g. label=type:container_t), or label=disable");
        }
        String key = option.substring(0, colon);
        String value = option.substring(colon + 1);
        if (!LABEL_KEYS.contains(key)) {
            throw new CordonException(flag + ": unknown label option '" + key + "'; use " + KEYS
                    + " followed by ':' and a value, or label=disable");
        }
        if (value.isEmpty()) {
            throw new CordonException(flag + ": " + key + " needs a value, e.g. label=" + key + ":" + example(key));
        }
        Pattern allowed = key.equals("level") ? LABEL_LEVEL : LABEL_NAME;
        if (!allowed.matcher(value).matches()) {
            throw new CordonException(flag + ": '" + value + "' is not an SELinux " + key + " ("
                    + (key.equals("level") ? "e.g. s0 or s0:c1,c2" : "letters, digits, '_', '.' and '-'") + ")");
        }
        parts.put(key, value);
    }

    private static Optional<String> part(Map<String, String> parts, String key) {
        return Optional.ofNullable(parts.get(key));
    }

    private static String example(String key) {
        return switch (key) {
            case "user" -> "system_u";
            case "role" -> "system_r";
            case "type" -> "container_t";
            case "level" -> "s0:c1,c2";
            default -> "container_file_t";
        };
    }

    /** A value as the user typed it, but on one line: control characters shown as escapes. */
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
