package io.cordon.stage.cgroups;

import static io.cordon.stage.cgroups.Fixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cordon.api.CordonException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Docker's flags parsed and checked: values, units, ranges and the one-line errors. */
class LimitsTest {
    final Fixtures.FakeHost host = new Fixtures.FakeHost();

    Limits parse(String... settings) {
        return Limits.parse(spec(settings), host);
    }

    String error(String... settings) {
        CordonException e = assertThrows(CordonException.class, () -> parse(settings));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertEquals(125, e.exitCode());
        return e.getMessage();
    }

    @Test
    void sizesAreDockerBinaryUnits() {
        assertEquals(536870912L, Sizes.parse("512m"));
        assertEquals(536870912L, Sizes.parse("512MiB"));
        assertEquals(536870912L, Sizes.parse("512 MB"));
        assertEquals(1610612736L, Sizes.parse("1.5g"));
        assertEquals(100000L, Sizes.parse("100000"));
        assertEquals(2048L, Sizes.parse("2k"));
        for (String bad : List.of("12q", "", "-1", "m", "1.2.3", "9999999999999999999p")) {
            assertEquals(-1, Sizes.parse(bad), bad);
        }
        assertEquals("64 MiB", Sizes.human(64L << 20));
        assertEquals("1.5 KiB", Sizes.human(1536));
        assertEquals("0 B", Sizes.human(0));
        assertEquals("2 GiB", Sizes.human(2L << 30));
    }

    @Test
    void nothingGivenIsNoLimitUnderTheDefaultParent() {
        Limits l = parse();
        assertEquals("cordon", l.parent());
        assertNull(l.memory());
        assertNull(l.cpuQuotaUs());
        assertNull(l.pidsLimit());
        assertEquals(DeviceRule.DEFAULTS, l.deviceRules());
    }

    @Test
    void memory() {
        assertEquals(64L << 20, parse("memory", "64m").memory());
        assertNull(parse("memory", "0").memory(), "0 is no limit, as in Docker");
        assertEquals("--memory 12q: not a size (a number of bytes with an optional unit b, k, m, g, t, e.g. 512m)",
                error("memory", "12q"));
        assertEquals("--memory 1m: the minimum memory limit is 6 MiB", error("memory", "1m"));
        Limits l = parse("memory", "64m", "memory-swap", "128m", "memory-reservation", "32m");
        assertEquals(128L << 20, l.memorySwap());
        assertEquals(32L << 20, l.memoryReservation());
        assertEquals(-1L, parse("memory", "64m", "memory-swap", "-1").memorySwap());
        assertEquals("--memory-swap 1g: set --memory too: the swap limit is memory plus swap",
                error("memory-swap", "1g"));
        assertEquals("--memory-swap 32m: memory plus swap must be at least the memory limit (--memory 64m)",
                error("memory", "64m", "memory-swap", "32m"));
        assertEquals("--memory-reservation 1g: the reservation must not be above the memory limit (--memory 64m)",
                error("memory", "64m", "memory-reservation", "1g"));
    }

    @Test
    void cpus() {
        assertEquals(150000L, parse("cpus", "1.5").cpuQuotaUs());
        assertEquals(50000L, parse("cpus", "0.5").cpuQuotaUs());
        assertEquals(1000L, parse("cpus", "0.01").cpuQuotaUs());
        assertEquals(200000L, parse("cpus", "2").cpuQuotaUs());
        assertNull(parse("cpus", "0").cpuQuotaUs());
        String range = "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available";
        assertEquals("--cpus -1: " + range, error("cpus", "-1"));
        assertEquals("--cpus 9999: " + range, error("cpus", "9999"));
        assertEquals("--cpus 2.01: " + range, error("cpus", "2.01"));
        assertEquals("--cpus 0.001: " + range, error("cpus", "0.001"));
        assertEquals("--cpus many: not a number of CPUs (e.g. 1.5); " + range, error("cpus", "many"));
        host.cpus = 1;
        assertEquals("--cpus 2: range of CPUs is from 0.01 to 1.00, as there is only 1 CPU available",
                error("cpus", "2"));
    }

    @Test
    void sharesCpusetPidsWeight() {
        assertEquals(512, parse("cpu-shares", "512").cpuShares());
        assertNull(parse("cpu-shares", "0").cpuShares());
        error("cpu-shares", "1");
        error("cpu-shares", "262145");
        assertEquals("0-1", parse("cpuset-cpus", "0,1").cpusetCpus());
        assertEquals("--cpuset-cpus 1-3: CPU 2-3 is not online on this host (online: 0-1)",
                error("cpuset-cpus", "1-3"));
        assertEquals("--cpuset-cpus a: a list of CPUs such as 0-1 or 0,2", error("cpuset-cpus", "a"));
        error("cpuset-cpus", "1-0");
        assertEquals(20L, parse("pids-limit", "20").pidsLimit());
        assertEquals(-1L, parse("pids-limit", "-1").pidsLimit());
        assertEquals(-1L, parse("pids-limit", "0").pidsLimit());
        assertEquals("--pids-limit lots: a whole number of processes (0 or -1: unlimited)",
                error("pids-limit", "lots"));
        assertEquals(300, parse("blkio-weight", "300").blkioWeight());
        assertEquals("--blkio-weight 5: a weight from 10 to 1000", error("blkio-weight", "5"));
    }

    @Test
    void deviceRates() {
        Limits l = parse("device-read-bps", "/dev/vda:1mb", "device-write-bps", "/dev/vda:10m");
        assertEquals(1 << 20, l.readBps().get(0).bytesPerSecond());
        assertEquals("254:0", l.readBps().get(0).device().numbers());
        assertEquals(10 << 20, l.writeBps().get(0).bytesPerSecond());
        assertEquals("--device-read-bps /dev/null:1mb: /dev/null is not a block device on this host",
                error("device-read-bps", "/dev/null:1mb"));
        assertEquals("--device-write-bps /dev/vda: expected DEVICE:RATE, e.g. /dev/sda:1mb",
                error("device-write-bps", "/dev/vda"));
        error("device-read-bps", "/dev/vda:fast");
    }

    @Test
    void devices() {
        Limits.DeviceGrant g = parse("device", "/dev/fuse").devices().get(0);
        assertEquals("/dev/fuse", g.containerPath());
        assertEquals(new DeviceRule('c', 10, 229, "rwm"), g.rule());
        g = parse("device", "/dev/fuse:/dev/fuse2:r").devices().get(0);
        assertEquals("/dev/fuse2", g.containerPath());
        assertEquals("r", g.access());
        assertEquals("rw", parse("device", "/dev/fuse:wr").devices().get(0).access());
        assertEquals("/dev/xvda", parse("device", "/dev/vda:/dev/xvda").devices().get(0).containerPath());
        assertEquals("--device /dev/nope: /dev/nope is not a device node on this host", error("device", "/dev/nope"));
        assertEquals("--device /dev/fuse:/dev/f:q: permissions are a combination of r, w and m",
                error("device", "/dev/fuse:/dev/f:q"));
        error("device", "/dev/fuse:relative");
        error("device", "/dev/fuse:/dev/../etc/x");
        error("device", "/dev/fuse:/a:r:extra");
        List<DeviceRule> rules = parse("device", "/dev/fuse").deviceRules();
        assertEquals(DeviceRule.DEFAULTS.size() + 1, rules.size());
    }

    @Test
    void cgroupParent() {
        assertEquals("a/b", parse("cgroup-parent", "/a/b").parent());
        assertEquals("tenant-1.slice", parse("cgroup-parent", "tenant-1.slice/").parent());
        for (String bad : List.of("../x", "a/../b", "", "/", "a//b", "a b", "a/./b")) {
            error("cgroup-parent", bad);
        }
    }
}
