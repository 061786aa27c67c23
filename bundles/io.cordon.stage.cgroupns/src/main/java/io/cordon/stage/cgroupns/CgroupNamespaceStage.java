package io.cordon.stage.cgroupns;

import static io.cordon.api.plan.MountFlags.NODEV;
import static io.cordon.api.plan.MountFlags.NOEXEC;
import static io.cordon.api.plan.MountFlags.NOSUID;
import static io.cordon.api.plan.MountFlags.RDONLY;
import static io.cordon.api.plan.MountFlags.REMOUNT;

import io.cordon.api.Availability;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import io.cordon.api.plan.SyscallArg;
import io.cordon.linux.CgroupLayout;
import io.cordon.linux.KernelProbe;
import io.cordon.linux.SyscallNumbers;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Component;

/**
 * A cgroup namespace: inside, {@code /proc/self/cgroup} shows the container's own
 * cgroups as {@code /}, and {@code /sys/fs/cgroup} is the container's own subtree
 * of each hierarchy, read-only.
 *
 * <p>The namespace is not created at clone: its root is the cgroup of the process
 * that creates it, and at clone the child is still in cordon's cgroups. The child
 * unshares it as its first op instead, after the cgroups stage moved it into the
 * container's cgroups (attach runs before the child is let go), as runc does.
 */
@Component(property = IsolationStage.ORDER + ":Integer=50")
public class CgroupNamespaceStage implements IsolationStage {
    static final String CGROUP_ROOT = "/sys/fs/cgroup";
    private static final long FLAGS = NOSUID | NODEV | NOEXEC;

    private final Supplier<CgroupLayout> layout;
    private final Path hostCgroupRoot;

    public CgroupNamespaceStage() {
        this(CgroupLayout::host, Path.of(CGROUP_ROOT));
    }

    CgroupNamespaceStage(Supplier<CgroupLayout> layout, Path hostCgroupRoot) {
        this.layout = layout;
        this.hostCgroupRoot = hostCgroupRoot;
    }

    @Override
    public String name() {
        return "cgroupns";
    }

    @Override
    public Phase phase() {
        return Phase.NAMESPACES;
    }

    @Override
    public java.util.Set<String> handles() {
        return java.util.Set.of();
    }

    @Override
    public Availability probe() {
        return KernelProbe.namespace(Namespace.CGROUP);
    }

    @Override
    public StageRun open(StageContext context) {
        return this::contribute;
    }

    private void contribute(PlanBuilder plan) throws IOException {
        plan.add(Phase.NAMESPACES, new Op.Syscall(SyscallNumbers.unshare(),
                List.of(new SyscallArg.Immediate(Namespace.CGROUP.cloneFlag()))));
        if (!plan.unshares(Namespace.MOUNT)) {
            return; // no private mounts: /sys/fs/cgroup would be the host's
        }
        CgroupLayout l = layout.get();
        if (l.kind() == CgroupLayout.Kind.NONE) {
            return;
        }
        // After pivot_root; the paths are the container's, resolved in its root by the launcher.
        if (l.kind() == CgroupLayout.Kind.UNIFIED) {
            plan.add(Phase.SYSTEM, Op.MountInRoot.filesystem("cgroup2", "cgroup2", CGROUP_ROOT, RDONLY | FLAGS, ""));
            return;
        }
        // /sys is read-only: a tmpfs on /sys/fs/cgroup holds the mount points, then goes read-only itself.
        plan.add(Phase.SYSTEM, Op.MountInRoot.filesystem("tmpfs", "tmpfs", CGROUP_ROOT, FLAGS, "mode=755,size=64k"));
        Map<String, CgroupLayout.Hierarchy> dirs = directories(l);
        dirs.forEach((dir, h) -> {
            String target = CGROUP_ROOT + "/" + dir;
            plan.add(Phase.SYSTEM, new Op.MkdirInRoot(target, 0555));
            plan.add(Phase.SYSTEM, h.v2() ? Op.MountInRoot.filesystem("cgroup2", "cgroup2", target, RDONLY | FLAGS, "")
                    : Op.MountInRoot.filesystem("cgroup", "cgroup", target, RDONLY | FLAGS, h.mountData()));
        });
        for (Map.Entry<String, String> link : hostSymlinks(dirs).entrySet()) {
            plan.add(Phase.SYSTEM, new Op.SymlinkInRoot(link.getValue(), CGROUP_ROOT + "/" + link.getKey()));
        }
        plan.add(Phase.SYSTEM, Op.MountInRoot.remount(CGROUP_ROOT, REMOUNT | RDONLY | FLAGS, "mode=755,size=64k"));
    }

    /** Directory name under /sys/fs/cgroup for each hierarchy: the host's, else its controllers. */
    private Map<String, CgroupLayout.Hierarchy> directories(CgroupLayout l) {
        Map<String, CgroupLayout.Hierarchy> dirs = new LinkedHashMap<>();
        for (CgroupLayout.Hierarchy h : l.hierarchies()) {
            Path mp = h.mountPoint();
            String name = hostCgroupRoot.equals(mp.getParent()) ? mp.getFileName().toString()
                    : h.name() != null && h.controllers().isEmpty() ? h.name() : h.label();
            dirs.putIfAbsent(name, h);
        }
        return dirs;
    }

    /** The host's symlinks in /sys/fs/cgroup (cpu -> cpu,cpuacct) that point at one of our directories. */
    private Map<String, String> hostSymlinks(Map<String, CgroupLayout.Hierarchy> dirs) {
        Map<String, String> links = new LinkedHashMap<>();
        if (!Files.isDirectory(hostCgroupRoot)) {
            return links;
        }
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(hostCgroupRoot)) {
            s.forEach(entries::add);
        } catch (IOException e) {
            return links;
        }
        entries.sort(null);
        for (Path p : entries) {
            if (!Files.isSymbolicLink(p)) {
                continue;
            }
            try {
                String target = Files.readSymbolicLink(p).toString();
                if (dirs.containsKey(target) && !dirs.containsKey(p.getFileName().toString())) {
                    links.put(p.getFileName().toString(), target);
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return links;
    }
}
