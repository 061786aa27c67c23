package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Acceptance of issue 4 (cgroups), end to end through bin/cordon on this host's
 * real hierarchies, whatever its layout: OOM kill and its note, the pids limit,
 * CPU quotas measured from the cgroup's own accounting, the cgroup's lifetime,
 * device access, the container's view of its cgroups, and bad values.
 */
class CgroupsIT {
    static final String PARENT = "cordon";

    /** A mounted cgroup hierarchy: where, and its super options (controllers) or "cgroup2". */
    record Hierarchy(Path mountPoint, boolean v2, Set<String> options) {
    }

    static List<Hierarchy> hierarchies() {
        List<Hierarchy> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                if (dash > 0 && (f[dash + 1].equals("cgroup") || f[dash + 1].equals("cgroup2")) && f[3].equals("/")) {
                    out.add(new Hierarchy(Path.of(f[4]), f[dash + 1].equals("cgroup2"),
                            Set.of(f[dash + 3].split(","))));
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertFalse(out.isEmpty(), "no cgroup hierarchy is mounted on this host");
        return out;
    }

    /** Every cgroup under {@code parent} in every hierarchy. */
    static Set<String> cgroupsUnder(String parent) {
        Set<String> out = new TreeSet<>();
        for (Hierarchy h : hierarchies()) {
            Path p = h.mountPoint().resolve(parent);
            if (!Files.isDirectory(p)) {
                continue;
            }
            try (Stream<Path> s = Files.list(p)) {
                s.filter(Files::isDirectory).forEach(d -> out.add(d.toString()));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    /**
     * No cgroup under {@code parent} that was not there before. Other engineers' containers
     * may come and go under the default parent meanwhile; a leak of ours stays, so this
     * waits up to 30 s for strangers to leave.
     */
    static void assertNoNewCgroups(String parent, Set<String> before) throws InterruptedException {
        Set<String> added = new TreeSet<>();
        for (int i = 0; i < 300; i++) {
            added = new TreeSet<>(cgroupsUnder(parent));
            added.removeAll(before);
            if (added.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        fail("cgroups left under " + parent + ": " + added);
    }

    static String uniqueParent() {
        return "cordon-it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Removes this test's own parent cgroup from every hierarchy (cordon never removes a parent). */
    static void removeParent(String parent) throws IOException {
        for (Hierarchy h : hierarchies()) {
            Files.deleteIfExists(h.mountPoint().resolve(parent));
        }
    }

    /** The container's cgroup directories, found by its short id (its default hostname), one per hierarchy. */
    static List<Path> containerCgroups(String shortId) {
        List<Path> out = new ArrayList<>();
        for (String d : cgroupsUnder(PARENT)) {
            if (Path.of(d).getFileName().toString().startsWith(shortId)) {
                out.add(Path.of(d));
            }
        }
        return out;
    }

    static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** On a developer's machine a missing prerequisite skips; in CI (CI=true) it fails. */
    static void require(boolean ok, String what) {
        if (!ok && "true".equals(System.getenv("CI"))) {
            fail("missing prerequisite: " + what);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(ok, "missing prerequisite: " + what);
    }

    /** A container started in the background that prints its hostname (the short id) first. */
    record Background(Process process, BufferedReader out, String shortId) {
        static Background start(String... args) throws IOException {
            Process p = Cordon.builder(args).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String id = out.readLine();
            assertTrue(id != null && id.matches("[0-9a-f]{12}"), "the container should print its short id: " + id);
            return new Background(p, out, id);
        }

        /** SIGTERM to cordon, which forwards it to the container's shell (it traps it and exits 0). */
        int stop() throws InterruptedException {
            process.destroy();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "cordon did not stop");
            return process.exitValue();
        }
    }

    /** Prints the hostname, then waits for SIGTERM; PID 1 only takes signals it handles. */
    static String waiting(String work) {
        return "trap 'exit 0' TERM; hostname; " + work + " sleep 120 & wait $!";
    }

    // (1) --memory 64m and 200 MiB

    @Test
    void overTheMemoryLimitTheKernelKillsItAndCordonSaysSo() throws Exception {
        Set<String> before = cgroupsUnder(PARENT);
        Cordon.Result r = Cordon.run("run", "--memory", "64m", "--", "python3", "-c",
                "x = b'\\1' * (200 * 1024 * 1024); print('survived')");
        assertEquals(137, r.code(), r.err());
        assertEquals("", r.out(), "python must not survive the allocation");
        assertEquals("cordon: killed: out of memory (limit 64 MiB)\n", r.err());
        // The host is unaffected: cordon itself lived to report it, the next container runs, nothing is left.
        assertEquals(0, Cordon.run("run", "--", "true").code());
        assertNoNewCgroups(PARENT, before);
    }

    @Test
    void underTheMemoryLimitNothingIsSaid() {
        Cordon.Result r = Cordon.run("run", "--memory", "64m", "--", "python3", "-c",
                "x = b'\\1' * (16 * 1024 * 1024); print('fine')");
        assertEquals(0, r.code(), r.err());
        assertEquals("fine\n", r.out());
        assertEquals("", r.err());
    }

    // (2) --pids-limit 20

    static final String FORK_LOOP = String.join("\n",
            "import os, errno, time",
            "n = 0",
            "try:",
            "    while n < 200:",
            "        if os.fork() == 0:",
            "            time.sleep(60)",
            "            os._exit(0)",
            "        n += 1",
            "except OSError as e:",
            "    print(n, errno.errorcode[e.errno])");

    @Test
    void aForkLoopHitsThePidsLimit() throws Exception {
        Set<String> before = cgroupsUnder(PARENT);
        Cordon.Result r = Cordon.run("run", "--pids-limit", "20", "--", "python3", "-c", FORK_LOOP);
        assertEquals(0, r.code(), r.err());
        String[] got = r.out().trim().split(" ");
        assertEquals(2, got.length, r.out());
        assertEquals("EAGAIN", got[1], "fork fails with EAGAIN: " + r.out());
        int forked = Integer.parseInt(got[0]);
        assertTrue(forked >= 15 && forked <= 19, "about 20 processes with python itself, got " + (forked + 1));
        // 19 sleeping children were left when PID 1 exited: all gone, and the cgroup with them.
        assertNoNewCgroups(PARENT, before);
    }

    // (3) --cpus 0.5 and 1.5

    static final String BUSY = waiting("for i in 1 2; do (while :; do :; done) & done;");

    /** Total CPU time the container's cgroup used, in ns (v1 cpuacct.usage, or cgroup2 cpu.stat usage_usec). */
    static long cpuNanos(List<Path> cgroups) {
        for (Path d : cgroups) {
            if (Files.exists(d.resolve("cpuacct.usage"))) {
                return Long.parseLong(read(d.resolve("cpuacct.usage")));
            }
        }
        for (Path d : cgroups) {
            if (Files.exists(d.resolve("cgroup.controllers"))) {
                return read(d.resolve("cpu.stat")).lines().filter(l -> l.startsWith("usage_usec "))
                        .mapToLong(l -> Long.parseLong(l.split(" ")[1]) * 1000).findFirst().orElseThrow();
            }
        }
        throw new AssertionError("no CPU accounting in " + cgroups);
    }

    /**
     * The parent cgroup's CPU weight at its maximum (v1 cpu.shares, v2 cpu.weight), so
     * that on a busy shared VM the container is not starved by other processes and
     * only its quota holds it back. The parent is this test's own.
     */
    static void favour(List<Path> cgroups) throws IOException {
        for (Path d : cgroups) {
            Path parent = d.getParent();
            if (Files.exists(parent.resolve("cpu.shares"))) {
                Files.writeString(parent.resolve("cpu.shares"), "262144");
            } else if (Files.exists(parent.resolve("cpu.weight"))) {
                Files.writeString(parent.resolve("cpu.weight"), "10000");
            }
        }
    }

    /**
     * Runs two busy loops under {@code --cpus limit} and returns the CPUs they got: the
     * median of eight one-second samples of the cgroup's own CPU accounting, so that a
     * moment of interference on a shared VM does not decide it. No sample may exceed
     * the quota by more than the tolerance.
     */
    static double measuredCpus(double limit) throws Exception {
        String parent = uniqueParent();
        Background c = Background.start("run", "--cgroup-parent", parent, "--cpus", Double.toString(limit), "--",
                "sh", "-c", BUSY);
        try {
            List<Path> cgroups = new ArrayList<>();
            for (Hierarchy h : hierarchies()) {
                try (Stream<Path> s = Files.list(h.mountPoint().resolve(parent))) {
                    s.filter(Files::isDirectory).forEach(cgroups::add);
                }
            }
            assertEquals(hierarchies().size(), cgroups.size(), "the container's cgroups: " + cgroups);
            favour(cgroups);
            Thread.sleep(500);
            List<Double> samples = new ArrayList<>();
            long t = System.nanoTime();
            long cpu = cpuNanos(cgroups);
            for (int i = 0; i < 8; i++) {
                Thread.sleep(1000);
                long t2 = System.nanoTime();
                long cpu2 = cpuNanos(cgroups);
                samples.add((cpu2 - cpu) / (double) (t2 - t));
                t = t2;
                cpu = cpu2;
            }
            System.out.println("--cpus " + limit + ": CPUs used per second " + samples);
            for (double s : samples) {
                assertTrue(s <= limit * 1.2, "--cpus " + limit + " used " + s + " CPUs in a second: " + samples);
            }
            List<Double> sorted = new ArrayList<>(samples);
            sorted.sort(null);
            return (sorted.get(3) + sorted.get(4)) / 2;
        } finally {
            assertEquals(0, c.stop());
            removeParent(parent);
        }
    }

    @Test
    void halfACpu() throws Exception {
        double got = measuredCpus(0.5);
        assertTrue(got >= 0.4 && got <= 0.6, "--cpus 0.5 with two busy loops used " + got + " CPUs");
    }

    @Test
    void oneAndAHalfCpus() throws Exception {
        long cpus;
        try (Stream<String> s = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpus = s.filter(l -> l.startsWith("processor")).count();
        }
        require(cpus >= 2, "at least 2 CPUs for --cpus 1.5 (" + cpus + ")");
        double got = measuredCpus(1.5);
        assertTrue(got >= 1.2 && got <= 1.8, "--cpus 1.5 with two busy loops used " + got + " CPUs");
    }

    // (4) lifetime

    @Test
    void theCgroupExistsWhileTheContainerRunsAndIsGoneAfter() throws Exception {
        Background c = Background.start("run", "--memory", "64m", "--pids-limit", "50", "--", "sh", "-c",
                waiting(""));
        List<Path> cgroups;
        try {
            cgroups = containerCgroups(c.shortId());
            assertEquals(hierarchies().size(), cgroups.size(), "one cgroup in every hierarchy: " + cgroups);
            for (Path d : cgroups) {
                assertFalse(read(d.resolve("cgroup.procs")).isEmpty(), "the container is in " + d);
            }
        } finally {
            assertEquals(0, c.stop());
        }
        for (Path d : cgroups) {
            assertFalse(Files.exists(d), d + " is left after the container exited");
        }
    }

    @Test
    void failedLaunchesLeaveNoCgroup() throws Exception {
        String parent = uniqueParent();
        try {
            Cordon.Result chdir = Cordon.run("run", "--cgroup-parent", parent, "--memory", "64m", "-w", "/no/such/dir",
                    "--", "true");
            assertEquals(125, chdir.code(), chdir.err());
            assertTrue(chdir.err().contains("/no/such/dir"), chdir.err());
            Cordon.Result notFound = Cordon.run("run", "--cgroup-parent", parent, "--pids-limit", "10", "--",
                    "no-such-command-xyz");
            assertEquals(127, notFound.code(), notFound.err());
            // the cgroups stage's own in-child op fails: no device node can be made in /proc
            Cordon.Result mknod = Cordon.run("run", "--cgroup-parent", parent, "--device", "/dev/null:/proc/null",
                    "--", "true");
            assertEquals(125, mknod.code(), mknod.err());
            assertTrue(mknod.err().startsWith("cordon: stage cgroups failed in the child"), mknod.err());
            assertEquals(Set.of(), cgroupsUnder(parent), "cgroups left by failed launches");
        } finally {
            removeParent(parent);
        }
    }

    @Test
    void aHundredLaunchesLeaveNone() throws Exception {
        Set<String> before = cgroupsUnder(PARENT);
        Cordon.Result r = Cordon.run("bench", "-n", "100", "--warmup", "0", "--", "true");
        assertEquals(0, r.code(), r.err());
        assertEquals(100, r.lines().size(), "one timing per launch");
        assertNoNewCgroups(PARENT, before);
    }

    // the container's own view (cgroup namespace)

    @Test
    void theContainerSeesItsOwnCgroupsAsTheRootReadOnly() {
        boolean v2 = hierarchies().stream().allMatch(Hierarchy::v2);
        String limitFile = v2 ? "/sys/fs/cgroup/memory.max" : "/sys/fs/cgroup/memory/memory.limit_in_bytes";
        Cordon.Result r = Cordon.run("run", "--memory", "64m", "--", "sh", "-c", "cat /proc/self/cgroup; echo --; cat "
                + limitFile + "; mkdir /sys/fs/cgroup/x 2>&1; touch " + limitFile + " 2>&1; true");
        assertEquals(0, r.code(), r.err());
        String[] parts = r.out().split("--\n");
        for (String line : parts[0].trim().split("\n")) {
            assertTrue(line.endsWith(":/"), "/proc/self/cgroup inside shows its own root: " + line);
        }
        List<String> rest = List.of(parts[1].trim().split("\n"));
        assertEquals("67108864", rest.get(0), "its own memory limit at the top of /sys/fs/cgroup");
        assertTrue(rest.get(1).contains("Read-only file system"), rest.get(1));
        assertTrue(rest.get(2).contains("Read-only file system"), rest.get(2));
    }

    // (6) devices

    /** The host's first disk, major:minor, from /proc/partitions. */
    static String hostDisk() {
        return read(Path.of("/proc/partitions")).lines().skip(1).map(String::trim).filter(l -> !l.isEmpty())
                .map(l -> l.split("\\s+")).map(f -> f[0] + " " + f[1]).findFirst()
                .orElseThrow(() -> new AssertionError("no block device in /proc/partitions"));
    }

    @Test
    void theHostDiskCanBeMadeButNotOpened() {
        String disk = hostDisk();
        Cordon.Result r = Cordon.run("run", "--", "sh", "-c", "mknod /dev/hostdisk b " + disk
                + " && echo made; head -c1 /dev/hostdisk >/dev/null; mknod /tmp/hostdisk b " + disk
                + " && echo made; head -c1 /tmp/hostdisk >/dev/null");
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals("made\nmade\n", r.out());
        List<String> err = List.of(r.err().trim().split("\n"));
        assertEquals(2, err.size(), r.err());
        assertTrue(err.get(0).contains("/dev/hostdisk") && err.get(0).contains("Operation not permitted"),
                "EPERM from the device cgroup: " + err.get(0));
        // /tmp is nodev as well, which refuses first (EACCES): either way the disk stays shut.
        assertTrue(err.get(1).contains("/tmp/hostdisk") && err.get(1).contains("denied"), err.get(1));
    }

    static final String OPEN = "import os, errno, sys\n"
            + "for d in sys.argv[1:]:\n"
            + "    try:\n"
            + "        os.close(os.open(d, os.O_RDWR)); print(d, 'ok')\n"
            + "    except OSError as e:\n"
            + "        print(d, errno.errorcode[e.errno])\n";

    @Test
    void aGivenDeviceIsUsableAndOnlyThatOne() {
        require(Files.exists(Path.of("/dev/fuse")), "/dev/fuse on the host (modprobe fuse)");
        String disk = hostDisk();
        Cordon.Result without = Cordon.run("run", "--", "sh", "-c", "mknod /dev/fuse c 10 229; mknod /dev/hostdisk b "
                + disk + "; python3 -c \"$0\" /dev/null /dev/fuse /dev/hostdisk", OPEN);
        assertEquals(0, without.code(), without.err());
        assertEquals("/dev/null ok\n/dev/fuse EPERM\n/dev/hostdisk EPERM\n", without.out());
        Cordon.Result with = Cordon.run("run", "--device", "/dev/fuse", "--", "sh", "-c", "mknod /dev/hostdisk b "
                + disk + "; ls -l /dev/fuse | cut -c1-10; python3 -c \"$0\" /dev/null /dev/fuse /dev/hostdisk", OPEN);
        assertEquals(0, with.code(), with.err());
        assertEquals(hostMode("/dev/fuse") + "\n/dev/null ok\n/dev/fuse ok\n/dev/hostdisk EPERM\n", with.out());
    }

    static String hostMode(String path) {
        try {
            Process p = new ProcessBuilder("sh", "-c", "ls -l " + path + " | cut -c1-10").start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return s;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    // (7) bad values

    @Test
    void badValuesAreOneLineErrorsAndCreateNothing() {
        String parent = uniqueParent();
        for (List<String> flag : List.of(List.of("--memory", "12q"), List.of("--cpus", "-1"), List.of("--cpus", "9999"),
                List.of("--device", "/no/such/device"))) {
            List<String> args = new ArrayList<>(List.of("run", "--cgroup-parent", parent));
            args.addAll(flag);
            args.addAll(List.of("--", "true"));
            Cordon.Result r = Cordon.run(args.toArray(String[]::new));
            assertEquals(125, r.code(), flag + ": " + r.err());
            assertEquals(1, r.err().lines().count(), flag + " gave: " + r.err());
            assertTrue(r.err().startsWith("cordon: " + String.join(" ", flag) + ": "), r.err());
            for (Hierarchy h : hierarchies()) {
                assertFalse(Files.exists(h.mountPoint().resolve(parent)), flag + " created " + h.mountPoint()
                        .resolve(parent));
            }
        }
    }

    // stats, through the live shell (cordon:stats of a container that cordon:run started in the background)

    @Test
    void statsShowMemoryCpuAndPidsOfARunningContainer() throws Exception {
        try (LiveShell shell = new LiveShell(java.util.Map.of())) {
            String started = shell.say("cordon:run -d --memory 64m --pids-limit 20 --cpus 0.5 -- sleep 60");
            var m = java.util.regex.Pattern.compile("\\b([0-9a-f]{12})[0-9a-f]{52}\\b").matcher(started);
            assertTrue(m.find(), "cordon:run -d printed no container id:\n" + started);
            String id = m.group(1);
            try {
                // cordon:ps lists it from clone on; once it runs sleep, its one process is in the cgroup.
                String stats = "";
                for (int i = 0; i < 50 && !stats.matches("(?s).*pids\\.current +1\\b.*"); i++) {
                    stats = shell.say("cordon:stats " + id);
                    Thread.sleep(100);
                }
                assertTrue(stats.matches("(?s).*cgroups +memory\\.limit +64 MiB.*"), stats);
                assertTrue(stats.matches("(?s).*cgroups +memory\\.usage +[0-9.]+ (B|KiB|MiB).*"), stats);
                assertTrue(stats.matches("(?s).*cgroups +cpu\\.time +[0-9.]+ s.*"), stats);
                assertTrue(stats.matches("(?s).*cgroups +cpu\\.limit +0\\.50 CPUs.*"), stats);
                assertTrue(stats.matches("(?s).*cgroups +pids\\.current +1\\b.*"), stats);
                assertTrue(stats.matches("(?s).*cgroups +pids\\.limit +20.*"), stats);
            } finally {
                // The runtime releases a container's cgroups when it ends; stopping the shell also does.
                shell.say("cordon:kill " + id);
            }
        }
    }
}
