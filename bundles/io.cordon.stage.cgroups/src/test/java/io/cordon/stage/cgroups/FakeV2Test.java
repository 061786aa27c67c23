package io.cordon.stage.cgroups;

import static io.cordon.stage.cgroups.Fixtures.context;
import static io.cordon.stage.cgroups.Fixtures.spec;
import static io.cordon.stage.cgroups.FakeCgroupFs.content;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageRun;
import io.cordon.linux.CgroupLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup v2 mapping against the file layout of a unified hierarchy, kept in a temp directory. */
class FakeV2Test {
    @TempDir
    Path tmp;
    Path root;
    CgroupLayout layout;
    FakeCgroupFs fs;
    final Fixtures.FakeHost host = new Fixtures.FakeHost();
    final Fixtures.Programs programs = new Fixtures.Programs();
    CgroupsStage stage;

    @BeforeEach
    void unifiedHierarchy() throws Exception {
        root = tmp.resolve("cgroup");
        layout = CgroupLayout.parse("35 24 0:30 / " + root + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
        fs = new FakeCgroupFs(layout);
        fs.root(layout.unified().orElseThrow(), "cpuset", "cpu", "io", "memory", "pids");
        stage = new CgroupsStage(() -> layout, host, fs, programs);
    }

    Path dir(ContainerSpec spec, String parent) {
        return root.resolve(parent).resolve(spec.id());
    }

    @Test
    void probeSaysV2() {
        assertTrue(stage.probe().available());
        assertEquals("cgroup v2 at " + root, stage.probe().reason());
    }

    @Test
    void everyFlagMapsToItsV2File() throws Exception {
        ContainerSpec spec = spec("memory", "64m", "memory-reservation", "32m", "cpus", "1.5", "cpu-shares", "512",
                "cpuset-cpus", "1", "pids-limit", "20", "blkio-weight", "300", "device-read-bps", "/dev/vda:1mb",
                "device-write-bps", "/dev/vda:2mb", "device", "/dev/fuse", "cgroup-parent", "/tenants/a");
        StageRun run = stage.open(context(spec, false));
        run.prepare();
        Path d = dir(spec, "tenants/a");
        for (Path level : List.of(root, root.resolve("tenants"), root.resolve("tenants/a"))) {
            assertEquals(Set.of("memory", "pids", "cpu", "cpuset", "io"),
                    Set.of(content(level.resolve("cgroup.subtree_control")).split(" ")), "controllers enabled in " + level);
        }
        assertEquals("67108864", content(d.resolve("memory.max")));
        assertEquals("67108864", content(d.resolve("memory.swap.max")), "Docker: as much swap again as memory");
        assertEquals("33554432", content(d.resolve("memory.low")));
        assertEquals("150000 100000", content(d.resolve("cpu.max")));
        assertEquals("20", content(d.resolve("cpu.weight")), "shares 512 as runc converts them");
        assertEquals("1", content(d.resolve("cpuset.cpus")));
        assertEquals("20", content(d.resolve("pids.max")));
        assertEquals("default 300", content(d.resolve("io.weight")), "no io.bfq.weight here: io.weight");
        assertEquals(List.of("254:0 rbps=1048576", "254:0 wbps=2097152"), fs.written(d.resolve("io.max")));
        assertEquals(1, programs.attached.size(), "one device program");
        assertEquals(d, programs.attached.get(0).getKey());
        List<DeviceRule> rules = new ArrayList<>(DeviceRule.DEFAULTS);
        rules.add(new DeviceRule('c', 10, 229, "rwm"));
        assertArrayEquals(DeviceFilter.compile(rules), programs.attached.get(0).getValue());

        run.attach(() -> 4242);
        assertEquals(List.of("4242"), fs.written(d.resolve("cgroup.procs")));

        run.release();
        assertFalse(Files.exists(d));
        assertTrue(Files.isDirectory(root.resolve("tenants/a")), "the parent stays: other containers use it");
        run.release(); // idempotent
    }

    @Test
    void noFlagsStillGetsItsOwnCgroupWithMemoryPidsAndCpuAccountingAndTheDeviceProgram() throws Exception {
        ContainerSpec spec = spec();
        StageRun run = stage.open(context(spec, false));
        run.prepare();
        Path d = dir(spec, "cordon");
        assertTrue(Files.isDirectory(d));
        assertEquals(Set.of("memory", "pids", "cpu"), Set.of(content(root.resolve("cgroup.subtree_control")).split(" ")),
                "cpuset and io only when asked for");
        assertEquals("max", content(d.resolve("memory.max")));
        assertEquals(1, programs.attached.size());
        assertArrayEquals(DeviceFilter.compile(DeviceRule.DEFAULTS), programs.attached.get(0).getValue());
        run.release();
        assertFalse(Files.exists(d));
    }

    @Test
    void swapVariants() throws Exception {
        ContainerSpec unlimited = spec("memory", "64m", "memory-swap", "-1");
        StageRun run = stage.open(context(unlimited, false));
        run.prepare();
        assertEquals("max", content(dir(unlimited, "cordon").resolve("memory.swap.max")));
        run.release();
        ContainerSpec some = spec("memory", "64m", "memory-swap", "100m");
        run = stage.open(context(some, false));
        run.prepare();
        assertEquals(Long.toString(36L << 20), content(dir(some, "cordon").resolve("memory.swap.max")),
                "memory.swap.max is the swap alone");
        run.release();
    }

    @Test
    void withoutSwapAccountingTheDefaultIsSkippedAndAnExplicitSwapLimitRefused() throws Exception {
        fs.missing.add("memory.swap.max");
        ContainerSpec spec = spec("memory", "64m");
        StageRun run = stage.open(context(spec, false));
        run.prepare();
        assertEquals("67108864", content(dir(spec, "cordon").resolve("memory.max")));
        run.release();
        ContainerSpec swap = spec("memory", "64m", "memory-swap", "128m");
        StageRun refused = stage.open(context(swap, false));
        CordonException e = assertThrows(CordonException.class, refused::prepare);
        assertTrue(e.getMessage().startsWith("--memory-swap 128m: the host's memory (swap accounting) controller"
                + " cannot enforce it ([memory.swap.max] missing in "), e.getMessage());
        refused.release();
        assertFalse(Files.exists(dir(swap, "cordon")), "a failed prepare leaves nothing once released");
    }

    @Test
    void aMissingControllerIsRefusedInOpenNamingIt() throws Exception {
        Files.writeString(root.resolve("cgroup.controllers"), "cpu memory");
        CordonException e = assertThrows(CordonException.class,
                () -> stage.open(context(spec("pids-limit", "20"), false)));
        assertEquals("--pids-limit 20: the host has no pids cgroup controller (no cgroup v1 hierarchy carries it and"
                + " cgroup2's cgroup.controllers does not list pids)", e.getMessage());
        e = assertThrows(CordonException.class, () -> stage.open(context(spec("blkio-weight", "300"), false)));
        assertTrue(e.getMessage().startsWith("--blkio-weight 300: the host has no blkio cgroup controller"),
                e.getMessage());
        assertFalse(Files.exists(root.resolve("cordon")), "nothing created");
    }

    @Test
    void statsAndTheOomExplanation() throws Exception {
        ContainerSpec spec = spec("memory", "64m", "cpus", "0.5", "pids-limit", "20");
        StageRun run = stage.open(context(spec, false));
        run.prepare();
        run.attach(() -> 4242);
        Path d = dir(spec, "cordon");
        Files.writeString(d.resolve("memory.current"), "12582912\n");
        Files.writeString(d.resolve("memory.peak"), "33554432\n");
        Files.writeString(d.resolve("cpu.stat"), "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n"
                + "nr_periods 40\nnr_throttled 12\nthrottled_usec 520000\n");
        Files.writeString(d.resolve("pids.current"), "3\n");
        Map<String, String> stats = run.stats();
        assertEquals("/cordon/" + spec.id(), stats.get("cgroup"));
        assertEquals("12 MiB", stats.get("memory.usage"));
        assertEquals("64 MiB", stats.get("memory.limit"));
        assertEquals("32 MiB", stats.get("memory.max-usage"));
        assertEquals("0", stats.get("memory.oom-kills"));
        assertEquals("1.500 s", stats.get("cpu.time"));
        assertEquals("0.50 CPUs", stats.get("cpu.limit"));
        assertEquals("12 of 40 periods, 0.520 s", stats.get("cpu.throttled"));
        assertEquals("3", stats.get("pids.current"));
        assertEquals("20", stats.get("pids.limit"));

        assertEquals(Optional.empty(), run.explainExit(137, 9), "no OOM kill, no note");
        Files.writeString(d.resolve("memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
        assertEquals(Optional.of("killed: out of memory (limit 64 MiB)"), run.explainExit(137, 9));
        assertEquals(Optional.of("killed: out of memory (limit 64 MiB)"), run.explainExit(137, 0),
                "sh -c exits 137 when its child was killed");
        assertEquals(Optional.of("out of memory: the kernel killed 1 process in the container (limit 64 MiB)"),
                run.explainExit(0, 0));
        run.release();
        assertEquals(Map.of(), run.stats(), "no stats once released");
    }

    @Test
    void releaseKillsWhatIsLeftThroughCgroupKill() throws Exception {
        ContainerSpec spec = spec();
        StageRun run = stage.open(context(spec, false));
        run.prepare();
        Path d = dir(spec, "cordon");
        Files.writeString(d.resolve("cgroup.procs"), "999999999\n"); // no such process: only cgroup.kill empties it
        run.release();
        assertEquals(List.of("1"), fs.written(d.resolve("cgroup.kill")));
        assertFalse(Files.exists(d));
    }

    @Test
    void dryRunCreatesNothing() throws Exception {
        StageRun run = stage.open(context(spec("memory", "64m"), true));
        run.prepare();
        run.release();
        assertFalse(Files.exists(root.resolve("cordon")));
        assertTrue(fs.writes.isEmpty());
        assertTrue(programs.attached.isEmpty());
    }
}
