package io.cordon.stage.selinux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class McsPairsTest {

    /** Hands out the given numbers, in order. */
    static final class Scripted extends Random {
        private static final long serialVersionUID = 1L;
        final Deque<Integer> next = new ArrayDeque<>();

        Scripted(Integer... values) {
            next.addAll(List.of(values));
        }

        @Override
        public int nextInt(int bound) {
            return next.removeFirst();
        }
    }

    @Test
    void aPairIsTwoDistinctCategoriesLowFirst() {
        McsPairs pairs = new McsPairs();
        Pattern pair = Pattern.compile("s0:c(\\d+),c(\\d+)");
        for (int i = 0; i < 200; i++) {
            String level = pairs.choose("s0", Set::of, false);
            Matcher m = pair.matcher(level);
            assertTrue(m.matches(), level);
            int a = Integer.parseInt(m.group(1));
            int b = Integer.parseInt(m.group(2));
            assertTrue(a < b && b < McsPairs.CATEGORIES, level);
        }
    }

    @Test
    void pairsInUseOnTheHostOrReservedHereAreSkipped() {
        McsPairs pairs = new McsPairs(new Scripted(5, 3, 4, 4, 7, 2, 2, 7, 9, 1));
        assertEquals("s0:c2,c7", pairs.choose("s0", () -> Set.of("s0:c3,c5"), true),
                "c3,c5 is another process's and c4,c4 is no pair");
        assertTrue(pairs.isReserved("s0:c2,c7"));
        assertEquals("s0:c1,c9", pairs.choose("s0", Set::of, true), "c2,c7 is reserved for the first container");
        pairs.release("s0:c2,c7");
        assertFalse(pairs.isReserved("s0:c2,c7"));
        assertTrue(pairs.isReserved("s0:c1,c9"));
    }

    @Test
    void aDryRunReservesNothing() {
        McsPairs pairs = new McsPairs(new Scripted(1, 2));
        String level = pairs.choose("s0", Set::of, false);
        assertFalse(pairs.isReserved(level));
    }

    @Test
    void concurrentContainersGetDistinctPairs() {
        McsPairs pairs = new McsPairs();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            assertTrue(seen.add(pairs.choose("s0", Set::of, true)));
        }
    }
}
