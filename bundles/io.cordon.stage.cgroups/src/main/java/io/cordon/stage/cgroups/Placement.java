package io.cordon.stage.cgroups;

import io.cordon.api.CordonException;
import io.cordon.linux.CgroupLayout;
import io.cordon.linux.CgroupLayout.Hierarchy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where one container's cgroups go: a directory {@code <parent>/<id>} in every
 * mounted hierarchy (each v1 one and the unified one), and for each controller the
 * directory whose files control it. A controller lives on v1 when a v1 hierarchy
 * carries it (a hybrid host's v1 controllers), else on cgroup2 when its root
 * lists it; the CPU accounting, freezer and device control that cgroup2 has
 * without a controller come from the unified directory.
 */
final class Placement {
    static final String MEMORY = "memory";
    static final String CPU = "cpu";
    static final String CPUACCT = "cpuacct";
    static final String CPUSET = "cpuset";
    static final String PIDS = "pids";
    /** blkio on v1, io on v2. */
    static final String IO = "io";
    static final String DEVICES = "devices";
    static final String FREEZER = "freezer";
    private static final List<String> ALL = List.of(MEMORY, CPU, CPUACCT, CPUSET, PIDS, IO, DEVICES, FREEZER);
    /** What cgroup2 gives every cgroup without enabling a controller. */
    private static final Set<String> V2_CORE = Set.of(CPUACCT, DEVICES, FREEZER);
    /** cgroup2 controllers enabled for every container when the host has them (stats, OOM events). */
    private static final List<String> V2_ALWAYS = List.of(MEMORY, PIDS, CPU);

    /** One of the container's cgroup directories and the hierarchy it is in. */
    record Dir(Hierarchy hierarchy, Path path) {
        boolean v2() {
            return hierarchy.v2();
        }

        /** The cgroup's path inside its hierarchy, e.g. /cordon/ID. */
        String cgroupPath() {
            return "/" + hierarchy.mountPoint().relativize(path);
        }
    }

    private final String parent;
    private final List<Dir> dirs;
    private final Map<String, Dir> controllers;
    private final Dir unified;
    private final Set<String> v2Enable;

    private Placement(String parent, List<Dir> dirs, Map<String, Dir> controllers, Dir unified, Set<String> v2Enable) {
        this.parent = parent;
        this.dirs = List.copyOf(dirs);
        this.controllers = Collections.unmodifiableMap(controllers);
        this.unified = unified;
        this.v2Enable = Collections.unmodifiableSet(v2Enable);
    }

    /**
     * Places the container {@code id}; refuses (one line, naming the controller and
     * the flag) a limit no hierarchy of this host can enforce.
     *
     * @param requirements the spec's requirement keys with the flags that asked for them
     */
    static Placement of(CgroupLayout layout, Set<String> unifiedControllers, Limits limits, String id,
            Map<String, String> requirements) {
        List<Dir> dirs = new ArrayList<>();
        Dir unified = null;
        for (Hierarchy h : layout.hierarchies()) {
            Dir d = new Dir(h, h.mountPoint().resolve(limits.parent()).resolve(id));
            dirs.add(d);
            if (h.v2()) {
                unified = d;
            }
        }
        Map<String, Dir> controllers = new LinkedHashMap<>();
        for (String c : ALL) {
            Optional<Hierarchy> v1 = layout.v1(c.equals(IO) ? "blkio" : c);
            if (v1.isPresent()) {
                controllers.put(c, dirs.stream().filter(d -> d.hierarchy().equals(v1.get())).findFirst().orElseThrow());
            } else if (unified != null && (V2_CORE.contains(c) || unifiedControllers.contains(c))) {
                controllers.put(c, unified);
            }
        }
        require(controllers, MEMORY, limits.needsMemory(), requirements, Limits.MEMORY, Limits.MEMORY_SWAP,
                Limits.MEMORY_RESERVATION);
        require(controllers, CPU, limits.needsCpu(), requirements, Limits.CPUS, Limits.CPU_SHARES);
        require(controllers, CPUSET, limits.cpusetCpus() != null, requirements, Limits.CPUSET_CPUS);
        require(controllers, PIDS, limits.pidsLimit() != null, requirements, Limits.PIDS_LIMIT);
        require(controllers, IO, limits.needsIo(), requirements, Limits.BLKIO_WEIGHT, Limits.DEVICE_READ_BPS,
                Limits.DEVICE_WRITE_BPS);
        if (!controllers.containsKey(DEVICES)) {
            throw new CordonException(who(requirements, Limits.DEVICE) + "the host has no devices cgroup controller"
                    + " and no cgroup2 hierarchy for a device program: cordon cannot keep containers off the host's"
                    + " devices");
        }
        Set<String> enable = new LinkedHashSet<>();
        for (Map.Entry<String, Dir> e : controllers.entrySet()) {
            String c = e.getKey();
            if (e.getValue().v2() && !V2_CORE.contains(c)
                    && (V2_ALWAYS.contains(c) || (c.equals(CPUSET) && limits.cpusetCpus() != null)
                            || (c.equals(IO) && limits.needsIo()))) {
                enable.add(c);
            }
        }
        return new Placement(limits.parent(), dirs, controllers, unified, enable);
    }

    private static void require(Map<String, Dir> controllers, String controller, boolean needed,
            Map<String, String> requirements, String... keys) {
        if (!needed || controllers.containsKey(controller)) {
            return;
        }
        String v1Name = controller.equals(IO) ? "blkio" : controller;
        throw new CordonException(who(requirements, keys) + "the host has no " + v1Name
                + " cgroup controller (no cgroup v1 hierarchy carries it and cgroup2's cgroup.controllers does not"
                + " list " + controller + ")");
    }

    /** "--memory 64m: " for the first of these keys the spec asked for, or "" if none. */
    private static String who(Map<String, String> requirements, String... keys) {
        for (String k : keys) {
            if (requirements.containsKey(k)) {
                return requirements.get(k) + ": ";
            }
        }
        return "";
    }

    String parent() {
        return parent;
    }

    /** Every directory of the container: v1 hierarchies first, then the unified one. */
    List<Dir> dirs() {
        return dirs;
    }

    Optional<Dir> controller(String name) {
        return Optional.ofNullable(controllers.get(name));
    }

    Optional<Dir> unified() {
        return Optional.ofNullable(unified);
    }

    /** cgroup2 controllers to enable in cgroup.subtree_control from the root down to the parent. */
    Set<String> v2Enable() {
        return v2Enable;
    }
}
