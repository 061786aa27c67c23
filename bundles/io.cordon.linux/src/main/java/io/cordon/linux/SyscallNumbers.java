package io.cordon.linux;

import io.cordon.api.CordonException;

/**
 * Syscall numbers stages need for the launcher's generic SYSCALL op. Only the
 * running architecture matters: the plan is executed on this host.
 */
public final class SyscallNumbers {
    private static final boolean X86_64;
    private static final boolean AARCH64;

    static {
        String arch = System.getProperty("os.arch");
        X86_64 = "amd64".equals(arch) || "x86_64".equals(arch);
        AARCH64 = "aarch64".equals(arch) || "arm64".equals(arch);
    }

    /** The "current directory" dirfd of the *at syscalls. */
    public static final long AT_FDCWD = -100;

    private SyscallNumbers() {
    }

    public static int umask() {
        return pick(95, 166, "umask");
    }

    /** unshare(2): for namespaces that must be entered after clone (a cgroup namespace, once in its cgroup). */
    public static int unshare() {
        return pick(272, 97, "unshare");
    }

    /** unlinkat(2) (aarch64 has no unlink). */
    public static int unlinkat() {
        return pick(263, 35, "unlinkat");
    }

    /** fchmodat(2): an exact mode, which umask does not touch (aarch64 has no chmod). */
    public static int fchmodat() {
        return pick(268, 53, "fchmodat");
    }

    /** fchownat(2) (aarch64 has no chown). */
    public static int fchownat() {
        return pick(260, 54, "fchownat");
    }

    /** bpf(2). */
    public static int bpf() {
        return pick(321, 280, "bpf");
    }

    /** prctl(2), e.g. PR_SET_KEEPCAPS around a uid switch. */
    public static int prctl() {
        return pick(157, 167, "prctl");
    }

    /** keyctl(2), e.g. KEYCTL_JOIN_SESSION_KEYRING so a container gets a session keyring of its own. */
    public static int keyctl() {
        return pick(250, 219, "keyctl");
    }

    private static int pick(int x86, int arm, String name) {
        if (X86_64) {
            return x86;
        }
        if (AARCH64) {
            return arm;
        }
        throw new CordonException("no syscall number for " + name + " on " + System.getProperty("os.arch")
                + ": cordon supports x86_64 and aarch64");
    }
}
