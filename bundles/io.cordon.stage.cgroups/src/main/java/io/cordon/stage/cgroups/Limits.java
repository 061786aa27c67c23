package io.cordon.stage.cgroups;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * The cgroup settings of one spec, parsed and checked the way {@code docker run}
 * checks them. Every bad value is a one-line {@link CordonException} naming the
 * flag, thrown before anything exists on the host.
 */
record Limits(
        String parent,
        Long memory,
        Long memoryReservation,
        /** -1: unlimited; null: not given (Docker's default is twice the memory limit). */
        Long memorySwap,
        /** CFS quota in microseconds per {@link #CPU_PERIOD_US}, or null. */
        Long cpuQuotaUs,
        Integer cpuShares,
        String cpusetCpus,
        /** -1: unlimited. */
        Long pidsLimit,
        Integer blkioWeight,
        List<DeviceRate> readBps,
        List<DeviceRate> writeBps,
        List<DeviceGrant> devices) {

    static final String MEMORY = "memory";
    static final String MEMORY_RESERVATION = "memory-reservation";
    static final String MEMORY_SWAP = "memory-swap";
    static final String CPUS = "cpus";
    static final String CPU_SHARES = "cpu-shares";
    static final String CPUSET_CPUS = "cpuset-cpus";
    static final String PIDS_LIMIT = "pids-limit";
    static final String BLKIO_WEIGHT = "blkio-weight";
    static final String DEVICE_READ_BPS = "device-read-bps";
    static final String DEVICE_WRITE_BPS = "device-write-bps";
    static final String DEVICE = "device";
    static final String CGROUP_PARENT = "cgroup-parent";
    static final List<String> KEYS = List.of(MEMORY, MEMORY_RESERVATION, MEMORY_SWAP, CPUS, CPU_SHARES, CPUSET_CPUS,
            PIDS_LIMIT, BLKIO_WEIGHT, DEVICE_READ_BPS, DEVICE_WRITE_BPS, DEVICE, CGROUP_PARENT);

    static final String DEFAULT_PARENT = "cordon";
    static final long CPU_PERIOD_US = 100_000;
    /** Docker's floor: below this a container cannot even start its runtime. */
    static final long MIN_MEMORY = 6L << 20;

    /** A throttled block device: {@code --device-read-bps /dev/vda:1mb}. */
    record DeviceRate(String flag, DeviceNode device, long bytesPerSecond) {
    }

    /** A host device given to the container: {@code --device HOST[:CONTAINER[:PERMS]]}. */
    record DeviceGrant(String flag, Path hostPath, String containerPath, String access, DeviceNode node) {
        DeviceRule rule() {
            return new DeviceRule(node.type(), node.major(), node.minor(), access);
        }
    }

    boolean needsMemory() {
        return memory != null || memoryReservation != null || memorySwap != null;
    }

    boolean needsCpu() {
        return cpuQuotaUs != null || cpuShares != null;
    }

    boolean needsIo() {
        return blkioWeight != null || !readBps.isEmpty() || !writeBps.isEmpty();
    }

    /** The device allow list: the defaults and every --device. */
    List<DeviceRule> deviceRules() {
        List<DeviceRule> rules = new ArrayList<>(DeviceRule.DEFAULTS);
        devices.forEach(d -> rules.add(d.rule()));
        return rules;
    }

    static Limits parse(ContainerSpec spec, Host host) {
        String parent = spec.setting(CGROUP_PARENT).map(Limits::parent).orElse(DEFAULT_PARENT);
        Long memory = spec.setting(MEMORY).map(v -> size(MEMORY, v)).filter(v -> v != 0).orElse(null);
        if (memory != null && memory < MIN_MEMORY) {
            throw bad(MEMORY, spec.setting(MEMORY).get(), "the minimum memory limit is 6 MiB");
        }
        Long reservation = spec.setting(MEMORY_RESERVATION).map(v -> size(MEMORY_RESERVATION, v)).filter(v -> v != 0)
                .orElse(null);
        if (reservation != null && memory != null && reservation > memory) {
            throw bad(MEMORY_RESERVATION, spec.setting(MEMORY_RESERVATION).get(),
                    "the reservation must not be above the memory limit (--memory " + spec.setting(MEMORY).get() + ")");
        }
        Long swap = null;
        Optional<String> swapText = spec.setting(MEMORY_SWAP);
        if (swapText.isPresent()) {
            String v = swapText.get();
            swap = v.equals("-1") ? -1L : size(MEMORY_SWAP, v);
            if (memory == null) {
                throw bad(MEMORY_SWAP, v, "set --memory too: the swap limit is memory plus swap");
            }
            if (swap != -1 && swap < memory) {
                throw bad(MEMORY_SWAP, v, "memory plus swap must be at least the memory limit (--memory "
                        + spec.setting(MEMORY).get() + ")");
            }
        }
        Long quota = spec.setting(CPUS).map(v -> cpus(v, host)).filter(q -> q != 0).orElse(null);
        Integer shares = spec.setting(CPU_SHARES).map(Limits::shares).orElse(null);
        String cpuset = spec.setting(CPUSET_CPUS).map(v -> cpuset(v, host)).orElse(null);
        Long pids = spec.setting(PIDS_LIMIT).map(Limits::pids).orElse(null);
        Integer weight = spec.setting(BLKIO_WEIGHT).map(Limits::weight).orElse(null);
        List<DeviceRate> read = new ArrayList<>();
        spec.settings(DEVICE_READ_BPS).forEach(v -> read.add(rate(DEVICE_READ_BPS, v, host)));
        List<DeviceRate> write = new ArrayList<>();
        spec.settings(DEVICE_WRITE_BPS).forEach(v -> write.add(rate(DEVICE_WRITE_BPS, v, host)));
        List<DeviceGrant> devices = new ArrayList<>();
        spec.settings(DEVICE).forEach(v -> devices.add(device(v, host)));
        return new Limits(parent, memory, reservation, swap, quota, shares, cpuset, pids, weight, List.copyOf(read),
                List.copyOf(write), List.copyOf(devices));
    }

    static CordonException bad(String flag, String value, String why) {
        return new CordonException("--" + flag + " " + value + ": " + why);
    }

    private static long size(String flag, String v) {
        long n = Sizes.parse(v);
        if (n < 0) {
            throw bad(flag, v, "not a size (a number of bytes with an optional unit b, k, m, g, t, e.g. 512m)");
        }
        return n;
    }

    private static String parent(String v) {
        String p = v.startsWith("/") ? v.substring(1) : v;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        for (String part : p.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..") || !part.matches("[A-Za-z0-9_.@:+-]+")) {
                throw bad(CGROUP_PARENT, v, "a cgroup path of names made of letters, digits and _ . @ : + -"
                        + " (no empty, . or .. parts), e.g. cordon or /tenants/a");
            }
        }
        return p;
    }

    private static long cpus(String v, Host host) {
        int n = host.onlineCpus().cardinality();
        String range = "range of CPUs is from 0.01 to " + n + ".00, as there " + (n == 1 ? "is only 1 CPU" : "are only "
                + n + " CPUs") + " available";
        BigDecimal cpus;
        try {
            cpus = new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw bad(CPUS, v, "not a number of CPUs (e.g. 1.5); " + range);
        }
        if (cpus.signum() == 0) {
            return 0; // Docker: 0 means no limit
        }
        if (cpus.compareTo(new BigDecimal("0.01")) < 0 || cpus.compareTo(BigDecimal.valueOf(n)) > 0) {
            throw bad(CPUS, v, range);
        }
        return cpus.multiply(BigDecimal.valueOf(CPU_PERIOD_US)).setScale(0, java.math.RoundingMode.HALF_UP)
                .longValueExact();
    }

    private static Integer shares(String v) {
        int s = integer(CPU_SHARES, v, "a relative weight from 2 to 262144 (the default is 1024)");
        if (s == 0) {
            return null; // Docker: 0 means the default
        }
        if (s < 2 || s > 262144) {
            throw bad(CPU_SHARES, v, "a relative weight from 2 to 262144 (the default is 1024)");
        }
        return s;
    }

    private static String cpuset(String v, Host host) {
        BitSet want = CpuList.parse(v);
        if (want == null || want.isEmpty()) {
            throw bad(CPUSET_CPUS, v, "a list of CPUs such as 0-1 or 0,2");
        }
        BitSet online = host.onlineCpus();
        BitSet missing = (BitSet) want.clone();
        missing.andNot(online);
        if (!missing.isEmpty()) {
            throw bad(CPUSET_CPUS, v, "CPU " + CpuList.format(missing) + " is not online on this host (online: "
                    + CpuList.format(online) + ")");
        }
        return CpuList.format(want);
    }

    private static Long pids(String v) {
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad(PIDS_LIMIT, v, "a whole number of processes (0 or -1: unlimited)");
        }
        return n <= 0 ? -1L : n;
    }

    private static Integer weight(String v) {
        int w = integer(BLKIO_WEIGHT, v, "a weight from 10 to 1000");
        if (w == 0) {
            return null;
        }
        if (w < 10 || w > 1000) {
            throw bad(BLKIO_WEIGHT, v, "a weight from 10 to 1000");
        }
        return w;
    }

    private static int integer(String flag, String v, String what) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw bad(flag, v, what);
        }
    }

    private static DeviceRate rate(String flag, String v, Host host) {
        int colon = v.lastIndexOf(':');
        if (colon <= 0) {
            throw bad(flag, v, "expected DEVICE:RATE, e.g. /dev/sda:1mb");
        }
        String path = v.substring(0, colon);
        long bps = Sizes.parse(v.substring(colon + 1));
        if (bps < 0) {
            throw bad(flag, v, "the rate is not a size (bytes per second, e.g. 1mb)");
        }
        DeviceNode node = host.device(Path.of(path));
        if (node == null || node.type() != 'b') {
            throw bad(flag, v, path + " is not a block device on this host");
        }
        return new DeviceRate("--" + flag + " " + v, node, bps);
    }

    private static DeviceGrant device(String v, Host host) {
        String[] parts = v.split(":", -1);
        String hostPath = parts[0];
        String containerPath = hostPath;
        String access = "rwm";
        if (parts.length == 2) {
            if (parts[1].matches("[rwm]+")) {
                access = parts[1];
            } else {
                containerPath = parts[1];
            }
        } else if (parts.length == 3) {
            containerPath = parts[1];
            access = parts[2];
        } else if (parts.length > 3) {
            throw bad(DEVICE, v, "expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]");
        }
        if (!hostPath.startsWith("/") || !containerPath.startsWith("/") || containerPath.contains("/../")
                || containerPath.endsWith("/..")) {
            throw bad(DEVICE, v, "both paths must be absolute, without '..'");
        }
        if (Path.of(containerPath).normalize().getNameCount() == 0) {
            throw bad(DEVICE, v, "the container path must name a file, not /");
        }
        if (!access.matches("r?w?m?") || access.isEmpty()) {
            access = normalise(access);
            if (access == null) {
                throw bad(DEVICE, v, "permissions are a combination of r, w and m");
            }
        }
        DeviceNode node = host.device(Path.of(hostPath));
        if (node == null) {
            throw bad(DEVICE, v, hostPath + " is not a device node on this host");
        }
        return new DeviceGrant("--" + DEVICE + " " + v, Path.of(hostPath), Path.of(containerPath).normalize()
                .toString(), access, node);
    }

    /** "mwr" as "rwm"; null if not a non-empty combination of r, w and m. */
    private static String normalise(String access) {
        if (access.isEmpty() || !access.matches("[rwm]{1,3}") || access.chars().distinct().count() != access.length()) {
            return null;
        }
        return (access.contains("r") ? "r" : "") + (access.contains("w") ? "w" : "") + (access.contains("m") ? "m" : "");
    }
}
