package io.cordon.stage.cgroups;

import static io.cordon.stage.cgroups.Fixtures.context;
import static io.cordon.stage.cgroups.Fixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageRun;
import io.cordon.linux.CgroupDevices;
import io.cordon.linux.CgroupLayout;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The stage against this host's real cgroup hierarchies (as root): the cgroup2
 * hierarchy on its own, which on a hybrid host is the empty one at
 * /sys/fs/cgroup/unified and proves the device program, and the whole layout,
 * whatever it is. Each test works under its own parent cgroup and removes it.
 */
class RealCgroupsTest {
    /** Waits for a line on stdin, then opens three devices and says how each went, then lingers. */
    static final String OPEN_DEVICES = String.join("\n",
            "import os, sys, errno, time",
            "sys.stdin.readline()",
            "for d in ['/dev/null', '/dev/zero', '/dev/kmsg']:",
            "    try:",
            "        os.close(os.open(d, os.O_RDONLY | os.O_NONBLOCK))",
            "        print(d, 'ok')",
            "    except OSError as e:",
            "        print(d, errno.errorcode[e.errno])",
            "sys.stdout.flush()",
            "time.sleep(60)");

    private final String parent = "cordon-test-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<Process> processes = new ArrayList<>();
    private final List<StageRun> runs = new ArrayList<>();

    /** On a developer's machine a missing prerequisite skips; in CI (CI=true) it fails. */
    static void require(boolean ok, String what) {
        if (ok) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("missing prerequisite: " + what);
        }
        Assumptions.assumeTrue(false, "missing prerequisite: " + what);
    }

    static void requireRoot() throws IOException {
        boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        require(root, "root (the tests create real cgroups)");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (StageRun r : runs) {
            r.release();
        }
        for (Process p : processes) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (CgroupLayout.Hierarchy h : CgroupLayout.host().hierarchies()) {
            Files.deleteIfExists(h.mountPoint().resolve(parent));
        }
    }

    private StageRun open(CgroupLayout layout, ContainerSpec spec) {
        StageRun run = new CgroupsStage(() -> layout, Host.REAL, CgroupFs.REAL, CgroupDevices::attach)
                .open(context(spec, false));
        runs.add(run);
        return run;
    }

    private Process start(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(p);
        return p;
    }

    private static List<String> goAndRead(Process p, int lines) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> got = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            got.add(out.readLine());
        }
        return got;
    }

    @Test
    void theDeviceProgramOnTheRealCgroup2HierarchyDeniesWhatItDoesNotAllow() throws Exception {
        requireRoot();
        CgroupLayout host = CgroupLayout.host();
        require(host.unified().isPresent(), "a cgroup2 hierarchy (" + host.describe() + ")");
        require(Files.exists(Path.of("/dev/kmsg")), "/dev/kmsg on the host");
        CgroupLayout.Hierarchy unified = host.unified().get();
        CgroupLayout v2 = CgroupLayout.of(List.of(unified));

        Process control = start("python3", "-c", OPEN_DEVICES);
        assertEquals(List.of("/dev/null ok", "/dev/zero ok", "/dev/kmsg ok"), goAndRead(control, 3),
                "outside the container's cgroup root opens /dev/kmsg");

        ContainerSpec spec = spec("cgroup-parent", parent);
        StageRun run = open(v2, spec);
        run.prepare();
        Path dir = unified.mountPoint().resolve(parent).resolve(spec.id());
        assertTrue(Files.isDirectory(dir), dir + " made");
        assertEquals(1, CgroupDevices.attachedPrograms(dir), "one device program attached to " + dir);

        Process inside = start("python3", "-c", OPEN_DEVICES);
        run.attach(() -> (int) inside.pid());
        assertTrue(Files.readString(Path.of("/proc", "" + inside.pid(), "cgroup"))
                .contains("0::/" + parent + "/" + spec.id()), "the process is in the container's cgroup2 cgroup");
        assertEquals(List.of("/dev/null ok", "/dev/zero ok", "/dev/kmsg EPERM"), goAndRead(inside, 3));

        Map<String, String> stats = run.stats();
        assertEquals("/" + parent + "/" + spec.id(), stats.get("cgroup"));
        assertTrue(stats.get("cpu.time").endsWith(" s"), stats.toString());

        run.release(); // the python process is still sleeping in there: release kills it
        assertTrue(inside.waitFor(10, TimeUnit.SECONDS), "release killed what was left in the cgroup");
        assertEquals(137, inside.exitValue(), "SIGKILL");
        assertFalse(Files.exists(dir), dir + " removed");
        run.release(); // idempotent
    }

    @Test
    void theRealCgroup2HierarchyRefusesALimitItHasNoControllerFor() throws Exception {
        requireRoot();
        CgroupLayout host = CgroupLayout.host();
        require(host.unified().isPresent(), "a cgroup2 hierarchy (" + host.describe() + ")");
        CgroupLayout.Hierarchy unified = host.unified().get();
        CgroupLayout v2 = CgroupLayout.of(List.of(unified));
        ContainerSpec spec = spec("cgroup-parent", parent, "memory", "64m");
        if (!v2.unifiedControllers().contains("memory")) {
            // a hybrid host's cgroup2 hierarchy has no controllers
            CordonException e = assertThrows(CordonException.class, () -> open(v2, spec));
            assertTrue(e.getMessage().startsWith("--memory 64m: the host has no memory cgroup controller"),
                    e.getMessage());
            assertFalse(Files.exists(unified.mountPoint().resolve(parent)), "nothing created");
        } else {
            StageRun run = open(v2, spec);
            run.prepare();
            Path dir = unified.mountPoint().resolve(parent).resolve(spec.id());
            assertEquals("67108864", Files.readString(dir.resolve("memory.max")).trim());
            run.release();
            assertFalse(Files.exists(dir));
        }
    }

    @Test
    void theHostsOwnLayoutLimitsReportsAndCleansUp() throws Exception {
        requireRoot();
        CgroupLayout host = CgroupLayout.host();
        require(host.kind() != CgroupLayout.Kind.NONE, "mounted cgroups");
        ContainerSpec spec = spec("cgroup-parent", parent, "memory", "64m", "cpus", "0.5", "pids-limit", "10");
        StageRun run = open(host, spec);
        run.prepare();
        for (CgroupLayout.Hierarchy h : host.hierarchies()) {
            assertTrue(Files.isDirectory(h.mountPoint().resolve(parent).resolve(spec.id())), h.label());
        }
        Process sleeper = start("sleep", "60");
        run.attach(() -> (int) sleeper.pid());
        List<String> cgroups = Files.readAllLines(Path.of("/proc", "" + sleeper.pid(), "cgroup"));
        for (String line : cgroups) {
            if (!line.endsWith(":/")) { // hierarchies not mounted here (net_cls ...) stay at the root
                assertTrue(line.endsWith("/" + parent + "/" + spec.id()), "joined: " + line);
            }
        }
        Map<String, String> stats = run.stats();
        assertEquals("64 MiB", stats.get("memory.limit"), stats.toString());
        assertEquals("0.50 CPUs", stats.get("cpu.limit"), stats.toString());
        assertEquals("1", stats.get("pids.current"), stats.toString());
        assertEquals("10", stats.get("pids.limit"), stats.toString());
        assertEquals("0", stats.get("memory.oom-kills"), stats.toString());
        assertEquals(java.util.Optional.empty(), run.explainExit(0, 0));

        run.release();
        assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "release killed the leftover process");
        for (CgroupLayout.Hierarchy h : host.hierarchies()) {
            assertFalse(Files.exists(h.mountPoint().resolve(parent).resolve(spec.id())), h.label());
        }
    }
}
