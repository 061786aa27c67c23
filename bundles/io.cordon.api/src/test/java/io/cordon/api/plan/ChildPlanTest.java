package io.cordon.api.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChildPlanTest {

    @Test
    void mountOptionReachesMountsContributedBeforeAndAfterIt() {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("mountns").add(Phase.MOUNTS, new Op.Mount("tmpfs", "/r/tmp", "tmpfs", 0, "mode=1777"))
                .add(Phase.MOUNTS, new Op.Mount("/usr", "/r/usr", "", 4096, ""));
        b.forStage("selinux").addMountOption(Set.of("tmpfs", "mqueue"), "context=\"u:r:t:s0\"");
        b.forStage("late").add(Phase.SYSTEM, new Op.Mount("mqueue", "/dev/mqueue", "mqueue", 0, ""));

        List<Op> ops = b.build().entries().stream().map(PlanEntry::op).toList();

        assertEquals(new Op.Mount("tmpfs", "/r/tmp", "tmpfs", 0, "mode=1777,context=\"u:r:t:s0\""), ops.get(0));
        assertEquals(new Op.Mount("/usr", "/r/usr", "", 4096, ""), ops.get(1), "a bind mount keeps its data");
        assertEquals(new Op.Mount("mqueue", "/dev/mqueue", "mqueue", 0, "context=\"u:r:t:s0\""), ops.get(2));
    }

    @Test
    void mountOptionReachesInRootMountsToo() {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("mountns").add(Phase.MOUNTS, Op.MountInRoot.filesystem("tmpfs", "tmpfs", "/tmp", 0, "mode=1777")
                .noSymlinks());
        b.forStage("selinux").addMountOption(Set.of("tmpfs"), "context=\"u:r:t:s0\"");
        assertEquals(Op.MountInRoot.filesystem("tmpfs", "tmpfs", "/tmp", 0, "mode=1777,context=\"u:r:t:s0\"")
                .noSymlinks(), b.build().entries().get(0).op());
    }

    @Test
    void theRenderedPlanMarksEachOpResolvedInTheRoot() {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("mountns").add(Phase.MOUNTS, new Op.Mount("tmpfs", "/r", "tmpfs", 0, ""))
                .add(Phase.MOUNTS, new Op.Root("/r"))
                .add(Phase.MOUNTS, new Op.MkdirInRoot("/proc", 0555))
                .addOptional(Phase.SYSTEM, Op.MountInRoot.bindInRoot("/dev/null", "/proc/kcore", 4096));
        List<String> lines = b.build().render().lines().filter(l -> l.matches(" +\\d+ .*")).toList();
        assertEquals(4, lines.size(), lines.toString());
        assertEquals(List.of(false, false, true, true), lines.stream().map(l -> l.contains("[in-root]")).toList(),
                lines.toString());
        assertEquals(true, lines.get(3).endsWith("[in-root]  [optional]"), lines.get(3));
    }

    @Test
    void emptyMountOptionIsRefused() {
        PlanBuilder p = ChildPlan.builder().forStage("s");
        assertThrows(IllegalArgumentException.class, () -> p.addMountOption(Set.of("tmpfs"), ""));
    }

    @Test
    void writeProcfsNeedsAPath() {
        assertThrows(IllegalArgumentException.class, () -> new Op.WriteProcfs(List.of(), new byte[0]));
    }

    @Test
    void notesAreRenderedAfterTheOpsWithTheirStage() {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("selinux").note("the container runs in the runtime's SELinux context");
        b.forStage("orchestrator").add(Phase.EXEC, new Op.Chdir("/"));
        ChildPlan plan = b.build();

        assertEquals(List.of(new ChildPlan.Note("selinux", "the container runs in the runtime's SELinux context")),
                plan.notes());
        String text = plan.render();
        assertEquals("notes:\n  selinux    the container runs in the runtime's SELinux context\n",
                text.substring(text.indexOf("notes:")), text);
        assertEquals(-1, ChildPlan.builder().build().render().indexOf("notes:"), "no notes, no section");
    }

    @Test
    void aNoteIsOneLine() {
        PlanBuilder p = ChildPlan.builder().forStage("s");
        assertThrows(IllegalArgumentException.class, () -> p.note("two\nlines"));
        assertThrows(IllegalArgumentException.class, () -> p.note(" "));
    }
}
