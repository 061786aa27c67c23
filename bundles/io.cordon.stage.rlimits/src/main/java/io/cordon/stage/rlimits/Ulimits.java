package io.cordon.stage.rlimits;

import io.cordon.api.CordonException;
import io.cordon.api.plan.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's {@code --ulimit name=soft[:hard]} (go-units ParseUlimit): the hard limit
 * defaults to the soft one, {@code -1} or {@code unlimited} is RLIM_INFINITY, and soft
 * may not exceed hard. A name given twice keeps its first place and its last value.
 */
final class Ulimits {
    /** RLIM_INFINITY as the plan's u64 carries it. */
    static final long INFINITY = -1L;

    /**
     * Docker's names and the RLIMIT_* numbers of asm-generic/resource.h, which x86_64
     * and aarch64 use (alpha, mips, sparc and parisc number some differently).
     */
    static final Map<String, Integer> RESOURCES = Map.ofEntries(
            Map.entry("cpu", 0), Map.entry("fsize", 1), Map.entry("data", 2), Map.entry("stack", 3),
            Map.entry("core", 4), Map.entry("rss", 5), Map.entry("nproc", 6), Map.entry("nofile", 7),
            Map.entry("memlock", 8), Map.entry("as", 9), Map.entry("locks", 10), Map.entry("sigpending", 11),
            Map.entry("msgqueue", 12), Map.entry("nice", 13), Map.entry("rtprio", 14), Map.entry("rttime", 15));

    private Ulimits() {
    }

    /**
     * What the host allows: the kernel's fs.nr_open, above which no nofile limit can be
     * set; cordon's own hard limits by RLIMIT_* number (inherited by the child), and
     * whether it may raise them (CAP_SYS_RESOURCE).
     */
    record Host(long nrOpen, long[] hard, boolean canRaise) {
        static Host unrestricted(long nrOpen) {
            return new Host(nrOpen, new long[0], true);
        }
    }

    /** The SETRLIMIT ops for the given {@code --ulimit} values. */
    static List<Op.SetRlimit> parse(List<String> values, Host host) {
        Map<String, Op.SetRlimit> byName = new LinkedHashMap<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw error(v, "expected NAME=SOFT[:HARD], e.g. nofile=1024:2048");
            }
            String name = v.substring(0, eq);
            Integer resource = RESOURCES.get(name);
            if (resource == null) {
                throw error(v, "unknown limit '" + name + "' (one of " + String.join(", ",
                        new java.util.TreeSet<>(RESOURCES.keySet())) + ")");
            }
            String[] parts = v.substring(eq + 1).split(":", -1);
            if (parts.length > 2) {
                throw error(v, "expected NAME=SOFT[:HARD]: at most one ':'");
            }
            long soft = value(v, parts[0]);
            long hard = parts.length == 2 ? value(v, parts[1]) : soft;
            if (hard != INFINITY && (soft == INFINITY || soft > hard)) {
                throw error(v, "the soft limit " + show(soft) + " is above the hard limit " + show(hard));
            }
            if (name.equals("nofile") && (Long.compareUnsigned(soft, host.nrOpen()) > 0
                    || Long.compareUnsigned(hard, host.nrOpen()) > 0)) {
                throw error(v, "this kernel allows at most " + host.nrOpen() + " open files (fs.nr_open)");
            }
            if (!host.canRaise() && resource < host.hard().length
                    && Long.compareUnsigned(hard, host.hard()[resource]) > 0) {
                throw error(v, "the hard limit " + show(hard) + " is above cordon's own, "
                        + show(host.hard()[resource]) + ", and cordon lacks CAP_SYS_RESOURCE to raise it");
            }
            byName.put(name, new Op.SetRlimit(resource, soft, hard));
        }
        return new ArrayList<>(byName.values());
    }

    private static long value(String given, String s) {
        if (s.equals("unlimited") || s.equals("-1")) {
            return INFINITY;
        }
        if (!s.matches("[0-9]{1,19}")) {
            throw error(given, "'" + s + "' is not a limit: give a whole number, -1 or unlimited");
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw error(given, "'" + s + "' is too large");
        }
    }

    private static String show(long v) {
        return v == INFINITY ? "unlimited" : Long.toString(v);
    }

    private static CordonException error(String given, String what) {
        return new CordonException("--ulimit " + given + ": " + what);
    }
}
