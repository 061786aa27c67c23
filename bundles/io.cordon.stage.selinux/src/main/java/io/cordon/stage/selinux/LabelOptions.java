package io.cordon.stage.selinux;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the {@code --security-opt label=…} flags ask for (Docker and podman also accept {@code label:…}):
 * {@code user:U}, {@code role:R}, {@code type:T}, {@code level:L} for the process label, {@code filetype:T}
 * for the type of the mount label, or {@code disable}. Repeated flags combine; of the same key the last wins.
 */
record LabelOptions(Optional<String> user, Optional<String> role, Optional<String> type, Optional<String> level,
        Optional<String> filetype, Optional<String> disabledBy, List<String> flags) {

    static final String KIND = "selinux";
    private static final String KEYS = "user, role, type, level or filetype";
    /** Policy identifiers; the kernel checks the rest. Quotes, commas and spaces could break the mount option. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    /** An MLS/MCS level or range such as {@code s0}, {@code s0:c1,c2} or {@code s0-s0:c0.c1023}. */
    private static final Pattern LEVEL = Pattern.compile("[A-Za-z0-9_.,:-]+");

    static final LabelOptions NONE = new LabelOptions(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    /** Whether any part of a label was given (as opposed to nothing, or {@code disable}). */
    boolean asked() {
        return user.isPresent() || role.isPresent() || type.isPresent() || level.isPresent() || filetype.isPresent();
    }

    boolean disabled() {
        return disabledBy.isPresent();
    }

    /**
     * The process label: the parts given over {@code base}.
     */
    SecurityContext process(SecurityContext base) {
        SecurityContext c = base;
        c = user.map(c::withUser).orElse(c);
        c = role.map(c::withRole).orElse(c);
        c = type.map(c::withType).orElse(c);
        return level.isPresent() ? c.withLevel(level) : c;
    }

    /**
     * The mount label: {@code base} with the file type given, the user given (file objects carry the user of
     * their creator's label), and the level of the process label, so the container can use its own files
     * under MCS. The role of a file is always {@code base}'s ({@code object_r}).
     */
    SecurityContext mount(SecurityContext base, SecurityContext process) {
        SecurityContext c = base;
        c = user.map(c::withUser).orElse(c);
        c = filetype.map(c::withType).orElse(c);
        return c.withLevel(process.level());
    }

    /**
     * The label options of a spec.
     *
     * @throws CordonException naming the flag, what is wrong with it and what to write instead
     */
    static LabelOptions of(ContainerSpec spec) {
        Map<String, String> given = new LinkedHashMap<>();
        List<String> flags = new ArrayList<>();
        String disabledBy = null;
        for (String v : spec.settings(ContainerSpec.SECURITY_OPT)) {
            if (!ContainerSpec.securityOptKind(v).equals(KIND)) {
                continue;
            }
            flags.add(v);
            String flag = "--security-opt " + v;
            if (!v.startsWith("label")) {
                throw new CordonException(flag + ": SELinux options are written label=KEY:VALUE, e.g. "
                        + "--security-opt label=type:container_t");
            }
            String option = v.length() > "label".length() ? v.substring("label".length() + 1) : "";
            if (option.isEmpty()) {
                throw new CordonException(flag + ": expected label=KEY:VALUE with KEY one of " + KEYS
                        + " (e.g. label=type:container_t), or label=disable");
            }
            if (option.equals("disable")) {
                disabledBy = v;
                continue;
            }
            int colon = option.indexOf(':');
            if (colon < 0) {
                throw new CordonException(flag + ": expected label=KEY:VALUE with KEY one of " + KEYS
                        + " (e.g. label=type:container_t), or label=disable");
            }
            String key = option.substring(0, colon);
            String value = option.substring(colon + 1);
            if (!List.of("user", "role", "type", "level", "filetype").contains(key)) {
                throw new CordonException(flag + ": unknown label option '" + key + "'; use " + KEYS
                        + " followed by ':' and a value, or label=disable");
            }
            if (value.isEmpty()) {
                throw new CordonException(flag + ": " + key + " needs a value, e.g. label=" + key + ":"
                        + example(key));
            }
            Pattern allowed = key.equals("level") ? LEVEL : NAME;
            if (!allowed.matcher(value).matches()) {
                throw new CordonException(flag + ": '" + value + "' is not an SELinux " + key + " ("
                        + (key.equals("level") ? "e.g. s0 or s0:c1,c2" : "letters, digits, '_', '.' and '-'")
                        + ")");
            }
            given.put(key, value);
        }
        if (disabledBy != null && !given.isEmpty()) {
            throw new CordonException("--security-opt " + disabledBy + " turns labelling off, yet --security-opt "
                    + flags.stream().filter(f -> !f.endsWith("disable")).findFirst().orElseThrow()
                    + " asks for a label: give one or the other");
        }
        return new LabelOptions(Optional.ofNullable(given.get("user")), Optional.ofNullable(given.get("role")),
                Optional.ofNullable(given.get("type")), Optional.ofNullable(given.get("level")),
                Optional.ofNullable(given.get("filetype")), Optional.ofNullable(disabledBy), List.copyOf(flags));
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
}
