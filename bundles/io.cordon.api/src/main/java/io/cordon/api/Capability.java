package io.cordon.api;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The Linux capabilities cordon knows by name, in kernel order: a constant's ordinal is its number in
 * linux/capability.h, and so its bit in the kernel's capability sets. The table stops at CHECKPOINT_RESTORE
 * (40, Linux 5.9); a newer kernel's capabilities beyond it have no name here, are still part of ALL, and are
 * shown as their number.
 */
public enum Capability {
    CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, LINUX_IMMUTABLE,
    NET_BIND_SERVICE, NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK, IPC_OWNER, SYS_MODULE, SYS_RAWIO, SYS_CHROOT,
    SYS_PTRACE, SYS_PACCT, SYS_ADMIN, SYS_BOOT, SYS_NICE, SYS_RESOURCE, SYS_TIME, SYS_TTY_CONFIG, MKNOD, LEASE,
    AUDIT_WRITE, AUDIT_CONTROL, SETFCAP, MAC_OVERRIDE, MAC_ADMIN, SYSLOG, WAKE_ALARM, BLOCK_SUSPEND, AUDIT_READ,
    PERFMON, BPF, CHECKPOINT_RESTORE;

    /** Every capability in this table. */
    public static final Set<Capability> KNOWN = Collections.unmodifiableSet(EnumSet.allOf(Capability.class));

    /** Docker's default 14 (moby oci/caps/defaults.go), mask 0x00000000a80425fb. */
    public static final Set<Capability> DOCKER_DEFAULT = Collections.unmodifiableSet(EnumSet.of(CHOWN,
            DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE,
            SYS_CHROOT, KILL, AUDIT_WRITE));

    /** The word --cap-add and --cap-drop take for every capability. */
    public static final String ALL_WORD = "ALL";

    /** Its number in linux/capability.h. */
    public int number() {
        return ordinal();
    }

    /** Its bit in a capability mask. */
    public long bit() {
        return 1L << ordinal();
    }

    /** The name with its prefix, as capabilities(7) and Moby's seccomp profiles write it: CAP_CHOWN. */
    public String capName() {
        return "CAP_" + name();
    }

    /**
     * A capability as a user writes it: with or without {@code CAP_}, any case. {@code flag} names the option
     * in the one-line error for a name this table lacks. {@link #ALL_WORD} is not a capability; the caller
     * deals with it.
     */
    public static Capability parse(String flag, String given) {
        String name = given.trim().toUpperCase(Locale.ROOT);
        if (name.startsWith("CAP_")) {
            name = name.substring(4);
        }
        for (Capability c : values()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new CordonException(flag + " " + given + ": unknown capability (names as in capabilities(7),"
                + " with or without CAP_, e.g. NET_ADMIN; or ALL)");
    }

    /** The mask of a set of capabilities. */
    public static long mask(Collection<Capability> caps) {
        long m = 0;
        for (Capability c : caps) {
            m |= c.bit();
        }
        return m;
    }

    /** The capabilities of this table whose bits are set in {@code mask}. */
    public static Set<Capability> of(long mask) {
        Set<Capability> out = EnumSet.noneOf(Capability.class);
        for (Capability c : values()) {
            if ((mask & c.bit()) != 0) {
                out.add(c);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** Every capability of a kernel whose highest one is {@code lastCap} (/proc/sys/kernel/cap_last_cap). */
    public static long allUpTo(int lastCap) {
        return lastCap >= 63 ? -1L : (1L << (lastCap + 1)) - 1;
    }

    /** The name of a capability number without CAP_; a number beyond the table is shown as itself. */
    public static String nameOf(int number) {
        Capability[] all = values();
        return number >= 0 && number < all.length ? all[number].name() : Integer.toString(number);
    }

    /** The set bits of a mask as names, comma-separated, lowest first; "none" for 0. */
    public static String namesOf(long mask) {
        if (mask == 0) {
            return "none";
        }
        StringJoiner out = new StringJoiner(",");
        for (int cap = 0; cap < 64; cap++) {
            if ((mask & (1L << cap)) != 0) {
                out.add(nameOf(cap));
            }
        }
        return out.toString();
    }

    /** The CAP_ names of some capabilities, in kernel order. */
    public static Set<String> capNames(Collection<Capability> caps) {
        Set<String> out = new LinkedHashSet<>();
        for (Capability c : values()) {
            if (caps.contains(c)) {
                out.add(c.capName());
            }
        }
        return Collections.unmodifiableSet(out);
    }
}
