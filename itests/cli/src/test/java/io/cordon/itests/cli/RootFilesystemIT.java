package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 3 and 4: the default root, --rootfs, and the mount namespace done right. */
class RootFilesystemIT {

    @Test
    void defaultRootShowsOnlyItsOwnTopLevel() throws IOException {
        Cordon.Result r = Cordon.run("run", "--", "ls", "-A", "/");
        assertEquals(0, r.code(), r.err());
        Set<String> inside = new TreeSet<>(r.lines());
        Set<String> expected = new TreeSet<>(List.of("bin", "dev", "etc", "home", "proc", "root", "run", "sbin", "sys",
                "tmp", "usr", "var"));
        for (String lib : List.of("lib", "lib32", "lib64", "libx32")) {
            if (Files.exists(Path.of("/", lib))) {
                expected.add(lib);
            }
        }
        assertEquals(expected, inside);
        try (Stream<Path> host = Files.list(Path.of("/"))) {
            Set<String> hostOnly = new HashSet<>(host.map(p -> p.getFileName().toString()).toList());
            hostOnly.removeAll(expected);
            assertFalse(hostOnly.isEmpty(), "the host should have top-level folders the container lacks");
            for (String h : hostOnly) {
                assertFalse(inside.contains(h), "host folder /" + h + " visible inside");
            }
        }
    }

    @Test
    void rootHomeIsEmptyAndEtcHoldsNoSecrets() {
        Cordon.Result r = Cordon.sh("ls -A /root | wc -l; ls -A /etc");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.lines();
        assertEquals("0", lines.get(0).trim(), "/root must be empty inside");
        Set<String> etc = new TreeSet<>(lines.subList(1, lines.size()));
        for (String secret : List.of("shadow", "gshadow", "ssh", "sudoers", "shadow-", "ssl")) {
            assertFalse(etc.contains(secret), "/etc/" + secret + " must not be copied: " + etc);
        }
        for (String needed : List.of("passwd", "group", "hosts", "hostname", "resolv.conf", "nsswitch.conf",
                "ld.so.cache")) {
            assertTrue(etc.contains(needed), "/etc/" + needed + " expected: " + etc);
        }
        assertTrue(Cordon.sh("id -un").out().trim().equals("root"), "passwd resolves root");
    }

    @Test
    void systemDirsAreReadOnlyAndTmpIsPrivateTmpfs() {
        Cordon.Result r = Cordon.sh("touch /usr/cordon-probe 2>/dev/null && echo usr-writable;"
                + " touch /tmp/x && echo tmp-ok; stat -f -c %T /tmp; stat -f -c %T /proc;"
                + " grep ' /sys ' /proc/mounts; touch /etc/x && echo etc-ok");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("usr-writable"), r.out());
        assertFalse(Files.exists(Path.of("/usr/cordon-probe")));
        assertTrue(r.out().contains("tmp-ok"));
        List<String> l = r.lines();
        assertTrue(l.contains("tmpfs"), "/tmp is a tmpfs: " + r.out());
        assertTrue(l.contains("proc"), "/proc is procfs: " + r.out());
        assertTrue(r.out().matches("(?s).*sysfs /sys sysfs ro[,\\s].*"), "/sys read-only: " + r.out());
        assertTrue(r.out().contains("etc-ok"), "the private /etc is writable");
        assertFalse(Files.exists(Path.of("/etc/x")), "a write to the container's /etc reached the host");
    }

    @Test
    void minimalDev() {
        Cordon.Result r = Cordon.run("run", "--", "ls", "-A", "/dev");
        assertEquals(0, r.code(), r.err());
        Set<String> dev = new TreeSet<>(r.lines());
        assertTrue(dev.containsAll(List.of("null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm")),
                dev.toString());
        for (String hostDev : List.of("vda", "kvm", "mem", "kmsg", "port")) {
            assertFalse(dev.contains(hostDev), "/dev/" + hostDev + " must not exist inside");
        }
        Cordon.Result io = Cordon.sh("head -c 4 /dev/zero | od -An -tx1; echo x > /dev/null && echo null-ok;"
                + " echo x > /dev/full || echo full-enospc");
        assertTrue(io.out().contains("00 00 00 00") && io.out().contains("null-ok")
                && io.out().contains("full-enospc"), io.out() + io.err());
    }

    @Test
    void maskedAndReadOnlyProcPaths() {
        Cordon.Result r = Cordon.sh("wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l;"
                + " echo 1 > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro;"
                + " echo 1 > /proc/sys/kernel/sysrq 2>/dev/null || echo sys-ro;"
                + " grep -E ' /proc/(sys|irq|bus) ' /proc/mounts");
        assertEquals(0, r.code(), r.err());
        List<String> l = r.lines();
        assertEquals("0", l.get(0).trim(), "/proc/keys masked");
        assertEquals("0", l.get(1).trim(), "/proc/timer_list masked");
        assertEquals("0", l.get(2).trim(), "/sys/firmware masked");
        assertTrue(l.contains("sysrq-ro"), r.out());
        assertTrue(l.contains("sys-ro"), r.out());
        for (String p : List.of("/proc/sys", "/proc/irq", "/proc/bus")) {
            assertTrue(r.out().matches("(?s).* " + p + " proc ro,.*"), p + " read-only: " + r.out());
        }
    }

    @Test
    void pivotRootDetachesTheOldRootAndMountsStayInside() throws IOException {
        java.util.Set<String> before = Cordon.mounts();
        String hostRootDev = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")).filter(f -> f[4].equals("/")).map(f -> f[2]).findFirst().orElseThrow();
        // Root in a default container may not mount (no CAP_SYS_ADMIN, and seccomp refuses mount(2));
        // this container may, to show the mount stays inside.
        Cordon.Result r = Cordon.run("run", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--",
                "sh", "-c",
                "mkdir /tmp/m && mount -t tmpfs inner /tmp/m && grep -c inner /proc/mounts; cat /proc/self/mountinfo");
        assertEquals(0, r.code(), r.err());
        assertEquals("1", r.lines().get(0), "the mount worked inside");
        for (String line : r.lines().subList(1, r.lines().size())) {
            String[] f = line.split(" ");
            // The host's root filesystem may only appear as the read-only binds of its system folders.
            if (f[2].equals(hostRootDev)) {
                assertNotEquals("/", f[3], "the host's root is still mounted inside: " + line);
            }
            if (f[4].equals("/")) {
                String fstype = f[List.of(f).indexOf("-") + 1];
                assertEquals("tmpfs", fstype, "the container's root must be its own tmpfs: " + line);
            }
        }
        Cordon.assertNoNewMounts(before, "host mount table changed");
        assertFalse(Files.readString(Path.of("/proc/mounts")).contains("inner"));
    }

    @Test
    void readOnlyRootAndVolumes(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("hello.txt"), "from-host\n");
        Cordon.Result r = Cordon.run("run", "--read-only", "-v", dir + ":/data:ro", "-v", dir + ":/rw", "--", "sh",
                "-c", "cat /data/hello.txt; touch /newfile 2>/dev/null || echo root-ro;"
                        + " touch /data/x 2>/dev/null || echo data-ro; echo w > /rw/written && echo rw-ok");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("from-host", "root-ro", "data-ro", "rw-ok"), r.lines());
        assertEquals("w\n", Files.readString(dir.resolve("written")));
    }

    @Test
    void prepareRootfsRunsABusyboxRoot(@TempDir Path dir) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assertTrue(Files.isExecutable(busybox), "busybox-static is needed for --rootfs tests (apt-get install"
                + " busybox-static; bin/test does)");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(busybox, bin.resolve("busybox"));
        for (String applet : List.of("sh", "ls", "cat", "echo", "hostname", "ps", "mount", "tr")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Cordon.Result r = Cordon.run("run", "--rootfs", dir.toString(), "--", "/bin/sh", "-c",
                "echo $$; ls /; cat /proc/1/cmdline | tr '\\0' ' '");
        assertEquals(0, r.code(), r.err());
        List<String> l = r.lines();
        assertEquals("1", l.get(0));
        Set<String> top = new TreeSet<>(Arrays.asList(String.join(" ", l.subList(1, l.size())).split("\\s+")));
        assertTrue(top.containsAll(List.of("bin", "dev", "proc", "sys")), top.toString());
        assertFalse(top.contains("usr"), "a --rootfs root has only what it holds: " + top);
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
    }
}
