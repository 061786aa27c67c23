package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roots an attacker prepared (issue 21): symlinks where cordon, as host root before pivot_root, makes the
 * mount points, files and device nodes of a container. Each case launches on such a root and checks with
 * HostState that nothing appeared outside it: the launcher resolves every container path in the root.
 * The symlinks point at {@code bait}, a host folder next to the root that must stay empty.
 */
class HostileRootIT {
    @TempDir
    Path work;
    Path root;
    Path bait;
    Path hostFile;
    Path hostDir;
    HostState host;

    @BeforeEach
    void busyboxRoot() throws IOException {
        Path busybox = Path.of("/bin/busybox");
        assertTrue(Files.isExecutable(busybox), "busybox-static is needed for --rootfs tests (apt-get install"
                + " busybox-static; .ci/run does)");
        root = Files.createDirectories(work.resolve("root"));
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.copy(busybox, bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "ls", "true", "stat", "readlink")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        for (String d : List.of("proc", "dev", "sys")) {
            Files.createDirectories(root.resolve(d));
        }
        bait = Files.createDirectories(work.resolve("bait"));
        hostFile = Files.writeString(work.resolve("volume.txt"), "from-the-host\n");
        hostDir = Files.createDirectories(work.resolve("volume-dir"));
        host = new HostState(root, work);
    }

    private Cordon.Result run(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("run", "--network", "none", "--rootfs", root.toString()));
        all.addAll(List.of(args));
        return Cordon.run(all.toArray(String[]::new));
    }

    /** A refused launch: exit 125, one line that names the op's path and says it was resolved in the root. */
    private static void assertRefused(Cordon.Result r, String path) {
        assertEquals(125, r.code(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(path + " (in root)"), "names " + path + ": " + r.err());
    }

    /** "../" as often as it takes to climb from inside the root to the host's "/", then {@code hostPath}. */
    private String upAndOver(Path hostPath) {
        return "../".repeat(root.getNameCount()) + hostPath.toString().substring(1);
    }

    @Test
    void aVolumeFileOntoAnAbsoluteSymlinkIsFollowedInTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("data"), bait.resolve("pwned"));
        HostState.Snapshot before = host.take();
        // The measured case of issue 21: the link's target does not exist in the root, so there is nowhere to
        // make the mount point; the host's bait/pwned is not it.
        assertRefused(run("-v", hostFile + ":/data", "--", "/bin/cat", "/data"), "/data");
        host.assertUnchanged(before, "volume file onto an absolute symlink");

        // Where the link's target exists in the root, the container gets what it would see: the volume there.
        Files.createDirectories(root.resolve(bait.toString().substring(1)));
        Cordon.Result r = run("-v", hostFile + ":/data", "--", "/bin/cat", "/data");
        assertEquals(0, r.code(), r.err());
        assertEquals("from-the-host\n", r.out());
        assertTrue(Files.isRegularFile(root.resolve(bait.toString().substring(1)).resolve("pwned")),
                "the mount point was made at the link's target in the root");
        host.assertUnchanged(before, "volume file onto an absolute symlink, target in the root");
    }

    @Test
    void aVolumeUnderASymlinkedParentFolderStaysInTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("a"), bait);
        HostState.Snapshot before = host.take();
        assertRefused(run("-v", hostDir + ":/a/b/c", "--", "/bin/true"), "/a");
        host.assertUnchanged(before, "volume dir under a symlinked parent");
    }

    @Test
    void aRelativeSymlinkClimbingOutStopsAtTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("a"), Path.of(upAndOver(bait)));
        Files.createSymbolicLink(root.resolve("data"), Path.of(upAndOver(bait.resolve("pwned"))));
        HostState.Snapshot before = host.take();
        assertRefused(run("-v", hostDir + ":/a/b/c", "--", "/bin/true"), "/a");
        assertRefused(run("-v", hostFile + ":/data", "--", "/bin/true"), "/data");
        host.assertUnchanged(before, "relative ../../.. symlinks");
    }

    @Test
    void procMustBeProcfsOnAPlainDirectory() throws IOException {
        Files.delete(root.resolve("proc"));
        Files.createDirectories(root.resolve("fake-proc"));
        Files.createSymbolicLink(root.resolve("proc"), Path.of("/fake-proc"));
        HostState.Snapshot before = host.take();
        Cordon.Result r = run("--", "/bin/true");
        assertRefused(r, "/proc");
        assertTrue(r.err().contains("symlink"), r.err());
        Files.delete(root.resolve("proc"));
        Files.writeString(root.resolve("proc"), "not a folder\n");
        Cordon.Result file = run("--", "/bin/true");
        assertRefused(file, "/proc");
        assertTrue(file.err().contains("not a directory"), file.err());
        host.assertUnchanged(before, "/proc as a symlink and as a file");
    }

    @Test
    void devAndSysAsSymlinksAreRefused() throws IOException {
        // Where a volume would cover them later, say: to the root the link looks harmless.
        Files.createDirectories(root.resolve("elsewhere"));
        HostState.Snapshot before = host.take();
        for (String d : List.of("dev", "sys")) {
            Files.delete(root.resolve(d));
            Files.createSymbolicLink(root.resolve(d), Path.of("/elsewhere"));
            Cordon.Result r = run("--", "/bin/true");
            assertRefused(r, "/" + d);
            assertTrue(r.err().contains("symlink"), r.err());
            Files.delete(root.resolve(d));
            Files.createDirectories(root.resolve(d));
        }
        host.assertUnchanged(before, "/dev and /sys as symlinks");
    }

    @Test
    void maskedPathsThatTheRootMadeSymlinksAreCoveredByTheKernelsOwn() throws IOException {
        // Under the procfs and sysfs mounts, the root's own entries are hidden; the masks go onto the kernel's.
        Files.createSymbolicLink(root.resolve("proc/kcore"), bait.resolve("kcore"));
        Files.createSymbolicLink(root.resolve("proc/keys"), bait.resolve("keys"));
        Files.createSymbolicLink(root.resolve("proc/acpi"), bait);
        Files.createSymbolicLink(root.resolve("sys/firmware"), bait);
        HostState.Snapshot before = host.take();
        Cordon.Result r = run("--", "/bin/sh", "-c", "cat /proc/keys | wc -c; readlink /proc/kcore || echo no-link");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("0", "no-link"), r.lines());
        host.assertUnchanged(before, "masked paths as symlinks");
    }

    @Test
    void aDeviceNodeUnderASymlinkedFolderIsMadeInTheRootOrNotAtAll() throws IOException {
        Files.createSymbolicLink(root.resolve("devices"), bait);
        Files.createDirectories(root.resolve("in-root"));
        Files.createSymbolicLink(root.resolve("here"), Path.of("/in-root"));
        HostState.Snapshot before = host.take();
        assertRefused(run("--device", "/dev/null:/devices/null", "--", "/bin/true"), "/devices");
        Cordon.Result r = run("--device", "/dev/zero:/here/zero", "--", "/bin/stat", "-c", "%F %t:%T",
                "/in-root/zero");
        assertEquals(0, r.code(), r.err());
        assertEquals("character special file 1:5\n", r.out());
        host.assertUnchanged(before, "--device under symlinked folders");
    }

    @Test
    void etcHostsOfARootfsIsNotWrittenEvenOnABridge() throws IOException {
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/hosts"), bait.resolve("hosts"));
        Files.createSymbolicLink(root.resolve("etc/resolv.conf"), Path.of(upAndOver(bait.resolve("resolv.conf"))));
        HostState.Snapshot before = host.take();
        Cordon.Result r = Cordon.run("run", "--network", "bridge", "--rootfs", root.toString(), "--", "/bin/true");
        assertEquals(0, r.code(), r.err());
        assertEquals(bait.resolve("hosts"), Files.readSymbolicLink(root.resolve("etc/hosts")), "left as it was");
        host.assertUnchanged(before, "/etc/hosts and /etc/resolv.conf as symlinks, --network bridge");
    }

    @Test
    void etcHostsOnAVolumeOfTheDefaultRootIsWrittenInTheContainerOnly() throws IOException {
        Path etc = Files.createDirectories(work.resolve("etc-volume"));
        Files.createSymbolicLink(etc.resolve("hosts"), bait.resolve("hosts"));
        Files.writeString(etc.resolve("resolv.conf"), ""); // a volume's regular file is the container's to write
        HostState.Snapshot before = host.take();
        Cordon.Result r = Cordon.run("run", "--network", "bridge", "-v", etc + ":/etc", "--", "true");
        assertEquals(0, r.code(), r.err());
        host.assertUnchanged(before, "/etc/hosts on a volume as a symlink, --network bridge");
    }

    /**
     * A second process swaps a folder of the root for a symlink to the host in a loop while cordon launches
     * 200 containers with a volume under it: whatever the timing, no op is redirected out of the root.
     */
    @Test
    void aSymlinkSwappedInDuringTheLaunchesLeadsNowhere() throws Exception {
        Path a = Files.createDirectories(root.resolve("a"));
        Path asDir = root.resolve("a-dir");
        Path asLink = Files.createSymbolicLink(root.resolve("a-link"), bait);
        HostState.Snapshot before = host.take();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong swaps = new AtomicLong();
        AtomicLong repairs = new AtomicLong();
        Thread swapper = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Files.move(a, asDir, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(asLink, a, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(a, asLink, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(asDir, a, StandardCopyOption.ATOMIC_MOVE);
                    swaps.incrementAndGet();
                } catch (IOException e) {
                    // A launch made a new /a while it was gone: clear it away and start over.
                    repairs.incrementAndGet();
                    repairSwap(a, asDir, asLink);
                }
            }
            repairSwap(a, asDir, asLink);
        }, "swapper");
        int launches = 200;
        String out;
        try (LiveShell shell = new LiveShell(Map.of())) {
            shell.say("echo ready");
            swapper.start();
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < launches; i++) {
                lines.append(i == 0 ? "" : "\n").append("cordon:run --network none --rootfs ").append(root)
                        .append(" -v ").append(hostDir).append(":/a/b/c -- /bin/true");
            }
            out = shell.say(lines.toString());
        } finally {
            stop.set(true);
            swapper.join(10_000);
        }
        long refused = out.lines().filter(l -> l.contains("(in root)")).count();
        String what = launches + " launches (" + refused + " refused) against " + swaps.get() + " swaps ("
                + repairs.get() + " restarts)";
        System.out.println(what);
        assertTrue(swaps.get() > launches, "the swapper kept swapping: " + what);
        host.assertUnchanged(before, what + "; the shell said:\n" + out);
        assertEquals(List.of(), List.of(bait.toFile().list()), "the bait folder stays empty");
    }

    /** Back to /a a folder and /a-link the symlink, whatever step a swap stopped at. */
    private static void repairSwap(Path a, Path asDir, Path asLink) {
        try {
            if (Files.isSymbolicLink(a) && !Files.exists(asLink, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.move(a, asLink, StandardCopyOption.ATOMIC_MOVE);
            }
            if (Files.isDirectory(asDir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isDirectory(a, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try (var made = Files.walk(a)) {
                        for (Path p : made.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
                Files.move(asDir, a, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException busy) {
            // a launch still holds what it made there: the next round tries again
        }
    }
}
