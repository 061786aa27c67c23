package io.cordon.stage.cgroups;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Docker's settings as cgroup file writes, v1 or v2 per controller (see
 * {@link Placement}). {@code --cpus 1.5} is {@code cpu.cfs_quota_us 150000} per
 * {@code cpu.cfs_period_us 100000} on v1 and {@code cpu.max "150000 100000"} on
 * v2; {@code --memory} is {@code memory.limit_in_bytes} or {@code memory.max}; and
 * so on, as runc writes them. Order matters (a v1 memsw limit must not be below
 * the memory limit when it is written), so this is a list.
 */
final class CgroupWrites {

    /** One value for one file. */
    record Target(Path file, String value) {
    }

    /**
     * A write the flag {@code flag} asked for: the first target whose file exists is
     * written; if none exists it is an error naming the controller, unless
     * {@code optional} (a default Docker also only applies where it can).
     */
    record Write(String flag, String controller, List<Target> choices, boolean optional) {
        Write {
            choices = List.copyOf(choices);
        }

        static Write of(String flag, String controller, Path file, String value) {
            return new Write(flag, controller, List.of(new Target(file, value)), false);
        }
    }

    /** Docker's conversion of cpu shares (2..262144) to a cgroup2 cpu.weight (1..10000), as runc does it. */
    static long weightOfShares(long shares) {
        return 1 + ((shares - 2) * 9999) / 262142;
    }

    private CgroupWrites() {
    }

    static List<Write> of(Limits l, Placement p, Map<String, String> flags) {
        List<Write> out = new ArrayList<>();
        memory(l, p, flags, out);
        cpu(l, p, flags, out);
        cpuset(l, p, flags, out);
        pids(l, p, flags, out);
        io(l, p, flags, out);
        devices(l, p, out);
        return out;
    }

    private static String flag(Map<String, String> flags, String key) {
        return flags.getOrDefault(key, "--" + key);
    }

    private static void memory(Limits l, Placement p, Map<String, String> flags, List<Write> out) {
        Optional<Placement.Dir> d = p.controller(Placement.MEMORY);
        if (d.isEmpty() || !l.needsMemory()) {
            return;
        }
        Path dir = d.get().path();
        boolean v2 = d.get().v2();
        String c = "memory";
        if (l.memory() != null) {
            out.add(Write.of(flag(flags, Limits.MEMORY), c, dir.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"),
                    Long.toString(l.memory())));
        }
        if (l.memorySwap() != null) {
            String value = v2 ? (l.memorySwap() == -1 ? "max" : Long.toString(l.memorySwap() - l.memory()))
                    : Long.toString(l.memorySwap());
            out.add(new Write(flag(flags, Limits.MEMORY_SWAP), "memory (swap accounting)",
                    List.of(new Target(dir.resolve(v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes"), value)),
                    false));
        } else if (l.memory() != null) {
            // Docker: without --memory-swap the container may swap as much again as its memory limit.
            String value = v2 ? Long.toString(l.memory()) : Long.toString(2 * l.memory());
            out.add(new Write(flag(flags, Limits.MEMORY), "memory (swap accounting)",
                    List.of(new Target(dir.resolve(v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes"), value)),
                    true));
        }
        if (l.memoryReservation() != null) {
            out.add(Write.of(flag(flags, Limits.MEMORY_RESERVATION), c,
                    dir.resolve(v2 ? "memory.low" : "memory.soft_limit_in_bytes"), Long.toString(l.memoryReservation())));
        }
    }

    private static void cpu(Limits l, Placement p, Map<String, String> flags, List<Write> out) {
        Optional<Placement.Dir> d = p.controller(Placement.CPU);
        if (d.isEmpty()) {
            return;
        }
        Path dir = d.get().path();
        boolean v2 = d.get().v2();
        if (l.cpuQuotaUs() != null) {
            String f = flag(flags, Limits.CPUS);
            if (v2) {
                out.add(Write.of(f, "cpu", dir.resolve("cpu.max"), l.cpuQuotaUs() + " " + Limits.CPU_PERIOD_US));
            } else {
                out.add(Write.of(f, "cpu", dir.resolve("cpu.cfs_period_us"), Long.toString(Limits.CPU_PERIOD_US)));
                out.add(Write.of(f, "cpu", dir.resolve("cpu.cfs_quota_us"), Long.toString(l.cpuQuotaUs())));
            }
        }
        if (l.cpuShares() != null) {
            out.add(Write.of(flag(flags, Limits.CPU_SHARES), "cpu", dir.resolve(v2 ? "cpu.weight" : "cpu.shares"),
                    Long.toString(v2 ? weightOfShares(l.cpuShares()) : l.cpuShares())));
        }
    }

    private static void cpuset(Limits l, Placement p, Map<String, String> flags, List<Write> out) {
        Optional<Placement.Dir> d = p.controller(Placement.CPUSET);
        if (d.isPresent() && l.cpusetCpus() != null) {
            out.add(Write.of(flag(flags, Limits.CPUSET_CPUS), "cpuset", d.get().path().resolve("cpuset.cpus"),
                    l.cpusetCpus()));
        }
    }

    private static void pids(Limits l, Placement p, Map<String, String> flags, List<Write> out) {
        Optional<Placement.Dir> d = p.controller(Placement.PIDS);
        if (d.isPresent() && l.pidsLimit() != null) {
            out.add(Write.of(flag(flags, Limits.PIDS_LIMIT), "pids", d.get().path().resolve("pids.max"),
                    l.pidsLimit() == -1 ? "max" : Long.toString(l.pidsLimit())));
        }
    }

    private static void io(Limits l, Placement p, Map<String, String> flags, List<Write> out) {
        Optional<Placement.Dir> d = p.controller(Placement.IO);
        if (d.isEmpty() || !l.needsIo()) {
            return;
        }
        Path dir = d.get().path();
        boolean v2 = d.get().v2();
        String c = v2 ? "io" : "blkio";
        if (l.blkioWeight() != null) {
            String w = Integer.toString(l.blkioWeight());
            List<Target> choices = v2
                    ? List.of(new Target(dir.resolve("io.bfq.weight"), w), new Target(dir.resolve("io.weight"),
                            "default " + w))
                    : List.of(new Target(dir.resolve("blkio.weight"), w), new Target(dir.resolve("blkio.bfq.weight"), w));
            out.add(new Write(flag(flags, Limits.BLKIO_WEIGHT), c + " (weight: needs the BFQ or CFQ I/O scheduler)",
                    choices, false));
        }
        for (Limits.DeviceRate r : l.readBps()) {
            out.add(Write.of(r.flag(), c, dir.resolve(v2 ? "io.max" : "blkio.throttle.read_bps_device"),
                    r.device().numbers() + (v2 ? " rbps=" : " ") + r.bytesPerSecond()));
        }
        for (Limits.DeviceRate r : l.writeBps()) {
            out.add(Write.of(r.flag(), c, dir.resolve(v2 ? "io.max" : "blkio.throttle.write_bps_device"),
                    r.device().numbers() + (v2 ? " wbps=" : " ") + r.bytesPerSecond()));
        }
    }

    /** v1 only: deny everything, then allow the rules one by one, as runc does. v2 uses {@link DeviceFilter}. */
    private static void devices(Limits l, Placement p, List<Write> out) {
        Optional<Placement.Dir> d = p.controller(Placement.DEVICES);
        if (d.isEmpty() || d.get().v2()) {
            return;
        }
        Path dir = d.get().path();
        out.add(Write.of("device access", "devices", dir.resolve("devices.deny"), "a"));
        for (DeviceRule r : l.deviceRules()) {
            out.add(Write.of("device access", "devices", dir.resolve("devices.allow"), r.v1()));
        }
    }
}
