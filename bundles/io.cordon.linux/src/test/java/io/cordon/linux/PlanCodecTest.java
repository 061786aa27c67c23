package io.cordon.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.PlanBuilder;
import io.cordon.api.plan.PlanEntry;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.SyscallArg;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

public class PlanCodecTest {

    /** A plan with every op type, in two stages, with joins and optional ops. */
    public static ChildPlan everyOp() {
        ChildPlan.Builder b = ChildPlan.builder();
        PlanBuilder a = b.forStage("alpha");
        a.unshare(Namespace.PID).unshare(Namespace.MOUNT).join(Namespace.NET, "/proc/1/ns/net");
        a.add(Phase.MOUNTS, new Op.Syscall(95, List.of(new SyscallArg.Immediate(0)))); // op 0: umask(0)
        a.add(Phase.MOUNTS, new Op.Mount("tmpfs", "/r", "tmpfs", 6, "mode=755"));
        a.add(Phase.MOUNTS, new Op.Mount("", "/", "", 1 << 18 | 16384, ""));
        a.addOptional(Phase.SYSTEM, new Op.Umount("/old", 2));
        a.add(Phase.MOUNTS, new Op.Mkdir("/r/d", 01777));
        a.add(Phase.MOUNTS, new Op.Mknod("/r/null", Op.Mknod.S_IFCHR | 0666, 1, 3));
        a.add(Phase.MOUNTS, new Op.Symlink("pts/ptmx", "/r/ptmx"));
        a.add(Phase.MOUNTS, new Op.Root("/r"));
        a.add(Phase.MOUNTS, Op.MountInRoot.filesystem("proc", "proc", "/proc", 14, "").noSymlinks()
                .requiring(Op.MountInRoot.PROC_SUPER_MAGIC));
        a.add(Phase.MOUNTS, Op.MountInRoot.bindFromHost("/srv/data", "/data", 4096 | 16384));
        a.addOptional(Phase.MOUNTS, Op.MountInRoot.bindInRoot("/dev/null", "/proc/kcore", 4096));
        a.add(Phase.MOUNTS, Op.MountInRoot.remount("/", 32 | 4096 | 1, ""));
        a.add(Phase.MOUNTS, new Op.MkdirInRoot("/a/b", 0755));
        a.add(Phase.MOUNTS, new Op.MknodInRoot("/dev/zero", Op.Mknod.S_IFCHR | 0666, 1, 5));
        a.add(Phase.MOUNTS, new Op.SymlinkInRoot("/proc/self/fd", "/dev/fd"));
        a.add(Phase.MOUNTS, Op.WriteFileInRoot.create("/etc/hosts", 0644, "127.0.0.1 localhost\n"));
        a.add(Phase.MOUNTS, new Op.ChownInRoot("/dev/zero", 0, -1));
        a.addOptional(Phase.MOUNTS, new Op.UnlinkInRoot("/dev/zero"));
        a.add(Phase.PIVOT_ROOT, new Op.PivotRoot("/r"));
        PlanBuilder c = b.forStage("beta");
        c.add(Phase.SYSTEM, new Op.SetHostname("h\u00e9"));
        c.add(Phase.SYSTEM, new Op.WriteFile("/proc/sys/x", 0644, Op.WriteFile.CREATE, new byte[] {0, 1, 2, (byte) 255}));
        c.add(Phase.SYSTEM, new Op.SetRlimit(7, 1024, -1L));
        c.add(Phase.LSM_LABEL, new Op.WriteProcfs(List.of("/proc/thread-self/attr/apparmor/exec",
                "/proc/self/attr/exec"), "exec cordon-default".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        c.add(Phase.IDENTITY, new Op.SetGroups(List.of(1, 2, 65534)));
        c.add(Phase.IDENTITY, new Op.SetResGid(1000));
        c.add(Phase.IDENTITY, new Op.SetResUid(1000));
        c.add(Phase.CAPABILITIES, new Op.CapSet(0xa80425fbL, 1, 2, 3, 0xffffffffffL));
        c.add(Phase.NO_NEW_PRIVS, new Op.NoNewPrivs());
        c.add(Phase.SECCOMP, new Op.Seccomp(1, new byte[16]));
        c.add(Phase.SYSTEM, new Op.Syscall(95, List.of(new SyscallArg.Immediate(-1), new SyscallArg.Buffer(new byte[] {9}),
                new SyscallArg.ResultOf(0), new SyscallArg.Str("abc"))));
        c.add(Phase.EXEC, new Op.Chdir("/"));
        c.add(Phase.EXEC, new Op.Exec("sh", List.of("sh", "-c", "echo $$"), List.of("PATH=/bin", "A=")));
        return b.build();
    }

    @Test
    void roundTripsEveryOp() {
        ChildPlan plan = everyOp();
        PlanCodec.Decoded d = PlanCodec.decode(PlanCodec.encode(plan));
        assertEquals(plan.cloneFlags(), d.cloneFlags());
        assertEquals(Namespace.PID.cloneFlag() | Namespace.MOUNT.cloneFlag(), d.cloneFlags());
        assertEquals(1, d.joins().size());
        assertEquals(Namespace.NET, d.joins().get(0).namespace());
        assertEquals("/proc/1/ns/net", d.joins().get(0).path());
        List<Op> expected = plan.entries().stream().map(PlanEntry::op).toList();
        assertEquals(expected, d.ops());
        assertEquals(plan.entries().stream().map(PlanEntry::optional).toList(), d.optional());
    }

    @Test
    void opsAreOrderedByPhaseThenContribution() {
        List<Phase> phases = everyOp().entries().stream().map(PlanEntry::phase).toList();
        for (int i = 1; i < phases.size(); i++) {
            assertTrue(phases.get(i - 1).compareTo(phases.get(i)) <= 0, "phase order at " + i + ": " + phases);
        }
        assertTrue(everyOp().exec().isPresent());
    }

    @Test
    void headerIsLittleEndianMagicAndVersion() {
        byte[] wire = PlanCodec.encode(everyOp());
        assertArrayEquals("CDNP".getBytes(StandardCharsets.US_ASCII), java.util.Arrays.copyOf(wire, 4));
        assertEquals(1, wire[4]);
        assertEquals(0, wire[5]);
        int body = (wire[8] & 0xff) | (wire[9] & 0xff) << 8 | (wire[10] & 0xff) << 16 | (wire[11] & 0xff) << 24;
        assertEquals(wire.length - 12, body);
    }

    @Test
    void refusesWhatTheLauncherWouldRefuse() {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("s").add(Phase.EXEC, new Op.Exec("a\0b", List.of("a"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> PlanCodec.encode(b.build()));
        ChildPlan.Builder big = ChildPlan.builder();
        big.forStage("s").add(Phase.SYSTEM, new Op.WriteFile("/x", 0, 0, new byte[PlanCodec.MAX_BLOB + 1]));
        assertThrows(IllegalArgumentException.class, () -> PlanCodec.encode(big.build()));
    }

    @Test
    void everyOpOfTheTableIsInTheFullPlan() {
        java.util.Set<Integer> used = new java.util.TreeSet<>();
        everyOp().entries().forEach(e -> used.add(PlanCodec.code(e.op())));
        java.util.Set<Integer> all = new java.util.TreeSet<>();
        PlanCodec.formats().forEach(f -> all.add(f.code()));
        assertEquals(all, used, "everyOp() must exercise every op the launcher knows");
    }

    @Test
    void inRootOpsRefuseAPathTheLauncherWouldRefuse() {
        for (String bad : new String[] {"relative", "/a/../b", "/a/./b", "/a//b", "/a/", ""}) {
            assertThrows(IllegalArgumentException.class, () -> new Op.MkdirInRoot(bad, 0755), bad);
            assertThrows(IllegalArgumentException.class,
                    () -> Op.MountInRoot.filesystem("tmpfs", "tmpfs", bad, 0, ""), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new Op.MkdirInRoot("/", 0755), "needs an entry");
        assertThrows(IllegalArgumentException.class, () -> new Op.SymlinkInRoot("x", "/"), "needs an entry");
        assertEquals("/", Op.MountInRoot.remount("/", 0, "").target(), "a mount may act on the root itself");
        assertThrows(IllegalArgumentException.class, () -> Op.MountInRoot.bindInRoot("../etc", "/x", 4096));
        assertEquals("../host", Op.MountInRoot.bindFromHost("../host", "/x", 4096).source(),
                "a host source is the host's business, not resolved in the root");
    }

    @Test
    void decodeRejectsTruncation() {
        byte[] wire = PlanCodec.encode(everyOp());
        for (int cut : new int[] {3, 11, 20, wire.length - 1}) {
            byte[] t = java.util.Arrays.copyOf(wire, cut);
            assertThrows(IllegalArgumentException.class, () -> PlanCodec.decode(t), "cut at " + cut);
        }
    }
}
