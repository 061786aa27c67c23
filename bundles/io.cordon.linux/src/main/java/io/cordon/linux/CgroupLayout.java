package io.cordon.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The host's cgroup hierarchies as {@code /proc/self/mountinfo} shows them: v1
 * hierarchies (one per mounted controller set, plus named ones such as
 * {@code name=systemd}) and the v2 unified hierarchy. From them follows the
 * layout: {@link Kind#UNIFIED} (cgroup v2 only), {@link Kind#LEGACY} (v1 only) or
 * {@link Kind#HYBRID} (v1 controllers and a cgroup2 mount, often without
 * controllers, at {@code /sys/fs/cgroup/unified}).
 */
public final class CgroupLayout {

    /** Controllers a v1 mount can carry; any other super option is a mount option, not a controller. */
    public static final Set<String> V1_CONTROLLERS = Set.of("cpuset", "cpu", "cpuacct", "blkio", "memory",
            "devices", "freezer", "net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "debug");

    public enum Kind {
        /** cgroup v2 only. */
        UNIFIED("cgroup v2"),
        /** cgroup v1 only. */
        LEGACY("cgroup v1"),
        /** v1 controllers plus a cgroup2 mount. */
        HYBRID("cgroup v1 with a cgroup2 hierarchy (hybrid)"),
        /** No cgroup filesystem mounted. */
        NONE("no cgroup filesystem");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /**
     * One mounted hierarchy. {@code root} is the cgroup the mount shows as its top
     * (usually {@code /}); {@code controllers} is empty for cgroup2 (read
     * {@code cgroup.controllers} for those) and for named v1 hierarchies.
     */
    public record Hierarchy(boolean v2, Path mountPoint, String root, Set<String> controllers, String name) {
        public Hierarchy {
            controllers = Collections.unmodifiableSet(new LinkedHashSet<>(controllers));
        }

        /** The mount(2) data that mounts this hierarchy again (e.g. in a cgroup namespace). */
        public String mountData() {
            if (v2) {
                return "";
            }
            List<String> opts = new ArrayList<>(controllers);
            if (name != null) {
                if (opts.isEmpty()) {
                    opts.add("none");
                }
                opts.add("name=" + name);
            }
            return String.join(",", opts);
        }

        /** A short label: the controllers, {@code name=X}, or {@code unified}. */
        public String label() {
            if (v2) {
                return "unified";
            }
            String s = String.join(",", controllers);
            return name == null ? s : s.isEmpty() ? "name=" + name : s + ",name=" + name;
        }
    }

    private final List<Hierarchy> hierarchies;

    private CgroupLayout(List<Hierarchy> hierarchies) {
        this.hierarchies = List.copyOf(hierarchies);
    }

    /** The running host's layout, from /proc/self/mountinfo. */
    public static CgroupLayout host() {
        try {
            return parse(Files.readString(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
    }

    /**
     * Parses mountinfo text. A hierarchy mounted more than once counts once (the
     * mount showing the most of it, i.e. the shortest root, wins; then the first).
     */
    public static CgroupLayout parse(String mountinfo) {
        List<Hierarchy> found = new ArrayList<>();
        List<String> devices = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            String[] f = line.trim().split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash < 6 || f.length < dash + 4) {
                continue;
            }
            String fstype = f[dash + 1];
            if (!fstype.equals("cgroup") && !fstype.equals("cgroup2")) {
                continue;
            }
            String device = f[2];
            String root = unescape(f[3]);
            Path mountPoint = Path.of(unescape(f[4]));
            Set<String> controllers = new LinkedHashSet<>();
            String name = null;
            if (fstype.equals("cgroup")) {
                for (String opt : f[dash + 3].split(",")) {
                    if (V1_CONTROLLERS.contains(opt)) {
                        controllers.add(opt);
                    } else if (opt.startsWith("name=")) {
                        name = opt.substring(5);
                    }
                }
                if (controllers.isEmpty() && name == null) {
                    continue;
                }
            }
            Hierarchy h = new Hierarchy(fstype.equals("cgroup2"), mountPoint, root, controllers, name);
            int seen = devices.indexOf(device);
            if (seen < 0) {
                devices.add(device);
                found.add(h);
            } else if (root.length() < found.get(seen).root().length()) {
                found.set(seen, h);
            }
        }
        // v1 hierarchies first (they carry the controllers on a hybrid host), then cgroup2.
        List<Hierarchy> ordered = new ArrayList<>();
        found.stream().filter(h -> !h.v2()).forEach(ordered::add);
        found.stream().filter(Hierarchy::v2).limit(1).forEach(ordered::add);
        return new CgroupLayout(ordered);
    }

    /** For tests and tools: a layout of exactly these hierarchies. */
    public static CgroupLayout of(List<Hierarchy> hierarchies) {
        return new CgroupLayout(hierarchies);
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 4 <= s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    public Kind kind() {
        boolean v1 = hierarchies.stream().anyMatch(h -> !h.v2() && !h.controllers().isEmpty());
        boolean v2 = unified().isPresent();
        if (v1 && v2) {
            return Kind.HYBRID;
        }
        if (v1) {
            return Kind.LEGACY;
        }
        return v2 ? Kind.UNIFIED : Kind.NONE;
    }

    /** Every hierarchy: v1 ones (controllers and named), then the unified one if mounted. */
    public List<Hierarchy> hierarchies() {
        return hierarchies;
    }

    /** The v1 hierarchy carrying this controller. */
    public Optional<Hierarchy> v1(String controller) {
        return hierarchies.stream().filter(h -> !h.v2() && h.controllers().contains(controller)).findFirst();
    }

    /** The cgroup2 hierarchy. */
    public Optional<Hierarchy> unified() {
        return hierarchies.stream().filter(Hierarchy::v2).findFirst();
    }

    /** Controllers of the cgroup2 hierarchy (its root's {@code cgroup.controllers}); empty if none or unreadable. */
    public Set<String> unifiedControllers() {
        Optional<Hierarchy> u = unified();
        if (u.isEmpty()) {
            return Set.of();
        }
        try {
            Set<String> out = new HashSet<>();
            for (String c : Files.readString(u.get().mountPoint().resolve("cgroup.controllers")).trim().split("\\s+")) {
                if (!c.isEmpty()) {
                    out.add(c);
                }
            }
            return Set.copyOf(out);
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** One line for {@code cordon stages}: the kind and where each hierarchy is mounted. */
    public String describe() {
        if (hierarchies.isEmpty()) {
            return kind().description();
        }
        Optional<Hierarchy> u = unified();
        StringBuilder s = new StringBuilder(kind().description());
        if (kind() == Kind.HYBRID) {
            s.append(": v1 under ").append(commonParent()).append(", cgroup2 at ").append(u.get().mountPoint());
        } else if (kind() == Kind.UNIFIED) {
            s.append(" at ").append(u.get().mountPoint());
        } else {
            s.append(" under ").append(commonParent());
        }
        return s.toString();
    }

    private Path commonParent() {
        Path p = null;
        for (Hierarchy h : hierarchies) {
            if (h.v2()) {
                continue;
            }
            Path parent = h.mountPoint().getParent();
            p = p == null ? parent : p.equals(parent) ? p : Path.of("/");
        }
        return p == null ? Path.of("/") : p;
    }
}
