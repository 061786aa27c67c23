package io.cordon.api.plan;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * One primitive, policy-free operation the launcher performs in the child. Every
 * decision (which mounts, which capabilities, which filter) is made in Java by a
 * stage; the launcher only carries the op out and reports errno if it fails.
 */
public sealed interface Op {

    /** A short human-readable form for {@code --dry-run} and error messages. */
    String describe();

    /** mount(2). Empty strings stand for NULL. */
    record Mount(String source, String target, String fstype, long flags, String data) implements Op {
        public Mount {
            Objects.requireNonNull(target, "target");
            source = source == null ? "" : source;
            fstype = fstype == null ? "" : fstype;
            data = data == null ? "" : data;
        }

        @Override
        public String describe() {
            return "mount " + (source.isEmpty() ? "none" : source) + " on " + target
                    + (fstype.isEmpty() ? "" : " type " + fstype) + " (" + MountFlags.names(flags)
                    + (data.isEmpty() ? "" : "," + data) + ")";
        }
    }

    record Umount(String target, int flags) implements Op {
        @Override
        public String describe() {
            return "umount " + target + (flags != 0 ? " flags=0x" + Integer.toHexString(flags) : "");
        }
    }

    /** mkdir(2); an existing directory is success. */
    record Mkdir(String path, int mode) implements Op {
        @Override
        public String describe() {
            return "mkdir " + path + " mode " + Integer.toOctalString(mode);
        }
    }

    /** mknod(2); {@code mode} includes the S_IF* type bits. */
    record Mknod(String path, int mode, int major, int minor) implements Op {
        public static final int S_IFCHR = 0020000;
        public static final int S_IFBLK = 0060000;

        @Override
        public String describe() {
            return "mknod " + path + " " + ((mode & S_IFBLK) == S_IFBLK ? "b" : "c") + " " + major + ":" + minor
                    + " mode " + Integer.toOctalString(mode & 07777);
        }
    }

    record Symlink(String target, String linkPath) implements Op {
        @Override
        public String describe() {
            return "symlink " + linkPath + " -> " + target;
        }
    }

    /** pivot_root into {@code newRoot} and detach the old root. */
    record PivotRoot(String newRoot) implements Op {
        @Override
        public String describe() {
            return "pivot_root " + newRoot + " (old root detached)";
        }
    }

    record SetHostname(String hostname) implements Op {
        @Override
        public String describe() {
            return "sethostname " + hostname;
        }
    }

    /** Write one buffer to a file in one write(2). */
    record WriteFile(String path, int mode, int writeFlags, byte[] data) implements Op {
        public static final int CREATE = 1;
        public static final int TRUNCATE = 2;
        public static final int APPEND = 4;

        public static WriteFile create(String path, int mode, String content) {
            return new WriteFile(path, mode, CREATE | TRUNCATE, content.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String describe() {
            return "write " + path + " (" + data.length + " bytes"
                    + ((writeFlags & CREATE) != 0 ? ", mode " + Integer.toOctalString(mode) : "") + ")";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WriteFile w && w.path.equals(path) && w.mode == mode && w.writeFlags == writeFlags
                    && java.util.Arrays.equals(w.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(path, mode, writeFlags, java.util.Arrays.hashCode(data));
        }
    }

    /**
     * Write one buffer to the first of {@code paths} that exists, in one write(2), after checking that the
     * opened file really is on procfs (so a container's own root cannot stand a regular file in for
     * {@code /proc/thread-self/attr/...}). For LSM attributes such as the exec label, whose older and newer
     * kernels name the file differently; the exact bytes are written (a trailing newline would change them).
     */
    record WriteProcfs(List<String> paths, byte[] data) implements Op {
        public WriteProcfs {
            paths = List.copyOf(paths);
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("WriteProcfs needs at least one path");
            }
            Objects.requireNonNull(data, "data");
        }

        @Override
        public String describe() {
            return "write procfs " + String.join(" | ", paths) + " \"" + new String(data, StandardCharsets.UTF_8)
                    + "\"";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WriteProcfs w && w.paths.equals(paths) && java.util.Arrays.equals(w.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(paths, java.util.Arrays.hashCode(data));
        }
    }

    record SetRlimit(int resource, long soft, long hard) implements Op {
        @Override
        public String describe() {
            return "setrlimit " + resource + " " + soft + ":" + hard;
        }
    }

    record SetGroups(List<Integer> gids) implements Op {
        public SetGroups {
            gids = List.copyOf(gids);
        }

        @Override
        public String describe() {
            return "setgroups " + gids;
        }
    }

    record SetResGid(int gid) implements Op {
        @Override
        public String describe() {
            return "setresgid " + gid;
        }
    }

    record SetResUid(int uid) implements Op {
        @Override
        public String describe() {
            return "setresuid " + uid;
        }
    }

    /** The five capability sets as 64-bit masks. */
    record CapSet(long bounding, long effective, long permitted, long inheritable, long ambient) implements Op {
        @Override
        public String describe() {
            return String.format("capset bnd=%016x eff=%016x prm=%016x inh=%016x amb=%016x",
                    bounding, effective, permitted, inheritable, ambient);
        }
    }

    record NoNewPrivs() implements Op {
        @Override
        public String describe() {
            return "prctl PR_SET_NO_NEW_PRIVS";
        }
    }

    /** seccomp(SECCOMP_SET_MODE_FILTER) with a classic BPF program (8 bytes per instruction). */
    record Seccomp(int flags, byte[] filter) implements Op {
        @Override
        public String describe() {
            return "seccomp filter (" + filter.length / 8 + " instructions, flags 0x" + Integer.toHexString(flags) + ")";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Seccomp s && s.flags == flags && java.util.Arrays.equals(s.filter, filter);
        }

        @Override
        public int hashCode() {
            return 31 * flags + java.util.Arrays.hashCode(filter);
        }
    }

    /**
     * A raw syscall, so a stage the launcher has never heard of (Landlock, say) can
     * still do in-child work. Arguments are immediates, inline buffers or strings,
     * or the return value of an earlier syscall op.
     */
    record Syscall(int number, List<SyscallArg> args) implements Op {
        public Syscall {
            args = List.copyOf(args);
            if (args.size() > 6) {
                throw new IllegalArgumentException("a syscall takes at most 6 arguments, got " + args.size());
            }
        }

        @Override
        public String describe() {
            return "syscall " + number + args;
        }
    }

    record Chdir(String path) implements Op {
        @Override
        public String describe() {
            return "chdir " + path;
        }
    }

    /**
     * Names the directory (a host path: the container's root, once it is mounted) in which every {@link InRoot}
     * op after it resolves its paths; after {@link PivotRoot} they resolve in the new "/". Without it they
     * resolve in the child's "/".
     */
    record Root(String path) implements Op {
        public Root {
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("root " + path + ": not an absolute path");
            }
        }

        @Override
        public String describe() {
            return "root " + path + " (in-root paths below resolve in it)";
        }
    }

    /**
     * An op whose container path the launcher resolves in the container's root, on an fd of that root
     * ({@code openat2} with {@code RESOLVE_IN_ROOT}), and carries out on the fd it resolved: a symlink in the
     * root is followed as the container would follow it and never leads out of the root. Paths are absolute
     * and normalized (no empty, "." or ".." parts); they are never joined to a host path in Java.
     */
    sealed interface InRoot extends Op permits MountInRoot, MkdirInRoot, MknodInRoot, SymlinkInRoot,
            WriteFileInRoot, ChownInRoot, UnlinkInRoot {

        /** The path in the container's root that the op acts on. */
        String path();

        /** Refuses a path the launcher would refuse; {@code entry}: the op acts on an entry in a directory. */
        static String checked(String path, boolean entry) {
            Objects.requireNonNull(path, "path");
            boolean ok = path.startsWith("/") && (path.length() == 1 ? !entry : !path.endsWith("/"));
            for (String part : path.substring(Math.min(1, path.length())).split("/", -1)) {
                ok &= path.length() == 1 || !(part.isEmpty() || part.equals(".") || part.equals(".."));
            }
            if (!ok || path.length() > 4095) {
                throw new IllegalArgumentException("\"" + path + "\" is not an absolute, normalized path in the"
                        + " container's root" + (entry && path.equals("/") ? " naming an entry below /" : ""));
            }
            return path;
        }
    }

    /**
     * mount(2) onto a path resolved in the root; afterwards the launcher resolves the target again and checks
     * that the mount is there (and, if {@code fsMagic} is not 0, that it is that filesystem type). A bind's
     * source is a host path, or with {@link #SOURCE_IN_ROOT} a path in the root. {@link #NO_SYMLINKS} refuses a
     * target path with any symlink in it. Empty strings stand for NULL.
     */
    record MountInRoot(String source, String target, String fstype, long flags, String data, int resolve,
            int fsMagic) implements InRoot {
        public static final int SOURCE_IN_ROOT = 1;
        public static final int NO_SYMLINKS = 2;
        public static final int PROC_SUPER_MAGIC = 0x9fa0;
        public static final int SYSFS_MAGIC = 0x62656572;
        public static final int TMPFS_MAGIC = 0x01021994;

        public MountInRoot {
            source = source == null ? "" : source;
            fstype = fstype == null ? "" : fstype;
            data = data == null ? "" : data;
            InRoot.checked(target, false);
            if ((resolve & ~(SOURCE_IN_ROOT | NO_SYMLINKS)) != 0) {
                throw new IllegalArgumentException("unknown resolve flags 0x" + Integer.toHexString(resolve));
            }
            if ((resolve & SOURCE_IN_ROOT) != 0) {
                InRoot.checked(source, false);
            }
        }

        /** A new filesystem ({@code fstype}, e.g. proc or tmpfs) on {@code target}. */
        public static MountInRoot filesystem(String fstype, String source, String target, long flags, String data) {
            return new MountInRoot(source, target, fstype, flags, data, 0, 0);
        }

        /** A bind mount of the host's {@code hostSource} (not resolved in the root) on {@code target}. */
        public static MountInRoot bindFromHost(String hostSource, String target, long flags) {
            return new MountInRoot(hostSource, target, "", flags, "", 0, 0);
        }

        /** A bind mount of {@code source}, resolved in the root too, on {@code target}. */
        public static MountInRoot bindInRoot(String source, String target, long flags) {
            return new MountInRoot(source, target, "", flags, "", SOURCE_IN_ROOT, 0);
        }

        /** A remount (flags include MS_REMOUNT) of the mount at {@code target}. */
        public static MountInRoot remount(String target, long flags, String data) {
            return new MountInRoot("", target, "", flags, data, 0, 0);
        }

        /** The same mount, refused if the target path has a symlink anywhere in it. */
        public MountInRoot noSymlinks() {
            return new MountInRoot(source, target, fstype, flags, data, resolve | NO_SYMLINKS, fsMagic);
        }

        /** The same mount, refused unless the target then is a filesystem with this magic number (statfs). */
        public MountInRoot requiring(int magic) {
            return new MountInRoot(source, target, fstype, flags, data, resolve, magic);
        }

        /** The same mount with other mount data. */
        public MountInRoot withData(String newData) {
            return new MountInRoot(source, target, fstype, flags, newData, resolve, fsMagic);
        }

        @Override
        public String path() {
            return target;
        }

        @Override
        public String describe() {
            return "mount " + (source.isEmpty() ? "none" : source) + ((resolve & SOURCE_IN_ROOT) != 0 ? " (in root)"
                    : (flags & MountFlags.BIND) != 0 && (flags & MountFlags.REMOUNT) == 0 ? " (host)" : "")
                    + " on " + target + (fstype.isEmpty() ? "" : " type " + fstype) + " (" + MountFlags.names(flags)
                    + (data.isEmpty() ? "" : "," + data) + ")" + ((resolve & NO_SYMLINKS) != 0 ? ", no symlinks" : "")
                    + (fsMagic != 0 ? ", must then be " + magicName(fsMagic) : "");
        }

        private static String magicName(int magic) {
            return switch (magic) {
                case PROC_SUPER_MAGIC -> "procfs";
                case SYSFS_MAGIC -> "sysfs";
                case TMPFS_MAGIC -> "tmpfs";
                default -> "filesystem 0x" + Integer.toHexString(magic);
            };
        }
    }

    /** mkdir in the root; an existing directory (also through a symlink followed in the root) is success. */
    record MkdirInRoot(String path, int mode) implements InRoot {
        public MkdirInRoot {
            InRoot.checked(path, true);
        }

        @Override
        public String describe() {
            return "mkdir " + path + " mode " + Integer.toOctalString(mode);
        }
    }

    /** mknod in the root with exactly {@code mode} (the umask does not apply); S_IF* type bits included. */
    record MknodInRoot(String path, int mode, int major, int minor) implements InRoot {
        public MknodInRoot {
            InRoot.checked(path, true);
        }

        @Override
        public String describe() {
            return "mknod " + path + " " + ((mode & Mknod.S_IFBLK) == Mknod.S_IFBLK ? "b" : "c") + " " + major + ":"
                    + minor + " mode " + Integer.toOctalString(mode & 07777);
        }
    }

    /** A symlink at {@code linkPath} in the root; {@code target} is stored as it is. */
    record SymlinkInRoot(String target, String linkPath) implements InRoot {
        public SymlinkInRoot {
            Objects.requireNonNull(target, "target");
            InRoot.checked(linkPath, true);
        }

        @Override
        public String path() {
            return linkPath;
        }

        @Override
        public String describe() {
            return "symlink " + linkPath + " -> " + target;
        }
    }

    /** Write one buffer to a regular file in the root (never a device or FIFO), in one write(2). */
    record WriteFileInRoot(String path, int mode, int writeFlags, byte[] data) implements InRoot {
        public WriteFileInRoot {
            InRoot.checked(path, true);
            Objects.requireNonNull(data, "data");
        }

        public static WriteFileInRoot create(String path, int mode, String content) {
            return new WriteFileInRoot(path, mode, WriteFile.CREATE | WriteFile.TRUNCATE,
                    content.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String describe() {
            return "write " + path + " (" + data.length + " bytes"
                    + ((writeFlags & WriteFile.CREATE) != 0 ? ", mode " + Integer.toOctalString(mode) : "") + ")";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WriteFileInRoot w && w.path.equals(path) && w.mode == mode
                    && w.writeFlags == writeFlags && java.util.Arrays.equals(w.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(path, mode, writeFlags, java.util.Arrays.hashCode(data));
        }
    }

    /** Change the owner of an entry in the root; a symlink there is changed itself, not followed. */
    record ChownInRoot(String path, int uid, int gid) implements InRoot {
        public ChownInRoot {
            InRoot.checked(path, true);
        }

        @Override
        public String describe() {
            return "chown " + path + " " + Integer.toUnsignedString(uid) + ":" + Integer.toUnsignedString(gid);
        }
    }

    /** Remove a non-directory entry of the root (a symlink there itself). */
    record UnlinkInRoot(String path) implements InRoot {
        public UnlinkInRoot {
            InRoot.checked(path, true);
        }

        @Override
        public String describe() {
            return "unlink " + path;
        }
    }

    /** execvp with the container's environment; always the last op. */
    record Exec(String file, List<String> argv, List<String> env) implements Op {
        public Exec {
            argv = List.copyOf(argv);
            env = List.copyOf(env);
        }

        @Override
        public String describe() {
            return "exec " + argv + " (" + env.size() + " env vars)";
        }
    }
}
