package io.cordon.stage.cgroups;

import io.cordon.api.ChildProcess;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One container's cgroups: made in prepare (limits written, devices restricted),
 * joined by the child in attach before it runs, read for stats and the exit
 * explanation, and removed in release after the container is gone (leftover
 * processes killed first).
 */
final class ContainerCgroup implements StageRun {
    /** Loads and attaches a cgroup v2 device program ({@link io.cordon.linux.CgroupDevices#attach}). */
    interface DeviceProgramAttacher {
        void attach(Path cgroupDir, byte[] program);
    }

    static final long RELEASE_TIMEOUT_MS = 10_000;
    /** v1 files show "no limit" as the largest page-aligned long. */
    private static final long V1_UNLIMITED = 1L << 62;

    private final StageContext context;
    private final Limits limits;
    private final Placement placement;
    private final List<CgroupWrites.Write> writes;
    private final CgroupFs fs;
    private final DeviceProgramAttacher devicePrograms;
    /** Directories this run made, in creation order; guarded by this. */
    private final List<Placement.Dir> created = new ArrayList<>();

    ContainerCgroup(StageContext context, Limits limits, Placement placement, CgroupFs fs,
            DeviceProgramAttacher devicePrograms) {
        this.context = context;
        this.limits = limits;
        this.placement = placement;
        this.writes = CgroupWrites.of(limits, placement, context.spec().requirements());
        this.fs = fs;
        this.devicePrograms = devicePrograms;
    }

    Placement placement() {
        return placement;
    }

    List<CgroupWrites.Write> writes() {
        return writes;
    }

    @Override
    public void prepare() throws IOException {
        if (context.dryRun()) {
            return;
        }
        for (Placement.Dir d : placement.dirs()) {
            makeParents(d);
            if (!fs.mkdir(d.path())) {
                throw new CordonException("cgroup " + d.path() + " already exists: is a container with id "
                        + context.shortId() + " running?");
            }
            synchronized (this) {
                created.add(d);
            }
            if (isV1Cpuset(d)) {
                inheritCpuset(d.path());
            }
        }
        for (CgroupWrites.Write w : writes) {
            apply(w);
        }
        Optional<Placement.Dir> devices = placement.controller(Placement.DEVICES);
        if (devices.isPresent() && devices.get().v2()) {
            devicePrograms.attach(devices.get().path(), DeviceFilter.compile(limits.deviceRules()));
        }
    }

    /** Creates the parent cgroups that are missing; on cgroup2 enables the controllers on the way down. */
    private void makeParents(Placement.Dir d) throws IOException {
        Path level = d.hierarchy().mountPoint();
        boolean v2 = d.v2();
        if (v2) {
            enableControllers(level);
        }
        for (String name : placement.parent().split("/")) {
            level = level.resolve(name);
            fs.mkdir(level);
            if (v2) {
                enableControllers(level);
            } else if (isV1Cpuset(d)) {
                inheritCpuset(level);
            }
        }
    }

    private void enableControllers(Path level) throws IOException {
        if (placement.v2Enable().isEmpty()) {
            return;
        }
        Set<String> available = words(fs.read(level.resolve("cgroup.controllers")));
        Set<String> enabled = words(fs.read(level.resolve("cgroup.subtree_control")));
        for (String c : placement.v2Enable()) {
            if (enabled.contains(c)) {
                continue;
            }
            if (!available.contains(c)) {
                throw new CordonException("cgroup2: the " + c + " controller is not available in " + level
                        + " (see its cgroup.controllers)");
            }
            try {
                fs.write(level.resolve("cgroup.subtree_control"), "+" + c);
            } catch (IOException e) {
                throw new CordonException("cgroup2: cannot enable the " + c + " controller in " + level + ": "
                        + reason(e));
            }
        }
    }

    private static Set<String> words(String s) {
        Set<String> out = new HashSet<>(Arrays.asList(s.trim().split("\\s+")));
        out.remove("");
        return out;
    }

    private boolean isV1Cpuset(Placement.Dir d) {
        return !d.v2() && d.hierarchy().controllers().contains("cpuset");
    }

    /** A new v1 cpuset has no CPUs and no memory nodes, and no process can join it: copy the parent's. */
    private void inheritCpuset(Path dir) throws IOException {
        for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
            if (fs.read(dir.resolve(f)).isBlank()) {
                fs.write(dir.resolve(f), fs.read(dir.getParent().resolve(f)).trim());
            }
        }
    }

    private void apply(CgroupWrites.Write w) {
        CgroupWrites.Target t = w.choices().stream().filter(c -> fs.exists(c.file())).findFirst().orElse(null);
        if (t == null) {
            if (w.optional()) {
                return;
            }
            throw new CordonException(w.flag() + ": the host's " + w.controller() + " controller cannot enforce it ("
                    + w.choices().stream().map(c -> c.file().getFileName().toString()).toList() + " missing in "
                    + w.choices().get(0).file().getParent() + ")");
        }
        try {
            fs.write(t.file(), t.value());
        } catch (IOException e) {
            throw new CordonException(w.flag() + ": cannot write \"" + t.value() + "\" to " + t.file() + ": "
                    + reason(e));
        }
    }

    static String reason(IOException e) {
        String r = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        return r == null ? e.toString() : r;
    }

    @Override
    public void contribute(PlanBuilder plan) {
        if (!plan.unshares(Namespace.MOUNT)) {
            return; // no private /dev to put the nodes in: the container sees the host's
        }
        for (Limits.DeviceGrant g : limits.devices()) {
            // After pivot_root, in the container's own /dev; the host keeps nothing.
            String path = g.containerPath();
            Path parent = Path.of(path).getParent();
            List<String> parents = new ArrayList<>();
            for (Path p = parent; p != null && p.getNameCount() > 0; p = p.getParent()) {
                parents.add(p.toString());
            }
            Collections.reverse(parents);
            // The paths are the container's, resolved in its root by the launcher (a symlinked folder of the
            // image cannot put the node anywhere else).
            for (String p : parents) {
                plan.add(Phase.SYSTEM, new Op.MkdirInRoot(p, 0755));
            }
            DeviceNode n = g.node();
            plan.addOptional(Phase.SYSTEM, new Op.UnlinkInRoot(path));
            // The mode is the host's exactly (MKNOD_IN_ROOT ignores the umask), and so is the owner.
            plan.add(Phase.SYSTEM, new Op.MknodInRoot(path, n.typeBits() | n.mode(), n.major(), n.minor()));
            plan.add(Phase.SYSTEM, new Op.ChownInRoot(path, n.uid(), n.gid()));
        }
    }

    @Override
    public void attach(ChildProcess child) {
        for (Placement.Dir d : createdDirs()) {
            try {
                fs.write(d.path().resolve("cgroup.procs"), Integer.toString(child.pid()));
            } catch (IOException e) {
                throw new CordonException("cannot move the container (host pid " + child.pid() + ") into cgroup "
                        + d.path() + ": " + reason(e));
            }
        }
    }

    private synchronized List<Placement.Dir> createdDirs() {
        return List.copyOf(created);
    }

    @Override
    public Map<String, String> stats() {
        Map<String, String> out = new LinkedHashMap<>();
        if (createdDirs().isEmpty()) {
            return out;
        }
        out.put("cgroup", placement.dirs().get(0).cgroupPath());
        placement.controller(Placement.MEMORY).ifPresent(d -> memoryStats(d, out));
        placement.controller(Placement.CPUACCT).ifPresent(d -> cpuTime(d, out));
        placement.controller(Placement.CPU).ifPresent(d -> cpuLimitStats(d, out));
        placement.controller(Placement.PIDS).ifPresent(d -> pidsStats(d, out));
        return out;
    }

    private void memoryStats(Placement.Dir d, Map<String, String> out) {
        Path dir = d.path();
        boolean v2 = d.v2();
        readLong(dir.resolve(v2 ? "memory.current" : "memory.usage_in_bytes"))
                .ifPresent(v -> out.put("memory.usage", Sizes.human(v)));
        memoryLimit(d).ifPresentOrElse(v -> out.put("memory.limit", Sizes.human(v)),
                () -> out.put("memory.limit", "unlimited"));
        readLong(dir.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes"))
                .ifPresent(v -> out.put("memory.max-usage", Sizes.human(v)));
        out.put("memory.oom-kills", Long.toString(Math.max(0, oomKills(d))));
    }

    /** The cgroup's memory limit in bytes, empty when unlimited or unreadable. */
    private Optional<Long> memoryLimit(Placement.Dir d) {
        Optional<String> text = read(d.path().resolve(d.v2() ? "memory.max" : "memory.limit_in_bytes"));
        if (text.isEmpty() || text.get().equals("max")) {
            return Optional.empty();
        }
        try {
            long v = Long.parseLong(text.get());
            return v >= V1_UNLIMITED ? Optional.empty() : Optional.of(v);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void cpuTime(Placement.Dir d, Map<String, String> out) {
        if (d.v2()) {
            keyed(d.path().resolve("cpu.stat"), "usage_usec")
                    .ifPresent(us -> out.put("cpu.time", seconds(us * 1000)));
        } else {
            readLong(d.path().resolve("cpuacct.usage")).ifPresent(ns -> out.put("cpu.time", seconds(ns)));
        }
    }

    private void cpuLimitStats(Placement.Dir d, Map<String, String> out) {
        Path dir = d.path();
        if (d.v2()) {
            read(dir.resolve("cpu.max")).ifPresent(v -> {
                String[] f = v.split(" ");
                out.put("cpu.limit", f[0].equals("max") ? "unlimited" : cpus(Long.parseLong(f[0]), Long.parseLong(f[1])));
            });
        } else {
            Optional<Long> quota = readLong(dir.resolve("cpu.cfs_quota_us"));
            Optional<Long> period = readLong(dir.resolve("cpu.cfs_period_us"));
            if (quota.isPresent() && period.isPresent()) {
                out.put("cpu.limit", quota.get() < 0 ? "unlimited" : cpus(quota.get(), period.get()));
            }
        }
        Path stat = dir.resolve("cpu.stat");
        Optional<Long> periods = keyed(stat, "nr_periods");
        Optional<Long> throttled = keyed(stat, "nr_throttled");
        Optional<Long> ns = d.v2() ? keyed(stat, "throttled_usec").map(us -> us * 1000) : keyed(stat, "throttled_time");
        if (periods.isPresent() && throttled.isPresent()) {
            out.put("cpu.throttled", throttled.get() + " of " + periods.get() + " periods"
                    + ns.map(n -> ", " + seconds(n)).orElse(""));
        }
    }

    private static String cpus(long quota, long period) {
        return String.format(java.util.Locale.ROOT, "%.2f CPUs", (double) quota / period);
    }

    private static String seconds(long ns) {
        return String.format(java.util.Locale.ROOT, "%.3f s", ns / 1e9);
    }

    private void pidsStats(Placement.Dir d, Map<String, String> out) {
        readLong(d.path().resolve("pids.current")).ifPresent(v -> out.put("pids.current", Long.toString(v)));
        read(d.path().resolve("pids.max")).ifPresent(v -> out.put("pids.limit", v.equals("max") ? "unlimited" : v));
    }

    /** OOM kills in the container's memory cgroup: v1 memory.oom_control, v2 memory.events; -1 if unknown. */
    long oomKills(Placement.Dir d) {
        if (d.v2()) {
            return keyed(d.path().resolve("memory.events"), "oom_kill").orElse(-1L);
        }
        return keyed(d.path().resolve("memory.oom_control"), "oom_kill").orElse(-1L);
    }

    @Override
    public Optional<String> explainExit(int exitCode, int signal) {
        Optional<Placement.Dir> mem = placement.controller(Placement.MEMORY);
        if (mem.isEmpty() || createdDirs().isEmpty()) {
            return Optional.empty();
        }
        Placement.Dir d = mem.get();
        boolean killed = signal == 9 || exitCode == 128 + 9;
        long kills = oomKills(d);
        if (kills < 0 && !d.v2()) {
            // a kernel without the oom_kill counter: a SIGKILL while the limit was hit
            boolean hit = readLong(d.path().resolve("memory.failcnt")).orElse(0L) > 0
                    || keyed(d.path().resolve("memory.oom_control"), "under_oom").orElse(0L) > 0;
            kills = killed && hit ? 1 : 0;
        }
        if (kills <= 0) {
            return Optional.empty();
        }
        String limit = memoryLimit(d).map(v -> " (limit " + Sizes.human(v) + ")").orElse("");
        if (killed) {
            return Optional.of("killed: out of memory" + limit);
        }
        return Optional.of("out of memory: the kernel killed " + kills + (kills == 1 ? " process" : " processes")
                + " in the container" + limit);
    }

    @Override
    public void release() throws IOException {
        List<Placement.Dir> dirs = createdDirs();
        if (dirs.isEmpty()) {
            return;
        }
        long deadline = System.currentTimeMillis() + RELEASE_TIMEOUT_MS;
        killLeftovers(dirs, deadline);
        List<Placement.Dir> reverse = new ArrayList<>(dirs);
        Collections.reverse(reverse);
        IOException failure = null;
        for (Placement.Dir d : reverse) {
            try {
                removeDir(d.path(), deadline);
                synchronized (this) {
                    created.remove(d);
                }
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Anything still in the cgroup once the container exited (it left no PID namespace, say) is killed. */
    private void killLeftovers(List<Placement.Dir> dirs, long deadline) throws IOException {
        while (true) {
            Set<Long> pids = new HashSet<>();
            for (Placement.Dir d : dirs) {
                pids.addAll(fs.procs(d.path()));
            }
            if (pids.isEmpty()) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("processes " + pids + " are still in the cgroups of container "
                        + context.shortId() + " after SIGKILL");
            }
            Optional<Placement.Dir> unified = placement.unified().filter(dirs::contains);
            if (unified.isPresent() && fs.exists(unified.get().path().resolve("cgroup.kill"))) {
                fs.write(unified.get().path().resolve("cgroup.kill"), "1");
            }
            Optional<Placement.Dir> freezer = placement.controller(Placement.FREEZER).filter(f -> !f.v2())
                    .filter(dirs::contains);
            // Frozen, nothing in the cgroup can fork while we kill what is there.
            freeze(freezer, "FROZEN");
            try {
                for (long pid : pids) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            } finally {
                freeze(freezer, "THAWED");
            }
            sleep(10);
        }
    }

    private void freeze(Optional<Placement.Dir> freezer, String state) throws IOException {
        if (freezer.isPresent()) {
            fs.write(freezer.get().path().resolve("freezer.state"), state);
        }
    }

    private void removeDir(Path dir, long deadline) throws IOException {
        while (true) {
            try {
                fs.rmdir(dir);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("cannot remove cgroup " + dir + ": " + reason(e), e);
                }
                sleep(10);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Optional<String> read(Path file) {
        try {
            return Optional.of(fs.read(file).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private Optional<Long> readLong(Path file) {
        return read(file).flatMap(ContainerCgroup::parseLong);
    }

    /** The value of {@code key} in a flat-keyed file such as cpu.stat or memory.events. */
    private Optional<Long> keyed(Path file, String key) {
        return read(file).flatMap(text -> text.lines().map(l -> l.split("\\s+")).filter(f -> f.length == 2
                && f[0].equals(key)).findFirst().flatMap(f -> parseLong(f[1])));
    }

    private static Optional<Long> parseLong(String s) {
        try {
            return Optional.of(Long.parseLong(s.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
