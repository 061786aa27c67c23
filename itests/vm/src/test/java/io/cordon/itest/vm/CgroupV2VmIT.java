package io.cordon.itest.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cgroups stage on a pure cgroup v2 host (this machine's own kernel mounts v1 controllers): the limits
 * land in memory.max, cpu.max and pids.max of the container's cgroup, the kernel enforces them, and the cgroup
 * is gone after each container. One guest boot, one runtime, for all of it.
 */
class CgroupV2VmIT {
    static final String FORK_LOOP = "exec(\"import os, errno, time\\nn = 0\\ntry:\\n    while n < 200:\\n"
            + "        if os.fork() == 0:\\n            time.sleep(60)\\n            os._exit(0)\\n        n += 1\\n"
            + "except OSError as e:\\n    print(n, errno.errorcode[e.errno])\")";

    static GuestSession.Transcript t;

    @BeforeAll
    static void runAllInOneGuest() {
        t = new GuestSession()
                .before("cat /sys/fs/cgroup/cgroup.controllers")
                .step("limits", "cordon:run --memory 64m --cpus 1.5 --pids-limit 20 -- sh -c"
                        + " 'echo MEM=$(cat /sys/fs/cgroup/memory.max) CPU=$(tr \" \" / < /sys/fs/cgroup/cpu.max)"
                        + " PIDS=$(cat /sys/fs/cgroup/pids.max) CG=$(cat /proc/self/cgroup)'")
                .step("oom", "cordon:run --memory 64m -- python3 -c 'x = b\"\\1\" * (200 * 1024 * 1024);"
                        + " print(\"survived\")'")
                .step("fork", "cordon:run --pids-limit 20 -- python3 -c '" + FORK_LOOP + "'")
                .step("cpu", "cordon:run --cpus 0.5 -- sh -c 'for i in 1 2; do (while :; do :; done) & done;"
                        + " sleep 3; cat /sys/fs/cgroup/cpu.stat'")
                .after("echo LEFT=$(find /sys/fs/cgroup/cordon -mindepth 1 -type d | wc -l)"
                        + " STATE=$(ls -A /run/cordon/containers 2>/dev/null | wc -l)")
                .run(GuestVm.Mode.CGROUP2, Duration.ofMinutes(8));
    }

    @Test
    void limitsLandInTheV2InterfaceFilesOfTheContainersOwnCgroup() {
        GuestSession.Step s = t.step("limits");
        assertEquals(0, s.code(), s.output());
        assertTrue(s.output().contains("MEM=67108864 CPU=150000/100000 PIDS=20 CG=0::/"), s.output());
    }

    @Test
    void overTheMemoryLimitTheKernelKillsIt() {
        GuestSession.Step s = t.step("oom");
        assertEquals(137, s.code(), s.output());
        assertTrue(s.output().contains("cordon: killed: out of memory (limit 64 MiB)"), s.output());
        assertTrue(!s.output().contains("survived"), s.output());
    }

    @Test
    void aForkLoopStopsAtThePidsLimit() {
        GuestSession.Step s = t.step("fork");
        assertEquals(0, s.code(), s.output());
        Matcher m = Pattern.compile("(\\d+) EAGAIN").matcher(s.output());
        assertTrue(m.find(), s.output());
        int forked = Integer.parseInt(m.group(1));
        assertTrue(forked >= 15 && forked <= 19, "about 20 processes with python itself, got " + (forked + 1));
    }

    @Test
    void twoBusyLoopsUnderHalfACpuAreThrottled() {
        GuestSession.Step s = t.step("cpu");
        assertEquals(0, s.code(), s.output());
        long usage = field(s.output(), "usage_usec");
        long periods = field(s.output(), "nr_periods");
        long throttled = field(s.output(), "nr_throttled");
        assertTrue(throttled > 0, "the CFS quota never throttled: " + s.output());
        // --cpus 0.5 is a quota of 50 ms per 100 ms period; unthrottled, two loops on two vCPUs would use 200 ms
        // of each. Measured per period the cgroup was active, not per "sleep 3": under emulation on a busy host
        // the guest's 3 s have spanned 9 s of periods (soak run 2). One period's worth of slack for the accounting.
        assertTrue(usage <= periods * 50_000 + 100_000, "used " + usage + " us of CPU in " + periods
                + " periods of 100 ms under --cpus 0.5 (a quota of 50 ms each): " + s.output());
    }

    @Test
    void noCgroupOrStateIsLeftAfterTheContainersExit() {
        assertTrue(t.afterShell().contains("LEFT=0 STATE=0"), t.afterShell());
    }

    private static long field(String cpuStat, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)$").matcher(cpuStat);
        assertTrue(m.find(), name + " missing from cpu.stat: " + cpuStat);
        return Long.parseLong(m.group(1));
    }
}
