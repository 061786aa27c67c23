package io.cordon.stage.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import io.cordon.api.plan.SyscallArg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserStageTest {
    @TempDir
    Path dir;

    @Test
    void rootNeedsNoKeepCaps() {
        assertEquals(List.of(new Op.SetGroups(List.of()), new Op.SetResGid(0), new Op.SetResUid(0)),
                UserStage.ops(new Identity(0, 0, List.of()), 157));
    }

    @Test
    void nonRootKeepsCapsAcrossTheUidSwitch() {
        assertEquals(List.of(new Op.SetGroups(List.of(10, 20)), new Op.SetResGid(1000),
                new Op.Syscall(157, List.of(new SyscallArg.Immediate(8), new SyscallArg.Immediate(1))),
                new Op.SetResUid(1000)), UserStage.ops(new Identity(1000, 1000, List.of(10, 20)), 157));
    }

    @Test
    void readsTheRootfsEtcAndPutsEverythingInTheIdentityPhase() throws Exception {
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:2000:3000::/app:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "app:x:3000:\nextra:x:3001:app\n");
        ContainerSpec spec = ContainerSpec.builder().command("true").rootfs(root).setting("user", "app")
                .setting("group-add", "5").build();
        ChildPlan.Builder b = ChildPlan.builder();
        new UserStage().open(context(spec)).contribute(b.forStage("user"));
        List<PlanEntry> entries = b.build().entries();
        assertTrue(entries.stream().allMatch(e -> e.phase() == Phase.IDENTITY && e.stage().equals("user")));
        List<Op> ops = entries.stream().map(PlanEntry::op).toList();
        assertEquals(new Op.SetGroups(List.of(3001, 5)), ops.get(0));
        assertEquals(new Op.SetResGid(3000), ops.get(1));
        assertTrue(ops.get(2) instanceof Op.Syscall);
        assertEquals(new Op.SetResUid(2000), ops.get(3));
    }

    @Test
    void unknownUserFailsInOpen() {
        ContainerSpec spec = ContainerSpec.builder().command("true").rootfs(dir).setting("user", "nosuchuser")
                .build();
        CordonException e = assertThrows(CordonException.class, () -> new UserStage().open(context(spec)));
        assertTrue(e.getMessage().startsWith("--user nosuchuser: no user 'nosuchuser'"), e.getMessage());
    }

    @Test
    void symlinksStayInsideTheRoot() throws Exception {
        Path root = dir.resolve("root");
        Path outside = dir.resolve("outside");
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(outside.resolve("etc"));
        Files.writeString(outside.resolve("etc/passwd"), "host:x:0:0::/:/bin/sh\n");
        Files.writeString(root.resolve("real-passwd"), "inside:x:1:1::/:/bin/sh\n");
        // An absolute link is resolved against the container root, not the host's.
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("/real-passwd"));
        assertEquals(Optional.of("inside:x:1:1::/:/bin/sh\n"), ContainerFiles.read(root, "/etc/passwd"));
        // '..' cannot climb above the root.
        Files.delete(root.resolve("etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("../../../../outside/etc/passwd"));
        assertEquals(Optional.empty(), ContainerFiles.read(root, "/etc/passwd"));
        Files.delete(root.resolve("etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("../../../../real-passwd"));
        assertEquals(Optional.of("inside:x:1:1::/:/bin/sh\n"), ContainerFiles.read(root, "/etc/passwd"));
        // A loop is a missing file, not a hang.
        Files.delete(root.resolve("etc/passwd"));
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("passwd"));
        assertEquals(Optional.empty(), ContainerFiles.read(root, "/etc/passwd"));
        // A directory is not read.
        Files.delete(root.resolve("etc/passwd"));
        Files.createDirectory(root.resolve("etc/passwd"));
        assertEquals(Optional.empty(), ContainerFiles.read(root, "/etc/passwd"));
    }

    static StageContext context(ContainerSpec spec) {
        return StageContext.of(spec, Path.of("/nonexistent"), true);
    }
}
