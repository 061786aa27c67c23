package io.cordon.api.plan;

import java.util.ArrayList;
import java.util.List;

/** mount(2) flag bits (include/uapi/linux/mount.h) and their names for display. */
public final class MountFlags {
    public static final long RDONLY = 1;
    public static final long NOSUID = 2;
    public static final long NODEV = 4;
    public static final long NOEXEC = 8;
    public static final long REMOUNT = 32;
    public static final long NOATIME = 1024;
    public static final long BIND = 4096;
    public static final long REC = 16384;
    public static final long PRIVATE = 1 << 18;
    public static final long SLAVE = 1 << 19;
    public static final long SHARED = 1 << 20;
    public static final long STRICTATIME = 1 << 24;

    private static final long[] BITS = {RDONLY, NOSUID, NODEV, NOEXEC, REMOUNT, NOATIME, BIND, REC, PRIVATE, SLAVE,
        SHARED, STRICTATIME};
    private static final String[] NAMES = {"ro", "nosuid", "nodev", "noexec", "remount", "noatime", "bind", "rec",
        "private", "slave", "shared", "strictatime"};

    private MountFlags() {
    }

    public static String names(long flags) {
        List<String> out = new ArrayList<>();
        long rest = flags;
        for (int i = 0; i < BITS.length; i++) {
            if ((flags & BITS[i]) != 0) {
                out.add(NAMES[i]);
                rest &= ~BITS[i];
            }
        }
        if (rest != 0) {
            out.add("0x" + Long.toHexString(rest));
        }
        return out.isEmpty() ? "defaults" : String.join(",", out);
    }
}
