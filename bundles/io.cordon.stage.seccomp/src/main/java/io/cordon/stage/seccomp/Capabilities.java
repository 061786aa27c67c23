package io.cordon.stage.seccomp;

import io.cordon.api.ContainerSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The bounding capability set a container will have, as Docker computes it from
 * {@code --privileged}, {@code --cap-add} and {@code --cap-drop} over its 14
 * default capabilities. The seccomp stage only reads these settings (the
 * capabilities stage applies and validates them) to decide Moby's
 * capability-conditional rules.
 */
public final class Capabilities {
    /** Docker's default bounding set. */
    public static final Set<String> DOCKER_DEFAULT = Set.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID",
            "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    /** Every capability, in kernel order (CAP_CHOWN = 0 … CAP_CHECKPOINT_RESTORE = 40). */
    public static final List<String> ALL = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
            "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
            "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
            "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    private Capabilities() {
    }

    /** Docker's TweakCapabilities over the spec's settings. */
    public static Set<String> bounding(ContainerSpec spec) {
        if (spec.settings().containsKey("privileged")) {
            return Set.copyOf(ALL);
        }
        List<String> add = normalize(spec.settings("cap-add"));
        List<String> drop = normalize(spec.settings("cap-drop"));
        Set<String> caps = new LinkedHashSet<>();
        if (add.contains("ALL")) {
            ALL.stream().filter(c -> !drop.contains(c)).forEach(caps::add);
        } else if (drop.contains("ALL")) {
            caps.addAll(add);
        } else {
            DOCKER_DEFAULT.stream().filter(c -> !drop.contains(c)).forEach(caps::add);
            caps.addAll(add);
        }
        return Set.copyOf(caps);
    }

    private static List<String> normalize(List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            for (String part : n.split(",")) {
                String c = part.trim().toUpperCase(Locale.ROOT);
                if (c.isEmpty()) {
                    continue;
                }
                out.add(c.equals("ALL") || c.startsWith("CAP_") ? c : "CAP_" + c);
            }
        }
        return out;
    }
}
