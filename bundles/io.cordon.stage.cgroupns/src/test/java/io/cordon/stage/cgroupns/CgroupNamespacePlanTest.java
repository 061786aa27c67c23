package io.cordon.stage.cgroupns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.StageContext;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.MountFlags;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import io.cordon.api.plan.SyscallArg;
import io.cordon.linux.CgroupLayout;
import io.cordon.linux.SyscallNumbers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup namespace's plan for each kind of host, checked without running it. */
class CgroupNamespacePlanTest {
    static final String HYBRID = """
            31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
            34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
            40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
            """;

    @TempDir
    Path hostRoot;

    static ChildPlan plan(CgroupNamespaceStage stage, boolean mountNamespace) throws Exception {
        ContainerSpec spec = ContainerSpec.builder().command("true").build();
        StageContext ctx = StageContext.of(spec, Path.of("/nonexistent"), true);
        ChildPlan.Builder b = ChildPlan.builder();
        if (mountNamespace) {
            b.forStage("mountns").unshare(Namespace.MOUNT);
        }
        stage.open(ctx).contribute(b.forStage("cgroupns"));
        return b.build();
    }

    static final Op UNSHARE = new Op.Syscall(SyscallNumbers.unshare(),
            List.of(new SyscallArg.Immediate(0x02000000L)));

    @Test
    void unsharesAfterTheChildIsInItsCgroupsNotAtClone() throws Exception {
        ChildPlan p = plan(new CgroupNamespaceStage(() -> CgroupLayout.parse(HYBRID), hostRoot), true);
        assertFalse(p.unshared().containsKey(Namespace.CGROUP),
                "not at clone: the namespace's root would be cordon's own cgroup, not the container's");
        PlanEntry first = p.entries().get(0);
        assertEquals(Phase.NAMESPACES, first.phase(), "the first op, after attach moved the child");
        assertEquals(UNSHARE, first.op());
    }

    @Test
    void hybridGetsAReadOnlyTmpfsWithEachHierarchyMountedReadOnly() throws Exception {
        Files.createSymbolicLink(hostRoot.resolve("cpu"), Path.of("cpu,cpuacct"));
        Files.createSymbolicLink(hostRoot.resolve("cpuacct"), Path.of("cpu,cpuacct"));
        Files.createSymbolicLink(hostRoot.resolve("elsewhere"), Path.of("nowhere"));
        CgroupLayout layout = CgroupLayout.parse(HYBRID.replace("/sys/fs/cgroup", hostRoot.toString()));
        ChildPlan p = plan(new CgroupNamespaceStage(() -> layout, hostRoot), true);
        List<Op> ops = p.entries().stream().filter(e -> e.phase() == Phase.SYSTEM).map(PlanEntry::op).toList();
        long ro = MountFlags.RDONLY | MountFlags.NOSUID | MountFlags.NODEV | MountFlags.NOEXEC;
        assertEquals(List.of(
                Op.MountInRoot.filesystem("tmpfs", "tmpfs", "/sys/fs/cgroup", ro & ~MountFlags.RDONLY,
                        "mode=755,size=64k"),
                new Op.MkdirInRoot("/sys/fs/cgroup/cpu,cpuacct", 0555),
                Op.MountInRoot.filesystem("cgroup", "cgroup", "/sys/fs/cgroup/cpu,cpuacct", ro, "cpu,cpuacct"),
                new Op.MkdirInRoot("/sys/fs/cgroup/memory", 0555),
                Op.MountInRoot.filesystem("cgroup", "cgroup", "/sys/fs/cgroup/memory", ro, "memory"),
                new Op.MkdirInRoot("/sys/fs/cgroup/systemd", 0555),
                Op.MountInRoot.filesystem("cgroup", "cgroup", "/sys/fs/cgroup/systemd", ro,
                        "none,name=systemd"),
                new Op.MkdirInRoot("/sys/fs/cgroup/unified", 0555),
                Op.MountInRoot.filesystem("cgroup2", "cgroup2", "/sys/fs/cgroup/unified", ro, ""),
                new Op.SymlinkInRoot("cpu,cpuacct", "/sys/fs/cgroup/cpu"),
                new Op.SymlinkInRoot("cpu,cpuacct", "/sys/fs/cgroup/cpuacct"),
                Op.MountInRoot.remount("/sys/fs/cgroup", MountFlags.REMOUNT | ro, "mode=755,size=64k")), ops);
        assertTrue(p.entries().stream().filter(e -> e.phase() == Phase.SYSTEM)
                .allMatch(e -> e.stage().equals("cgroupns")));
    }

    @Test
    void unifiedGetsCgroup2ReadOnlyOnSysFsCgroup() throws Exception {
        CgroupLayout layout = CgroupLayout.parse("35 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
        ChildPlan p = plan(new CgroupNamespaceStage(() -> layout, hostRoot), true);
        assertEquals(List.of(UNSHARE, Op.MountInRoot.filesystem("cgroup2", "cgroup2", "/sys/fs/cgroup",
                MountFlags.RDONLY | MountFlags.NOSUID | MountFlags.NODEV | MountFlags.NOEXEC, "")),
                p.entries().stream().map(PlanEntry::op).toList());
    }

    @Test
    void withoutAMountNamespaceNothingIsMounted() throws Exception {
        ChildPlan p = plan(new CgroupNamespaceStage(() -> CgroupLayout.parse(HYBRID), hostRoot), false);
        assertEquals(List.of(UNSHARE), p.entries().stream().map(PlanEntry::op).toList(),
                "the host's /sys/fs/cgroup must not be touched");
    }
}
