package io.cordon.linux;

import io.cordon.api.CordonException;
import io.cordon.api.ProcessIsolation;
import io.cordon.api.ProcessIsolation.CgroupMembership;
import io.cordon.api.ProcessIsolation.NamespaceLink;
import io.cordon.api.ProcessIsolation.SeccompMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads a {@link ProcessIsolation} from {@code /proc}: any host process, launched by cordon or not. */
public final class ProcessIsolationReader {
    private ProcessIsolationReader() {
    }

    /**
     * Limit files read per hierarchy: v1 controller files, then v2 files; a file that is absent is left out.
     * These are the limits Docker's flags set, which is what a user checks.
     */
    private static final Map<String, List<String>> LIMIT_FILES = Map.of(
            "memory", List.of("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes"),
            "cpu", List.of("cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares"),
            "cpuset", List.of("cpuset.cpus", "cpuset.mems"),
            "pids", List.of("pids.max"),
            "blkio", List.of("blkio.weight"),
            "unified", List.of("memory.max", "memory.swap.max", "memory.low", "cpu.max", "cpu.weight",
                    "cpuset.cpus", "pids.max", "io.max"));

    /** The running host: {@code /proc} and the cgroup mounts of this process's mount namespace. */
    public static ProcessIsolation of(int pid) {
        return read(Path.of("/proc"), pid, CgroupLayout.host());
    }

    /**
     * Reads {@code procRoot/PID} (and {@code procRoot/1} for the host's namespaces); cgroup paths are looked up
     * under the mount points of {@code layout}.
     *
     * @throws CordonException if there is no such process or its files cannot be read
     */
    public static ProcessIsolation read(Path procRoot, int pid, CgroupLayout layout) {
        Path dir = procRoot.resolve(Integer.toString(pid));
        if (pid <= 0 || !Files.isDirectory(dir)) {
            throw new CordonException("no process with pid " + pid + " on this host (see ps -e)");
        }
        try {
            Map<String, String> status = status(Files.readString(dir.resolve("status")));
            Map<String, Long> caps = new LinkedHashMap<>();
            List<String> keys = List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb");
            for (int i = 0; i < keys.size(); i++) {
                caps.put(ProcessIsolation.CAPABILITY_SETS.get(i), Long.parseUnsignedLong(require(status, keys.get(i), pid), 16));
            }
            String reference = hostReference(procRoot);
            return new ProcessIsolation(pid, reference.equals("1") ? "the host's init (pid 1)"
                    : "this runtime (pid " + reference + "; pid 1's namespaces cannot be read here)",
                    namespaces(procRoot.resolve(reference), dir), cgroups(dir, layout), caps,
                    "1".equals(status.get("NoNewPrivs")), SeccompMode.of(require(status, "Seccomp", pid)),
                    Integer.parseInt(status.getOrDefault("Seccomp_filters", "0")), lsmLabel(dir));
        } catch (NoSuchFileException e) {
            throw new CordonException("process " + pid + " is gone (it exited while it was read)");
        } catch (IOException e) {
            throw new CordonException("cannot read " + dir + ": " + e.getMessage());
        }
    }

    private static String require(Map<String, String> status, String key, int pid) {
        String v = status.get(key);
        if (v == null) {
            throw new CordonException("/proc/" + pid + "/status has no " + key + " line (kernel too old?)");
        }
        return v;
    }

    static Map<String, String> status(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                m.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return m;
    }

    /**
     * Whose namespaces count as the host's: pid 1's, unless this process may not read them (the kernel
     * checks ptrace access, which fails where pid 1 holds a capability this process lacks, e.g. inside a
     * sandbox); then this runtime's own, which runs in the host's namespaces.
     */
    private static String hostReference(Path procRoot) {
        try {
            Path ns = procRoot.resolve("1").resolve("ns");
            try (var links = Files.list(ns)) {
                for (Path link : (Iterable<Path>) links::iterator) {
                    Files.readSymbolicLink(link);
                }
            }
            return "1";
        } catch (IOException e) {
            return procRoot.resolve("self").toFile().exists()
                    ? Long.toString(ProcessHandle.current().pid()) : "1";
        }
    }

    private static List<NamespaceLink> namespaces(Path reference, Path dir) throws IOException {
        List<NamespaceLink> out = new ArrayList<>();
        for (String type : ProcessIsolation.NAMESPACE_TYPES) {
            Optional<Long> own = inode(dir.resolve("ns").resolve(type));
            Optional<Long> host = inode(reference.resolve("ns").resolve(type));
            if (own.isPresent() && host.isPresent()) {
                out.add(new NamespaceLink(type, own.get(), host.get()));
            }
        }
        return out;
    }

    /** {@code net:[4026531840]} to its inode; empty where the kernel lacks that namespace type. */
    private static Optional<Long> inode(Path link) throws IOException {
        if (!Files.isSymbolicLink(link)) {
            return Optional.empty();
        }
        String target = Files.readSymbolicLink(link).toString();
        int open = target.indexOf('[');
        int close = target.indexOf(']');
        if (open < 0 || close < open) {
            throw new IOException(link + " reads '" + target + "', not TYPE:[INODE]");
        }
        return Optional.of(Long.parseLong(target.substring(open + 1, close)));
    }

    /** {@code /proc/PID/cgroup} lines {@code ID:CONTROLLERS:PATH}, each with the limits under its mount. */
    private static List<CgroupMembership> cgroups(Path dir, CgroupLayout layout) throws IOException {
        List<CgroupMembership> out = new ArrayList<>();
        for (String line : Files.readString(dir.resolve("cgroup")).split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            boolean v2 = f[1].isEmpty();
            String label = v2 ? "unified" : f[1];
            Map<String, String> limits = new LinkedHashMap<>();
            for (CgroupLayout.Hierarchy h : layout.hierarchies()) {
                if (h.v2() != v2 || !h.label().equals(label)) {
                    continue;
                }
                // The path is relative to the hierarchy's root; the mount shows that root at its mount point.
                String rel = f[2].startsWith(h.root()) ? f[2].substring(h.root().length()) : f[2];
                Path cg = h.mountPoint().resolve(rel.replaceFirst("^/+", ""));
                for (String controller : v2 ? List.of("unified") : List.copyOf(h.controllers())) {
                    for (String file : LIMIT_FILES.getOrDefault(controller, List.of())) {
                        Path p = cg.resolve(file);
                        if (Files.isRegularFile(p)) {
                            limits.put(file, Files.readString(p).trim().replace('\n', ' '));
                        }
                    }
                }
            }
            out.add(new CgroupMembership(label, f[2], limits));
        }
        return out;
    }

    /** attr/current; empty without an LSM that labels processes (the kernel answers EINVAL then). */
    private static Optional<String> lsmLabel(Path dir) {
        try {
            String label = Files.readString(dir.resolve("attr").resolve("current")).replace("\0", "").trim();
            return label.isEmpty() ? Optional.empty() : Optional.of(label);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

}
