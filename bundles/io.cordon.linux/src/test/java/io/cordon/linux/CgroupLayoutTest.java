package io.cordon.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Layout detection from mountinfo text of the three kinds of host. */
class CgroupLayoutTest {
    /** This VM: v1 controllers (cpu and cpuacct apart), name=systemd, an empty cgroup2 at unified. */
    static final String HYBRID = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
            36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
            37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
            38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;

    /** A systemd v1 host: cpu,cpuacct together, optional fields before the dash, xattr options. */
    static final String LEGACY = """
            25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
            26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
            29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
            30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
            31 25 0:28 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
            32 25 0:29 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,devices
            33 25 0:30 / /sys/fs/cgroup/net\\040cls rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,net_cls
            """;

    /** A current distribution: cgroup2 only, plus a bind mount of a sub-cgroup elsewhere. */
    static final String UNIFIED = """
            35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            90 24 0:30 /system.slice /mnt/slice rw,relatime - cgroup2 cgroup2 rw,nsdelegate
            """;

    @Test
    void hybridHasV1ControllersAndTheUnifiedMount() {
        CgroupLayout l = CgroupLayout.parse(HYBRID);
        assertEquals(CgroupLayout.Kind.HYBRID, l.kind());
        assertEquals(10, l.hierarchies().size());
        assertEquals(Path.of("/sys/fs/cgroup/memory"), l.v1("memory").orElseThrow().mountPoint());
        assertEquals(Path.of("/sys/fs/cgroup/cpuacct"), l.v1("cpuacct").orElseThrow().mountPoint());
        assertEquals(Path.of("/sys/fs/cgroup/unified"), l.unified().orElseThrow().mountPoint());
        assertTrue(l.hierarchies().get(l.hierarchies().size() - 1).v2(), "the unified hierarchy comes last");
        CgroupLayout.Hierarchy systemd = l.hierarchies().get(8);
        assertEquals("systemd", systemd.name());
        assertEquals("none,name=systemd", systemd.mountData());
        assertEquals("memory", l.v1("memory").orElseThrow().mountData());
        assertTrue(l.describe().contains("hybrid"), l.describe());
    }

    @Test
    void legacyWithCoMountedControllersAndEscapedPaths() {
        CgroupLayout l = CgroupLayout.parse(LEGACY);
        assertEquals(CgroupLayout.Kind.LEGACY, l.kind());
        assertEquals(l.v1("cpu"), l.v1("cpuacct"), "cpu and cpuacct share one hierarchy");
        assertEquals(Set.of("cpu", "cpuacct"), l.v1("cpu").orElseThrow().controllers());
        assertEquals("cpu,cpuacct", l.v1("cpu").orElseThrow().mountData());
        assertEquals(Path.of("/sys/fs/cgroup/net cls"), l.v1("net_cls").orElseThrow().mountPoint());
        assertEquals("none,name=systemd", l.hierarchies().get(0).mountData(), "xattr and release_agent are dropped");
        assertFalse(l.unified().isPresent());
        assertTrue(l.v1("blkio").isEmpty());
    }

    @Test
    void unifiedIsOneHierarchyEvenWhenMountedTwice() {
        CgroupLayout l = CgroupLayout.parse(UNIFIED);
        assertEquals(CgroupLayout.Kind.UNIFIED, l.kind());
        assertEquals(1, l.hierarchies().size());
        assertEquals(Path.of("/sys/fs/cgroup"), l.unified().orElseThrow().mountPoint(), "the mount of the root wins");
        assertTrue(l.v1("memory").isEmpty());
        assertEquals("cgroup v2 at /sys/fs/cgroup", l.describe());
    }

    @Test
    void noCgroupMountsIsNone() {
        CgroupLayout l = CgroupLayout.parse("22 1 254:0 / / rw - ext4 /dev/vda rw\nnot a mountinfo line\n");
        assertEquals(CgroupLayout.Kind.NONE, l.kind());
        assertEquals(List.of(), l.hierarchies());
    }

    @Test
    void thisHostParses() {
        CgroupLayout l = CgroupLayout.host();
        assertFalse(l.hierarchies().isEmpty(), "cordon's tests run on a host with cgroups: " + l.describe());
    }
}
