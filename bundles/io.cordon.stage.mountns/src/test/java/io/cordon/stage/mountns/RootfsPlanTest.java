package io.cordon.stage.mountns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.MountFlags;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mount plan the stage computes, checked without running it. */
class RootfsPlanTest {
    @TempDir
    Path state;

    ChildPlan plan(ContainerSpec spec) throws Exception {
        StageContext ctx = StageContext.of(spec, state, true);
        StageRun run = new MountNamespaceStage().open(ctx);
        ChildPlan.Builder b = ChildPlan.builder();
        run.contribute(b.forStage("mountns"));
        return b.build();
    }

    @Test
    void defaultRootIsPrivateThenPivotedThenMasked() throws Exception {
        ChildPlan plan = plan(ContainerSpec.builder().command("true").build());
        assertTrue(plan.unshared().containsKey(Namespace.MOUNT));
        List<PlanEntry> e = plan.entries();
        Op.Mount first = (Op.Mount) e.get(1).op();
        assertEquals("/", first.target());
        assertEquals(MountFlags.REC | MountFlags.PRIVATE, first.flags(), "propagation private before any mount");
        int pivot = indexOf(e, Op.PivotRoot.class);
        assertEquals(state.resolve("rootfs").toString(), ((Op.PivotRoot) e.get(pivot).op()).newRoot());
        for (int i = 0; i < pivot; i++) {
            assertEquals(Phase.MOUNTS, e.get(i).phase());
        }
        List<String> masked = e.subList(pivot, e.size()).stream().filter(PlanEntry::optional)
                .map(x -> ((Op.MountInRoot) x.op()).target()).toList();
        assertTrue(masked.containsAll(List.of("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                "/sys/firmware", "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")), masked.toString());
    }

    @Test
    void etcHoldsOnlyWhatProgramsNeed() throws Exception {
        ChildPlan plan = plan(ContainerSpec.builder().command("true").build());
        List<String> written = plan.entries().stream().map(PlanEntry::op).filter(o -> o instanceof Op.WriteFileInRoot)
                .map(o -> ((Op.WriteFileInRoot) o).path()).filter(p -> p.startsWith("/etc/")).toList();
        for (String p : written) {
            String name = p.substring("/etc/".length());
            assertFalse(name.contains("shadow") || name.contains("ssh") || name.contains("sudoers"), name);
        }
        assertTrue(written.contains("/etc/passwd") && written.contains("/etc/hostname"), written.toString());
    }

    @Test
    void hostSystemFoldersAreBoundReadOnly() throws Exception {
        ChildPlan plan = plan(ContainerSpec.builder().command("true").build());
        List<Op.MountInRoot> usrMounts = plan.entries().stream().map(PlanEntry::op)
                .filter(o -> o instanceof Op.MountInRoot).map(o -> (Op.MountInRoot) o)
                .filter(m -> m.target().equals("/usr")).toList();
        assertEquals(2, usrMounts.size(), usrMounts.toString());
        assertEquals("/usr", usrMounts.get(0).source(), "the host's /usr");
        assertEquals(0, usrMounts.get(0).resolve() & Op.MountInRoot.SOURCE_IN_ROOT, "a host source");
        assertTrue((usrMounts.get(1).flags() & MountFlags.RDONLY) != 0, "remounted read-only");
    }

    /**
     * The root's host path is named by the ops that make it a mount point, open it as the root and pivot into
     * it, and by nothing else: every container path is an in-root op's, resolved in the root by the launcher.
     */
    @Test
    void noOpJoinsTheRootsHostPathAndAContainerPath(@TempDir Path rootfs, @TempDir Path hostDir) throws Exception {
        for (ContainerSpec spec : List.of(ContainerSpec.builder().command("true").readOnly(true)
                        .volume(new ContainerSpec.Volume(hostDir, "/a/b/c", true)).build(),
                ContainerSpec.builder().command("true").rootfs(rootfs)
                        .volume(new ContainerSpec.Volume(hostDir, "/data", false)).build())) {
            ChildPlan plan = plan(spec);
            String r = spec.rootfs().orElse(state.resolve("rootfs")).toString();
            List<String> naming = plan.entries().stream().map(PlanEntry::op).map(Op::describe)
                    .filter(d -> d.contains(r)).toList();
            assertEquals(3, naming.size(), naming.toString());
            assertTrue(plan.entries().stream().map(PlanEntry::op).anyMatch(o -> o.equals(new Op.Root(r))));
            int root = indexOf(plan.entries(), Op.Root.class);
            for (PlanEntry e : plan.entries().subList(root + 1, plan.entries().size())) {
                Op op = e.op();
                assertTrue(op instanceof Op.InRoot || op instanceof Op.PivotRoot || op instanceof Op.Syscall
                        || op instanceof Op.Exec, "not resolved in the root: " + op.describe());
            }
            Op.MountInRoot volume = plan.entries().stream().map(PlanEntry::op)
                    .filter(o -> o instanceof Op.MountInRoot m && m.source().equals(hostDir.toString()))
                    .map(o -> (Op.MountInRoot) o).findFirst().orElseThrow();
            assertEquals(0, volume.resolve() & Op.MountInRoot.SOURCE_IN_ROOT, "a volume's source is the host's");
        }
    }

    @Test
    void procDevAndSysMustBeTheirFilesystemsOnPlainDirectories() throws Exception {
        ChildPlan plan = plan(ContainerSpec.builder().command("true").build());
        java.util.Map<String, Integer> expected = java.util.Map.of("/proc", Op.MountInRoot.PROC_SUPER_MAGIC,
                "/sys", Op.MountInRoot.SYSFS_MAGIC, "/dev", Op.MountInRoot.TMPFS_MAGIC);
        expected.forEach((path, magic) -> {
            Op.MountInRoot m = plan.entries().stream().map(PlanEntry::op)
                    .filter(o -> o instanceof Op.MountInRoot x && x.target().equals(path)).map(o -> (Op.MountInRoot) o)
                    .findFirst().orElseThrow();
            assertEquals((int) magic, m.fsMagic(), path);
            assertEquals(Op.MountInRoot.NO_SYMLINKS, m.resolve() & Op.MountInRoot.NO_SYMLINKS, path);
        });
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsCreated() {
        assertThrows(CordonException.class,
                () -> plan(ContainerSpec.builder().command("true").rootfs(Path.of("/no/such/dir")).build()));
        assertThrows(CordonException.class, () -> plan(ContainerSpec.builder().command("true")
                .volume(new ContainerSpec.Volume(Path.of("/no/such/src"), "/x", false)).build()));
        assertThrows(CordonException.class, () -> plan(ContainerSpec.builder().command("true")
                .volume(new ContainerSpec.Volume(Path.of("/tmp"), "relative", false)).build()));
    }

    private static int indexOf(List<PlanEntry> e, Class<?> type) {
        for (int i = 0; i < e.size(); i++) {
            if (type.isInstance(e.get(i).op())) {
                return i;
            }
        }
        throw new AssertionError("no " + type.getSimpleName());
    }
}
