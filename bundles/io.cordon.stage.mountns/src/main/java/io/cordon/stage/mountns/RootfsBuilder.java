package io.cordon.stage.mountns;

import static io.cordon.api.plan.MountFlags.BIND;
import static io.cordon.api.plan.MountFlags.NODEV;
import static io.cordon.api.plan.MountFlags.NOEXEC;
import static io.cordon.api.plan.MountFlags.NOSUID;
import static io.cordon.api.plan.MountFlags.PRIVATE;
import static io.cordon.api.plan.MountFlags.RDONLY;
import static io.cordon.api.plan.MountFlags.REC;
import static io.cordon.api.plan.MountFlags.REMOUNT;
import static io.cordon.api.plan.MountFlags.STRICTATIME;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Op.MountInRoot;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import io.cordon.api.plan.SyscallArg;
import io.cordon.linux.SyscallNumbers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** One launch's mount plan. All mounts happen in the child's private namespace; the host keeps none. */
final class RootfsBuilder implements StageRun {
    /** Host folders the default root binds read-only (or re-creates as the same symlink, on merged-/usr hosts). */
    static final List<String> HOST_SYSTEM_DIRS = List.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32");
    /** The only /etc files the default root copies: what programs and the dynamic linker need, no secrets. */
    static final List<String> ETC_FILES = List.of("passwd", "group", "resolv.conf", "nsswitch.conf", "ld.so.cache",
            "ld.so.conf");
    /** /etc folders that hold only symlinks into /usr; bound read-only. */
    static final List<String> ETC_DIRS_READ_ONLY = List.of("alternatives");
    static final List<String> ETC_DIRS_OF_FILES = List.of("ld.so.conf.d");
    /** Docker's masked paths: hidden behind /dev/null (files) or an empty read-only tmpfs (directories). */
    static final List<String> MASKED_PATHS = List.of("/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
            "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
            "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");
    /** Docker's read-only paths. */
    static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    private record Device(String name, int major, int minor) {
    }

    private static final List<Device> DEVICES = List.of(new Device("null", 1, 3), new Device("zero", 1, 5),
            new Device("full", 1, 7), new Device("random", 1, 8), new Device("urandom", 1, 9),
            new Device("tty", 5, 0));

    private final StageContext context;
    private final ContainerSpec spec;
    private final Path root;
    private final boolean defaultRoot;

    RootfsBuilder(StageContext context) {
        this.context = context;
        this.spec = context.spec();
        this.defaultRoot = spec.rootfs().isEmpty();
        this.root = spec.rootfs().map(Path::normalize).orElse(context.stateDirectory().resolve("rootfs"));
    }

    @Override
    public void prepare() throws IOException {
        if (defaultRoot && !context.dryRun()) {
            // Only the mount point lives on the host; the tmpfs on it exists in the child's namespace alone.
            Files.createDirectories(root);
        }
    }

    @Override
    public void release() throws IOException {
        if (defaultRoot && !context.dryRun()) {
            Files.deleteIfExists(root);
        }
    }

    @Override
    public void contribute(PlanBuilder plan) throws IOException {
        plan.unshare(Namespace.MOUNT);
        // Modes in the plan are meant exactly; umask 022 is put back before exec.
        plan.add(Phase.MOUNTS, new Op.Syscall(SyscallNumbers.umask(), List.of(new SyscallArg.Immediate(0))));
        // Nothing mounted in the container may propagate to the host.
        plan.add(Phase.MOUNTS, new Op.Mount("", "/", "", REC | PRIVATE, ""));
        // The root's host path is named here only: every path below is one in the container's root, which the
        // launcher resolves in it, so that no symlink of an image can lead it out (see launcher-protocol.md).
        String r = root.toString();
        if (defaultRoot) {
            plan.add(Phase.MOUNTS, new Op.Mount("tmpfs", r, "tmpfs", NOSUID | NODEV, "mode=755"));
        } else {
            // pivot_root needs the new root to be a mount point.
            plan.add(Phase.MOUNTS, new Op.Mount(r, r, "", BIND | REC, ""));
        }
        plan.add(Phase.MOUNTS, new Op.Root(r));
        if (defaultRoot) {
            hostSystemDirs(plan);
            etc(plan);
            for (String d : List.of("root", "home", "var", "run", "tmp")) {
                plan.add(Phase.MOUNTS, new Op.MkdirInRoot("/" + d, d.equals("root") ? 0700 : 0755));
            }
            plan.add(Phase.MOUNTS, new Op.MkdirInRoot("/var/tmp", 01777));
            plan.add(Phase.MOUNTS, MountInRoot.filesystem("tmpfs", "tmpfs", "/tmp", NOSUID | NODEV, "mode=1777"));
            plan.add(Phase.MOUNTS, MountInRoot.filesystem("tmpfs", "tmpfs", "/run", NOSUID | NODEV, "mode=755"));
        }
        proc(plan);
        dev(plan);
        // /proc, /dev and /sys are the kernel's own in every container: on a plain directory of the root (a
        // symlink could put them where a volume later covers them), and checked to be that filesystem.
        plan.add(Phase.MOUNTS, new Op.MkdirInRoot("/sys", 0555));
        plan.add(Phase.MOUNTS, MountInRoot.filesystem("sysfs", "sysfs", "/sys", RDONLY | NOSUID | NODEV | NOEXEC, "")
                .noSymlinks().requiring(MountInRoot.SYSFS_MAGIC));
        volumes(plan);

        plan.add(Phase.PIVOT_ROOT, new Op.PivotRoot(r));

        if (spec.readOnly()) {
            plan.add(Phase.SYSTEM, MountInRoot.remount("/", REMOUNT | BIND | RDONLY, ""));
        }
        for (String p : MASKED_PATHS) {
            if (Files.isDirectory(Path.of(p), LinkOption.NOFOLLOW_LINKS)) {
                plan.addOptional(Phase.SYSTEM, MountInRoot.filesystem("tmpfs", "tmpfs", p, RDONLY, "size=0"));
            } else {
                plan.addOptional(Phase.SYSTEM, MountInRoot.bindInRoot("/dev/null", p, BIND));
            }
        }
        for (String p : READONLY_PATHS) {
            plan.addOptional(Phase.SYSTEM, MountInRoot.bindInRoot(p, p, BIND | REC));
            plan.addOptional(Phase.SYSTEM, MountInRoot.remount(p, REMOUNT | BIND | RDONLY | NOSUID | NODEV | NOEXEC,
                    ""));
        }
        plan.add(Phase.SYSTEM, new Op.Syscall(SyscallNumbers.umask(), List.of(new SyscallArg.Immediate(022))));
    }

    private void hostSystemDirs(PlanBuilder plan) throws IOException {
        for (String d : HOST_SYSTEM_DIRS) {
            Path host = Path.of("/", d);
            String target = "/" + d;
            if (Files.isSymbolicLink(host)) {
                plan.add(Phase.MOUNTS, new Op.SymlinkInRoot(Files.readSymbolicLink(host).toString(), target));
            } else if (Files.isDirectory(host)) {
                plan.add(Phase.MOUNTS, new Op.MkdirInRoot(target, 0755));
                plan.add(Phase.MOUNTS, MountInRoot.bindFromHost(host.toString(), target, BIND | REC));
                plan.add(Phase.MOUNTS, MountInRoot.remount(target, REMOUNT | BIND | RDONLY | NODEV, ""));
            }
        }
    }

    private void etc(PlanBuilder plan) throws IOException {
        String etc = "/etc";
        plan.add(Phase.MOUNTS, new Op.MkdirInRoot(etc, 0755));
        for (String f : ETC_FILES) {
            copyFile(plan, Path.of("/etc", f), etc + "/" + f);
        }
        String hostname = context.hostname();
        plan.add(Phase.MOUNTS, Op.WriteFileInRoot.create(etc + "/hostname", 0644, hostname + "\n"));
        plan.add(Phase.MOUNTS, Op.WriteFileInRoot.create(etc + "/hosts", 0644,
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n"));
        for (String d : ETC_DIRS_READ_ONLY) {
            // Hundreds of symlinks into /usr: one read-only bind instead of re-creating each on every launch.
            Path host = Path.of("/etc", d);
            if (!Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            String target = etc + "/" + d;
            plan.add(Phase.MOUNTS, new Op.MkdirInRoot(target, 0755));
            plan.add(Phase.MOUNTS, MountInRoot.bindFromHost(host.toString(), target, BIND));
            plan.add(Phase.MOUNTS, MountInRoot.remount(target, REMOUNT | BIND | RDONLY | NOSUID | NODEV, ""));
        }
        for (String d : ETC_DIRS_OF_FILES) {
            Path host = Path.of("/etc", d);
            if (!Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            plan.add(Phase.MOUNTS, new Op.MkdirInRoot(etc + "/" + d, 0755));
            try (Stream<Path> entries = Files.list(host)) {
                for (Path e : entries.sorted().toList()) {
                    copyFile(plan, e, etc + "/" + d + "/" + e.getFileName());
                }
            }
        }
    }

    private static void copyFile(PlanBuilder plan, Path host, String target) throws IOException {
        if (!Files.isRegularFile(host)) {
            return;
        }
        plan.add(Phase.MOUNTS, new Op.WriteFileInRoot(target, 0644, Op.WriteFile.CREATE | Op.WriteFile.TRUNCATE,
                Files.readAllBytes(host)));
    }

    private static void proc(PlanBuilder plan) {
        plan.add(Phase.MOUNTS, new Op.MkdirInRoot("/proc", 0555));
        plan.add(Phase.MOUNTS, MountInRoot.filesystem("proc", "proc", "/proc", NOSUID | NODEV | NOEXEC, "")
                .noSymlinks().requiring(MountInRoot.PROC_SUPER_MAGIC));
    }

    private static void dev(PlanBuilder plan) {
        String dev = "/dev";
        plan.add(Phase.MOUNTS, new Op.MkdirInRoot(dev, 0755));
        plan.add(Phase.MOUNTS, MountInRoot.filesystem("tmpfs", "tmpfs", dev, NOSUID | STRICTATIME,
                "mode=755,size=65536k").noSymlinks().requiring(MountInRoot.TMPFS_MAGIC));
        for (Device d : DEVICES) {
            plan.add(Phase.MOUNTS, new Op.MknodInRoot(dev + "/" + d.name(), Op.Mknod.S_IFCHR | 0666, d.major(),
                    d.minor()));
        }
        plan.add(Phase.MOUNTS, new Op.MkdirInRoot(dev + "/pts", 0755));
        plan.add(Phase.MOUNTS, MountInRoot.filesystem("devpts", "devpts", dev + "/pts", NOSUID | NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620,gid=5"));
        plan.add(Phase.MOUNTS, new Op.SymlinkInRoot("pts/ptmx", dev + "/ptmx"));
        plan.add(Phase.MOUNTS, new Op.MkdirInRoot(dev + "/shm", 01777));
        plan.add(Phase.MOUNTS, MountInRoot.filesystem("tmpfs", "shm", dev + "/shm", NOSUID | NODEV | NOEXEC,
                "mode=1777,size=65536k"));
        plan.add(Phase.MOUNTS, new Op.MkdirInRoot(dev + "/mqueue", 0755));
        plan.add(Phase.MOUNTS, MountInRoot.filesystem("mqueue", "mqueue", dev + "/mqueue", NOSUID | NODEV | NOEXEC,
                ""));
        plan.add(Phase.MOUNTS, new Op.SymlinkInRoot("/proc/self/fd", dev + "/fd"));
        String[] std = {"stdin", "stdout", "stderr"};
        for (int i = 0; i < 3; i++) {
            plan.add(Phase.MOUNTS, new Op.SymlinkInRoot("/proc/self/fd/" + i, dev + "/" + std[i]));
        }
    }

    private void volumes(PlanBuilder plan) {
        if (spec.volumes().stream().anyMatch(v -> Path.of(v.target()).normalize().toString().equals("/"))) {
            throw new CordonException("-v: cannot mount over the container's root; use --rootfs");
        }
        for (ContainerSpec.Volume v : spec.volumes()) {
            // The host folder or file is the host's: a host path. The mount point is in the container's root.
            Path rel = Path.of(v.target()).normalize();
            String target = rel.toString();
            // Create each missing parent of the mount point, one component at a time, each in the root.
            StringBuilder p = new StringBuilder();
            for (int i = 0; i < rel.getNameCount() - 1; i++) {
                p.append('/').append(rel.getName(i));
                plan.add(Phase.MOUNTS, new Op.MkdirInRoot(p.toString(), 0755));
            }
            if (Files.isDirectory(v.source())) {
                plan.add(Phase.MOUNTS, new Op.MkdirInRoot(target, 0755));
            } else {
                plan.add(Phase.MOUNTS, new Op.WriteFileInRoot(target, 0644, Op.WriteFile.CREATE, new byte[0]));
            }
            plan.add(Phase.MOUNTS, MountInRoot.bindFromHost(v.source().toString(), target, BIND | REC));
            if (v.readOnly()) {
                plan.add(Phase.MOUNTS, MountInRoot.remount(target, REMOUNT | BIND | RDONLY, ""));
            }
        }
    }
}
