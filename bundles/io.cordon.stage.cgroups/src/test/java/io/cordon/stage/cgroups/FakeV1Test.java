package io.cordon.stage.cgroups;

import static io.cordon.stage.cgroups.Fixtures.context;
import static io.cordon.stage.cgroups.Fixtures.spec;
import static io.cordon.stage.cgroups.FakeCgroupFs.content;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageRun;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import io.cordon.linux.CgroupLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup v1 mapping against a systemd-style v1 layout (cpu,cpuacct together) in a temp directory. */
class FakeV1Test {
    @TempDir
    Path tmp;
    CgroupLayout layout;
    FakeCgroupFs fs;
    final Fixtures.FakeHost host = new Fixtures.FakeHost();
    final Fixtures.Programs programs = new Fixtures.Programs();
    CgroupsStage stage;

    @BeforeEach
    void legacyHierarchies() throws Exception {
        StringBuilder mi = new StringBuilder();
        int n = 40;
        for (String[] h : new String[][] {{"systemd", "xattr,name=systemd"}, {"cpu,cpuacct", "cpu,cpuacct"},
            {"cpuset", "cpuset"}, {"memory", "memory"}, {"devices", "devices"}, {"freezer", "freezer"},
            {"blkio", "blkio"}, {"pids", "pids"}}) {
            mi.append(n).append(" 30 0:").append(n).append(" / ").append(tmp.resolve(h[0]))
                    .append(" rw,nosuid shared:9 - cgroup cgroup rw,").append(h[1]).append('\n');
            n++;
        }
        layout = CgroupLayout.parse(mi.toString());
        fs = new FakeCgroupFs(layout);
        for (CgroupLayout.Hierarchy h : layout.hierarchies()) {
            fs.root(h);
        }
        stage = new CgroupsStage(() -> layout, host, fs, programs);
    }

    Path dir(String hierarchy, ContainerSpec spec) {
        return tmp.resolve(hierarchy).resolve("cordon").resolve(spec.id());
    }

    @Test
    void everyFlagMapsToItsV1File() throws Exception {
        assertEquals(CgroupLayout.Kind.LEGACY, layout.kind());
        ContainerSpec spec = spec("memory", "64m", "memory-reservation", "32m", "cpus", "0.5", "cpu-shares", "512",
                "cpuset-cpus", "1", "pids-limit", "20", "blkio-weight", "300", "device-read-bps", "/dev/vda:1mb",
                "device-write-bps", "/dev/vda:2mb", "device", "/dev/fuse");
        StageRun run = stage.open(context(spec, false));
        run.prepare();
        Path mem = dir("memory", spec);
        assertEquals(List.of("67108864"), fs.written(mem.resolve("memory.limit_in_bytes")));
        assertEquals(List.of("134217728"), fs.written(mem.resolve("memory.memsw.limit_in_bytes")),
                "Docker: memory+swap is twice the memory limit");
        assertTrue(fs.writes.indexOf(new FakeCgroupFs.Written(mem.resolve("memory.limit_in_bytes"), "67108864"))
                < fs.writes.indexOf(new FakeCgroupFs.Written(mem.resolve("memory.memsw.limit_in_bytes"), "134217728")),
                "the memory limit before memsw, which must not be below it");
        assertEquals("33554432", content(mem.resolve("memory.soft_limit_in_bytes")));
        Path cpu = dir("cpu,cpuacct", spec);
        assertEquals("100000", content(cpu.resolve("cpu.cfs_period_us")));
        assertEquals("50000", content(cpu.resolve("cpu.cfs_quota_us")));
        assertEquals("512", content(cpu.resolve("cpu.shares")));
        Path cpuset = dir("cpuset", spec);
        assertEquals("0-1", content(cpuset.getParent().resolve("cpuset.cpus")), "the new parent inherits its CPUs");
        assertEquals("0", content(cpuset.getParent().resolve("cpuset.mems")));
        assertEquals("1", content(cpuset.resolve("cpuset.cpus")));
        assertEquals("0", content(cpuset.resolve("cpuset.mems")), "cpuset.mems from the parent, or nothing can join");
        assertEquals("20", content(dir("pids", spec).resolve("pids.max")));
        Path blkio = dir("blkio", spec);
        assertEquals("300", content(blkio.resolve("blkio.bfq.weight")), "no blkio.weight here: the BFQ one");
        assertEquals("254:0 1048576", content(blkio.resolve("blkio.throttle.read_bps_device")));
        assertEquals("254:0 2097152", content(blkio.resolve("blkio.throttle.write_bps_device")));
        Path devices = dir("devices", spec);
        assertEquals(List.of("a"), fs.written(devices.resolve("devices.deny")));
        List<String> allow = new ArrayList<>();
        DeviceRule.DEFAULTS.forEach(r -> allow.add(r.v1()));
        allow.add("c 10:229 rwm");
        assertEquals(allow, fs.written(devices.resolve("devices.allow")));
        assertTrue(fs.writes.indexOf(new FakeCgroupFs.Written(devices.resolve("devices.deny"), "a"))
                < fs.writes.indexOf(new FakeCgroupFs.Written(devices.resolve("devices.allow"), "c *:* m")),
                "deny everything first, then allow");
        assertTrue(programs.attached.isEmpty(), "v1 uses the devices controller, no BPF");

        run.attach(() -> 4242);
        for (CgroupLayout.Hierarchy h : layout.hierarchies()) {
            Path d = h.mountPoint().resolve("cordon").resolve(spec.id());
            assertEquals(List.of("4242"), fs.written(d.resolve("cgroup.procs")), "joined " + h.label());
        }
        Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
        assertEquals(Optional.of("killed: out of memory (limit 64 MiB)"), run.explainExit(137, 9));
        Files.writeString(cpu.resolve("cpuacct.usage"), "2500000000\n");
        assertEquals("2.500 s", run.stats().get("cpu.time"));
        assertEquals("1", run.stats().get("memory.oom-kills"));

        run.release();
        for (CgroupLayout.Hierarchy h : layout.hierarchies()) {
            assertFalse(Files.exists(h.mountPoint().resolve("cordon").resolve(spec.id())), h.label());
            assertTrue(Files.isDirectory(h.mountPoint().resolve("cordon")), "the parent stays");
        }
    }

    @Test
    void aMissingV1ControllerIsRefusedNamingIt() throws Exception {
        CgroupLayout noPids = CgroupLayout.of(layout.hierarchies().stream()
                .filter(h -> !h.controllers().contains("pids")).toList());
        CgroupsStage s = new CgroupsStage(() -> noPids, host, fs, programs);
        CordonException e = assertThrows(CordonException.class, () -> s.open(context(spec("pids-limit", "20"),
                false)));
        assertTrue(e.getMessage().startsWith("--pids-limit 20: the host has no pids cgroup controller"),
                e.getMessage());
        s.open(context(spec("memory", "64m"), false)); // the others are fine
        CgroupLayout noDevices = CgroupLayout.of(layout.hierarchies().stream()
                .filter(h -> !h.controllers().contains("devices")).toList());
        CgroupsStage blind = new CgroupsStage(() -> noDevices, host, fs, programs);
        assertFalse(blind.probe().available(), "without a way to restrict devices the stage is unavailable");
    }

    @Test
    void deviceNodesAreMadeInTheContainersDevAfterPivotRoot() throws Exception {
        ContainerSpec spec = spec("device", "/dev/fuse", "device", "/dev/vda:/dev/disk/x:r");
        StageRun run = stage.open(context(spec, true));
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("mountns").unshare(Namespace.MOUNT);
        run.contribute(b.forStage("cgroups"));
        List<PlanEntry> ops = b.build().entries();
        assertTrue(ops.stream().allMatch(e -> e.phase() == Phase.SYSTEM));
        assertEquals(new Op.MkdirInRoot("/dev", 0755), ops.get(0).op());
        assertEquals(new Op.UnlinkInRoot("/dev/fuse"), ops.get(1).op());
        assertTrue(ops.get(1).optional(), "an existing node is unlinked first");
        assertEquals(new Op.MknodInRoot("/dev/fuse", Op.Mknod.S_IFCHR | 0666, 10, 229), ops.get(2).op(),
                "the host's mode exactly (MKNOD_IN_ROOT ignores the umask)");
        assertEquals(new Op.ChownInRoot("/dev/fuse", 0, 0), ops.get(3).op());
        assertEquals(new Op.MkdirInRoot("/dev/disk", 0755), ops.get(5).op());
        assertEquals(new Op.MknodInRoot("/dev/disk/x", Op.Mknod.S_IFBLK | 0660, 254, 0), ops.get(7).op());
        assertEquals(new Op.ChownInRoot("/dev/disk/x", 0, 6), ops.get(8).op(), "the host's owner");
        assertEquals(9, ops.size());
        assertTrue(ops.stream().allMatch(e -> e.op() instanceof Op.InRoot), "every path resolved in the root");

        ChildPlan.Builder noMountNs = ChildPlan.builder();
        run.contribute(noMountNs.forStage("cgroups"));
        assertEquals(List.of(), noMountNs.build().entries(), "without a mount namespace /dev is the host's: no ops");
    }
}
