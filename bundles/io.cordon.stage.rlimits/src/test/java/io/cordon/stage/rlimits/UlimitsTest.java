package io.cordon.stage.rlimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cordon.api.CordonException;
import io.cordon.api.plan.Op;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class UlimitsTest {
    static final long NR_OPEN = 1048576;

    static List<Op.SetRlimit> parse(String... v) {
        return Ulimits.parse(List.of(v), Ulimits.Host.unrestricted(NR_OPEN));
    }

    @Test
    void everyDockerNameWithItsRlimitNumber() {
        Map<String, Integer> expected = new TreeMap<>(Map.ofEntries(Map.entry("as", 9), Map.entry("core", 4),
                Map.entry("cpu", 0), Map.entry("data", 2), Map.entry("fsize", 1), Map.entry("locks", 10),
                Map.entry("memlock", 8), Map.entry("msgqueue", 12), Map.entry("nice", 13), Map.entry("nofile", 7),
                Map.entry("nproc", 6), Map.entry("rss", 5), Map.entry("rtprio", 14), Map.entry("rttime", 15),
                Map.entry("sigpending", 11), Map.entry("stack", 3)));
        assertEquals(expected, new TreeMap<>(Ulimits.RESOURCES));
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            assertEquals(List.of(new Op.SetRlimit(e.getValue(), 5, 10)), parse(e.getKey() + "=5:10"));
        }
    }

    @Test
    void softAndHard() {
        assertEquals(List.of(new Op.SetRlimit(7, 100, 200)), parse("nofile=100:200"));
        assertEquals(List.of(new Op.SetRlimit(7, 100, 100)), parse("nofile=100"), "hard defaults to soft");
    }

    @Test
    void unlimited() {
        assertEquals(List.of(new Op.SetRlimit(4, -1, -1)), parse("core=unlimited"));
        assertEquals(List.of(new Op.SetRlimit(4, -1, -1)), parse("core=-1"));
        assertEquals(List.of(new Op.SetRlimit(4, 0, -1)), parse("core=0:-1"));
        assertEquals(List.of(new Op.SetRlimit(6, 10, -1)), parse("nproc=10:unlimited"));
    }

    @Test
    void lastValueWinsFirstPlaceKept() {
        assertEquals(List.of(new Op.SetRlimit(7, 5, 5), new Op.SetRlimit(4, 0, 0)),
                parse("nofile=1", "core=0", "nofile=5"));
    }

    @Test
    void badInputIsOneLineError() {
        assertError("--ulimit nofile=x: 'x' is not a limit: give a whole number, -1 or unlimited", "nofile=x");
        assertError("--ulimit nofile: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048", "nofile");
        assertError("--ulimit =5: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048", "=5");
        assertError("--ulimit fly=5: unknown limit 'fly' (one of as, core, cpu, data, fsize, locks, memlock,"
                + " msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)", "fly=5");
        assertError("--ulimit nofile=1:2:3: expected NAME=SOFT[:HARD]: at most one ':'", "nofile=1:2:3");
        assertError("--ulimit nofile=300:200: the soft limit 300 is above the hard limit 200", "nofile=300:200");
        assertError("--ulimit core=unlimited:5: the soft limit unlimited is above the hard limit 5",
                "core=unlimited:5");
        assertError("--ulimit nofile=-2: '-2' is not a limit: give a whole number, -1 or unlimited", "nofile=-2");
        assertError("--ulimit nofile=: '' is not a limit: give a whole number, -1 or unlimited", "nofile=");
        assertError("--ulimit cpu=99999999999999999999: '99999999999999999999' is not a limit: give a whole number,"
                + " -1 or unlimited", "cpu=99999999999999999999");
        assertError("--ulimit cpu=9999999999999999999: '9999999999999999999' is too large",
                "cpu=9999999999999999999");
        assertError("--ulimit nofile=unlimited: this kernel allows at most 1048576 open files (fs.nr_open)",
                "nofile=unlimited");
        assertError("--ulimit nofile=10:1048577: this kernel allows at most 1048576 open files (fs.nr_open)",
                "nofile=10:1048577");
        assertError("--ulimit NOFILE=5: unknown limit 'NOFILE' (one of as, core, cpu, data, fsize, locks, memlock,"
                + " msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)", "NOFILE=5");
    }

    static void assertError(String message, String given) {
        CordonException e = assertThrows(CordonException.class, () -> parse(given));
        assertEquals(message, e.getMessage());
        assertEquals(125, e.exitCode());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void aHardLimitAboveCordonsOwnNeedsSysResource() {
        long[] hard = new long[16];
        java.util.Arrays.fill(hard, Ulimits.INFINITY);
        hard[6] = 96364;
        hard[7] = 20000;
        Ulimits.Host weak = new Ulimits.Host(NR_OPEN, hard, false);
        assertEquals(List.of(new Op.SetRlimit(7, 100, 200)), Ulimits.parse(List.of("nofile=100:200"), weak));
        assertEquals(List.of(new Op.SetRlimit(7, 20000, 20000)), Ulimits.parse(List.of("nofile=20000"), weak));
        assertEquals(List.of(new Op.SetRlimit(4, -1, -1)), Ulimits.parse(List.of("core=unlimited"), weak));
        CordonException e = assertThrows(CordonException.class,
                () -> Ulimits.parse(List.of("nproc=unlimited"), weak));
        assertEquals("--ulimit nproc=unlimited: the hard limit unlimited is above cordon's own, 96364, and cordon"
                + " lacks CAP_SYS_RESOURCE to raise it", e.getMessage());
        assertThrows(CordonException.class, () -> Ulimits.parse(List.of("nofile=10:20001"), weak));
        Ulimits.Host strong = new Ulimits.Host(NR_OPEN, hard, true);
        assertEquals(List.of(new Op.SetRlimit(6, -1, -1)), Ulimits.parse(List.of("nproc=unlimited"), strong));
    }

    @Test
    void hardLimitsFromProcSelfLimits() {
        List<String> lines = List.of(
                "Limit                     Soft Limit           Hard Limit           Units     ",
                "Max cpu time              unlimited            unlimited            seconds   ",
                "Max file size             unlimited            unlimited            bytes     ",
                "Max data size             unlimited            unlimited            bytes     ",
                "Max stack size            8388608              unlimited            bytes     ",
                "Max core file size        0                    unlimited            bytes     ",
                "Max resident set          unlimited            unlimited            bytes     ",
                "Max processes             96364                96364                processes ",
                "Max open files            20000                20000                files     ",
                "Max locked memory         8388608              8388608              bytes     ",
                "Max address space         unlimited            unlimited            bytes     ",
                "Max file locks            unlimited            unlimited            locks     ",
                "Max pending signals       96364                96364                signals   ",
                "Max msgqueue size         819200               819200               bytes     ",
                "Max nice priority         0                    0                    ",
                "Max realtime priority     0                    0                    ",
                "Max realtime timeout      unlimited            unlimited            us        ");
        long[] hard = RlimitsStage.hardLimits(lines);
        assertEquals(16, hard.length);
        assertEquals(-1, hard[0]);
        assertEquals(96364, hard[6]);
        assertEquals(20000, hard[7]);
        assertEquals(8388608, hard[8]);
        assertEquals(0, hard[13]);
        assertEquals(-1, hard[15]);
        assertEquals(0, RlimitsStage.hardLimits(List.of("header", "garbage")).length);
    }
}
