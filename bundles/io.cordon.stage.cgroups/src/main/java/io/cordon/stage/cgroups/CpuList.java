package io.cordon.stage.cgroups;

import java.util.BitSet;

/** The kernel's CPU list format ("0-3,6,8-9"), as in cpuset.cpus and /sys/devices/system/cpu/online. */
final class CpuList {
    private static final int MAX_CPU = 8192;

    private CpuList() {
    }

    /** The set, or null if {@code text} is not a CPU list. The empty string is the empty set. */
    static BitSet parse(String text) {
        BitSet cpus = new BitSet();
        if (text.isEmpty()) {
            return cpus;
        }
        for (String part : text.split(",", -1)) {
            String[] range = part.split("-", -1);
            if (range.length > 2 || !range[0].matches("\\d{1,4}") || (range.length == 2 && !range[1].matches("\\d{1,4}"))) {
                return null;
            }
            int from = Integer.parseInt(range[0]);
            int to = range.length == 2 ? Integer.parseInt(range[1]) : from;
            if (to < from || to >= MAX_CPU) {
                return null;
            }
            cpus.set(from, to + 1);
        }
        return cpus;
    }

    /** The set in the kernel's format, ranges collapsed. */
    static String format(BitSet cpus) {
        StringBuilder s = new StringBuilder();
        int i = cpus.nextSetBit(0);
        while (i >= 0) {
            int end = cpus.nextClearBit(i) - 1;
            if (s.length() > 0) {
                s.append(',');
            }
            s.append(i);
            if (end > i) {
                s.append('-').append(end);
            }
            i = cpus.nextSetBit(end + 1);
        }
        return s.toString();
    }
}
