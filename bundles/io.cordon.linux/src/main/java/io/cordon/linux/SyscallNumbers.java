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

    private SyscallNumbers() {
    }

    public static int umask() {
        return pick(95, 166, "umask");
    }

    /** prctl(2), e.g. PR_SET_KEEPCAPS around a uid switch. */
    public static int prctl() {
        return pick(157, 167, "prctl");
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
