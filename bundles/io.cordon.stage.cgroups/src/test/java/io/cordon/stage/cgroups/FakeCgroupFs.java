package io.cordon.stage.cgroups;

import io.cordon.linux.CgroupLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * cgroupfs as the kernel shows it, on a plain directory tree: a mkdir creates the
 * interface files of the hierarchy's controllers (on cgroup2, those enabled in
 * the parent's cgroup.subtree_control), rmdir takes them along, writes to
 * cgroup.subtree_control add and remove controllers, cgroup.kill empties
 * cgroup.procs. Every write is recorded.
 */
class FakeCgroupFs extends CgroupFs {
    record Written(Path file, String value) {
    }

    static final String V1_UNLIMITED = "9223372036854771712";

    final List<Written> writes = new ArrayList<>();
    private final CgroupLayout layout;
    /** Interface files a kernel without them would lack (swap accounting off, no BFQ ...). */
    final Set<String> missing = new LinkedHashSet<>();

    FakeCgroupFs(CgroupLayout layout) {
        this.layout = layout;
    }

    /** Makes a hierarchy's root as the kernel has it (cgroup2 root: these controllers available). */
    void root(CgroupLayout.Hierarchy h, String... v2Controllers) throws IOException {
        Path r = h.mountPoint();
        Files.createDirectories(r);
        put(r.resolve("cgroup.procs"), "");
        if (h.v2()) {
            put(r.resolve("cgroup.controllers"), String.join(" ", v2Controllers));
            put(r.resolve("cgroup.subtree_control"), "");
            put(r.resolve("cpu.stat"), "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        } else {
            files(h, r, true);
        }
    }

    private CgroupLayout.Hierarchy hierarchyOf(Path p) {
        return layout.hierarchies().stream().filter(h -> p.startsWith(h.mountPoint())).findFirst().orElseThrow();
    }

    @Override
    boolean mkdir(Path dir) throws IOException {
        if (!super.mkdir(dir)) {
            return false;
        }
        CgroupLayout.Hierarchy h = hierarchyOf(dir);
        put(dir.resolve("cgroup.procs"), "");
        if (h.v2()) {
            String enabled = Files.readString(dir.getParent().resolve("cgroup.subtree_control")).trim();
            put(dir.resolve("cgroup.controllers"), enabled);
            put(dir.resolve("cgroup.subtree_control"), "");
            put(dir.resolve("cgroup.kill"), "");
            put(dir.resolve("cgroup.events"), "populated 0\nfrozen 0\n");
            put(dir.resolve("cpu.stat"), "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
            for (String c : enabled.split(" ")) {
                for (String f : V2_FILES.getOrDefault(c, List.of())) {
                    put(dir.resolve(f), f.endsWith(".max") || f.equals("cpu.max") ? "max" : "");
                }
            }
            if (enabled.contains("cpu")) {
                put(dir.resolve("cpu.max"), "max 100000");
                put(dir.resolve("cpu.weight"), "100");
                put(dir.resolve("cpu.stat"), "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\n"
                        + "nr_throttled 0\nthrottled_usec 0\n");
            }
            if (enabled.contains("memory")) {
                put(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
                put(dir.resolve("memory.current"), "0");
            }
        } else {
            files(h, dir, false);
        }
        return true;
    }

    private static final Map<String, List<String>> V2_FILES = Map.of(
            "memory", List.of("memory.max", "memory.swap.max", "memory.low", "memory.peak"),
            "pids", List.of("pids.max", "pids.current"),
            "io", List.of("io.max", "io.weight"),
            "cpuset", List.of("cpuset.cpus", "cpuset.mems"));

    private void files(CgroupLayout.Hierarchy h, Path dir, boolean root) throws IOException {
        for (String c : h.controllers()) {
            switch (c) {
                case "memory" -> {
                    put(dir.resolve("memory.limit_in_bytes"), V1_UNLIMITED);
                    put(dir.resolve("memory.memsw.limit_in_bytes"), V1_UNLIMITED);
                    put(dir.resolve("memory.soft_limit_in_bytes"), V1_UNLIMITED);
                    put(dir.resolve("memory.usage_in_bytes"), "0");
                    put(dir.resolve("memory.max_usage_in_bytes"), "0");
                    put(dir.resolve("memory.failcnt"), "0");
                    put(dir.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
                }
                case "cpu" -> {
                    put(dir.resolve("cpu.cfs_period_us"), "100000");
                    put(dir.resolve("cpu.cfs_quota_us"), "-1");
                    put(dir.resolve("cpu.shares"), "1024");
                    put(dir.resolve("cpu.stat"), "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
                }
                case "cpuacct" -> put(dir.resolve("cpuacct.usage"), "0");
                case "cpuset" -> {
                    put(dir.resolve("cpuset.cpus"), root ? "0-1" : "");
                    put(dir.resolve("cpuset.mems"), root ? "0" : "");
                }
                case "pids" -> {
                    if (!root) {
                        put(dir.resolve("pids.max"), "max");
                        put(dir.resolve("pids.current"), "0");
                    }
                }
                case "blkio" -> {
                    put(dir.resolve("blkio.bfq.weight"), "100");
                    put(dir.resolve("blkio.throttle.read_bps_device"), "");
                    put(dir.resolve("blkio.throttle.write_bps_device"), "");
                }
                case "devices" -> {
                    put(dir.resolve("devices.allow"), "");
                    put(dir.resolve("devices.deny"), "");
                    put(dir.resolve("devices.list"), "a *:* rwm");
                }
                case "freezer" -> put(dir.resolve("freezer.state"), "THAWED");
                default -> {
                }
            }
        }
    }

    /** Creates an interface file unless the test made it missing. */
    void put(Path file, String content) throws IOException {
        if (!missing.contains(file.getFileName().toString())) {
            Files.writeString(file, content);
        }
    }

    @Override
    boolean rmdir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return false;
        }
        if (!Files.readString(dir.resolve("cgroup.procs")).isBlank()) {
            throw new IOException("Device or resource busy");
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.anyMatch(Files::isDirectory)) {
                throw new IOException("Device or resource busy");
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        return true;
    }

    @Override
    void write(Path file, String value) throws IOException {
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        writes.add(new Written(file, value));
        String name = file.getFileName().toString();
        if (name.equals("cgroup.subtree_control")) {
            Set<String> on = new LinkedHashSet<>(Arrays.asList(Files.readString(file).trim().split(" ")));
            on.remove("");
            for (String w : value.trim().split(" ")) {
                if (w.startsWith("+")) {
                    on.add(w.substring(1));
                } else if (w.startsWith("-")) {
                    on.remove(w.substring(1));
                }
            }
            Files.writeString(file, String.join(" ", on));
        } else if (name.equals("cgroup.procs")) {
            return; // the processes tests move in are imaginary, and gone by the time of release
        } else if (name.equals("cgroup.kill")) {
            Files.writeString(file.resolveSibling("cgroup.procs"), "");
        } else {
            Files.writeString(file, value);
        }
    }

    /** The values written to this file, in order. */
    List<String> written(Path file) {
        return writes.stream().filter(w -> w.file().equals(file)).map(Written::value).toList();
    }

    static String content(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
