package io.cordon.stage.selinux;

import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Per-container MCS category pairs ({@code s0:cA,cB}, A &lt; B), as podman gives each container: two
 * containers of the same type then cannot touch each other's processes or files. A pair is kept from the
 * launch's prepare to its release, and never given to two containers this runtime runs; pairs that other
 * processes on the host have are avoided too.
 */
final class McsPairs {
    /** The categories standard MCS policies define (c0.c1023). */
    static final int CATEGORIES = 1024;
    private static final int ATTEMPTS = 1000;

    private final Set<String> reserved = ConcurrentHashMap.newKeySet();
    private final java.util.Random random;

    McsPairs() {
        this(new SecureRandom());
    }

    /** With a given source of randomness, for tests. */
    McsPairs(java.util.Random random) {
        this.random = random;
    }

    /**
     * A fresh pair at {@code sensitivity}, reserved until {@link #release} when {@code keep} is true (a real
     * launch) and not reserved for a dry run. {@code inUseElsewhere} is asked only once, lazily.
     */
    String choose(String sensitivity, Supplier<Set<String>> inUseElsewhere, boolean keep) {
        Set<String> elsewhere = null;
        String level = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            int a = random.nextInt(CATEGORIES);
            int b = random.nextInt(CATEGORIES);
            if (a == b) {
                continue;
            }
            level = sensitivity + ":c" + Math.min(a, b) + ",c" + Math.max(a, b);
            if (reserved.contains(level)) {
                continue;
            }
            if (elsewhere == null) {
                elsewhere = inUseElsewhere.get();
            }
            if (elsewhere.contains(level)) {
                continue;
            }
            if (!keep || reserved.add(level)) {
                return level;
            }
        }
        // Half a million pairs all taken is not a real host; a shared pair still confines the container.
        if (keep) {
            reserved.add(level);
        }
        return level;
    }

    void release(String level) {
        reserved.remove(level);
    }

    boolean isReserved(String level) {
        return reserved.contains(level);
    }
}
