package io.cordon.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.CordonException;
import io.cordon.api.ProcessIsolation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel view of a process, read from a /proc tree and cgroup mounts laid out as the kernel does. */
class ProcessIsolationReaderTest {
    @TempDir
    Path tmp;

    private void ns(Path proc, int pid, String type, long inode) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(pid + "/ns"));
        Files.createSymbolicLink(dir.resolve(type), Path.of(type + ":[" + inode + "]"));
    }

    private void status(Path proc, int pid, String bnd, String nnp, String seccomp, String filters)
            throws IOException {
        Files.writeString(proc.resolve(pid + "/status"), "Name:\tsh\nCapInh:\t0000000000000000\n"
                + "CapPrm:\t" + bnd + "\nCapEff:\t" + bnd + "\nCapBnd:\t" + bnd + "\nCapAmb:\t0000000000000000\n"
                + "NoNewPrivs:\t" + nnp + "\nSeccomp:\t" + seccomp + "\nSeccomp_filters:\t" + filters + "\n");
    }

    @Test
    void readsAContainersNamespacesCgroupLimitsCapabilitiesAndSeccomp() throws IOException {
        Path proc = tmp.resolve("proc");
        for (String t : List.of("mnt", "net", "pid", "uts", "user")) {
            ns(proc, 1, t, 4026531000L + t.length());
        }
        ns(proc, 42, "mnt", 4026532001L);
        ns(proc, 42, "net", 4026532002L);
        ns(proc, 42, "pid", 4026532003L);
        ns(proc, 42, "uts", 4026532004L);
        ns(proc, 42, "user", 4026531004L); // the host's (4 letters)
        status(proc, 1, "000001ffffffffff", "0", "0", "0");
        status(proc, 42, "00000000a80425fb", "1", "2", "1");
        Files.writeString(proc.resolve("42/cgroup"), "4:memory:/cordon/abc\n0::/cordon/abc\n");
        Path cg = tmp.resolve("cg");
        Path memory = Files.createDirectories(cg.resolve("memory/cordon/abc"));
        Files.writeString(memory.resolve("memory.limit_in_bytes"), "67108864\n");
        Path unified = Files.createDirectories(cg.resolve("unified/cordon/abc"));
        Files.writeString(unified.resolve("pids.max"), "20\n");
        CgroupLayout layout = CgroupLayout.parse("30 22 0:31 / " + cg.resolve("memory")
                + " rw - cgroup cgroup rw,memory\n31 22 0:37 / " + cg.resolve("unified") + " rw - cgroup2 cgroup2 rw\n");

        ProcessIsolation p = ProcessIsolationReader.read(proc, 42, layout);

        assertEquals(42, p.pid());
        assertEquals(List.of("mnt", "net", "pid", "user", "uts"),
                p.namespaces().stream().map(ProcessIsolation.NamespaceLink::type).toList(),
                "kernel order of /proc/PID/ns; types the kernel lacks are left out");
        assertTrue(p.namespaces().stream().filter(n -> !n.type().equals("user")).allMatch(n -> n.own()));
        assertFalse(p.namespaces().stream().filter(n -> n.type().equals("user")).findFirst().get().own());
        assertTrue(p.anyOwnNamespace());
        assertEquals(0xa80425fbL, p.capabilities().get("bounding"));
        assertEquals(0L, p.capabilities().get("ambient"));
        assertEquals(List.of("inheritable", "permitted", "effective", "bounding", "ambient"),
                List.copyOf(p.capabilities().keySet()));
        assertTrue(p.noNewPrivs());
        assertEquals(ProcessIsolation.SeccompMode.FILTER, p.seccomp());
        assertEquals(1, p.seccompFilters());
        assertEquals("67108864", p.cgroups().get(0).limits().get("memory.limit_in_bytes"));
        assertEquals("/cordon/abc", p.cgroups().get(0).path());
        assertEquals("unified", p.cgroups().get(1).hierarchy());
        assertEquals("20", p.cgroups().get(1).limits().get("pids.max"));
        assertEquals(Optional.empty(), p.lsmLabel(), "no attr/current: no LSM label");
    }

    @Test
    void theLsmLabelComesFromAttrCurrent() throws IOException {
        Path proc = tmp.resolve("proc");
        ns(proc, 1, "mnt", 1);
        ns(proc, 7, "mnt", 1);
        status(proc, 1, "0", "0", "0", "0");
        status(proc, 7, "0", "0", "0", "0");
        Files.writeString(proc.resolve("7/cgroup"), "");
        Files.createDirectories(proc.resolve("7/attr"));
        Files.writeString(proc.resolve("7/attr/current"), "cordon-default (enforce)\n");
        ProcessIsolation p = ProcessIsolationReader.read(proc, 7, CgroupLayout.parse(""));
        assertEquals(Optional.of("cordon-default (enforce)"), p.lsmLabel());
        assertFalse(p.anyOwnNamespace());
        assertEquals(ProcessIsolation.SeccompMode.DISABLED, p.seccomp());
    }

    @Test
    void aMissingProcessIsOneLine() {
        CordonException e = assertThrows(CordonException.class,
                () -> ProcessIsolationReader.read(tmp, 99, CgroupLayout.parse("")));
        assertEquals("no process with pid 99 on this host (see ps -e)", e.getMessage());
    }

    @Test
    void thisProcessOnTheRealHost() {
        ProcessIsolation self = ProcessIsolationReader.of((int) ProcessHandle.current().pid());
        assertFalse(self.namespaces().isEmpty(), "the real /proc shows namespaces");
        assertTrue(self.capabilities().get("bounding") != 0, "the build runs as root");
        assertFalse(self.cgroups().isEmpty());
    }
}
