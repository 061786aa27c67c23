package io.cordon.stage.caps;

import io.cordon.api.CordonException;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Capability names and numbers as in linux/capability.h, and Docker's default set.
 * The table stops at 40 (CHECKPOINT_RESTORE, Linux 5.9); a newer kernel's bits beyond
 * it are still part of ALL and shown as their number.
 */
final class Capabilities {
    /** Index = capability number. */
    static final List<String> NAMES = List.of(
            "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
            "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
            "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
            "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
            "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
            "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");

    /** Docker's default 14 (moby oci/caps/defaults.go): 0x00000000a80425fb. */
    static final long DOCKER_DEFAULT = mask("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
            "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE");

    /** The word --cap-add/--cap-drop take for every capability. */
    static final String ALL = "ALL";

    private Capabilities() {
    }

    /** Every capability of a kernel whose highest one is {@code lastCap}. */
    static long all(int lastCap) {
        return lastCap >= 63 ? -1L : (1L << (lastCap + 1)) - 1;
    }

    /**
     * The number of a capability as a user writes it: with or without {@code CAP_}, any case.
     * {@code flag} names the option in the one-line error for an unknown name or one this
     * kernel lacks.
     */
    static int number(String flag, String given, int lastCap) {
        String name = given.trim().toUpperCase(Locale.ROOT);
        if (name.startsWith("CAP_")) {
            name = name.substring(4);
        }
        int cap = NAMES.indexOf(name);
        if (cap < 0) {
            throw new CordonException(flag + " " + given + ": unknown capability (names as in capabilities(7),"
                    + " with or without CAP_, e.g. NET_ADMIN; or ALL)");
        }
        if (cap > lastCap) {
            throw new CordonException(flag + " " + given + ": this kernel has no CAP_" + name
                    + " (its last capability is " + lastCap + ", CAP_" + name(lastCap) + ")");
        }
        return cap;
    }

    /** The name of a capability number without CAP_; a bit beyond the table is its number. */
    static String name(int cap) {
        return cap >= 0 && cap < NAMES.size() ? NAMES.get(cap) : Integer.toString(cap);
    }

    /** The set bits of a mask as names, comma-separated, lowest first; "none" for 0. */
    static String names(long mask) {
        if (mask == 0) {
            return "none";
        }
        StringJoiner out = new StringJoiner(",");
        for (int cap = 0; cap < 64; cap++) {
            if ((mask & (1L << cap)) != 0) {
                out.add(name(cap));
            }
        }
        return out.toString();
    }

    private static long mask(String... names) {
        long m = 0;
        for (String n : names) {
            m |= 1L << NAMES.indexOf(n);
        }
        return m;
    }
}
