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
