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
                .map(x -> ((Op.Mount) x.op()).target()).toList();
        assertTrue(masked.containsAll(List.of("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                "/sys/firmware", "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")), masked.toString());
    }

    @Test
    void etcHoldsOnlyWhatProgramsNeed() throws Exception {
        ChildPlan plan = plan(ContainerSpec.builder().command("true").build());
        String etc = state.resolve("rootfs/etc").toString();
        List<String> written = plan.entries().stream().map(PlanEntry::op).filter(o -> o instanceof Op.WriteFile)
                .map(o -> ((Op.WriteFile) o).path()).filter(p -> p.startsWith(etc)).toList();
        for (String p : written) {
            String name = p.substring(etc.length() + 1);
            assertFalse(name.contains("shadow") || name.contains("ssh") || name.contains("sudoers"), name);
        }
        assertTrue(written.contains(etc + "/passwd") && written.contains(etc + "/hostname"), written.toString());
    }

    @Test
    void hostSystemFoldersAreBoundReadOnly() throws Exception {
        ChildPlan plan = plan(ContainerSpec.builder().command("true").build());
        String usr = state.resolve("rootfs/usr").toString();
        List<Op.Mount> usrMounts = plan.entries().stream().map(PlanEntry::op).filter(o -> o instanceof Op.Mount)
                .map(o -> (Op.Mount) o).filter(m -> m.target().equals(usr)).toList();
        assertEquals(2, usrMounts.size(), usrMounts.toString());
        assertEquals("/usr", usrMounts.get(0).source());
        assertTrue((usrMounts.get(1).flags() & MountFlags.RDONLY) != 0, "remounted read-only");
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
