package io.cordon.stage.seccomp;

/**
 * A filter's verdict: one SECCOMP_RET_* value with its 16 data bits (the errno for
 * ERRNO, the message for TRACE).
 */
public record Action(Kind kind, int data) {
    public static final Action ALLOW = new Action(Kind.ALLOW, 0);
    public static final Action KILL_PROCESS = new Action(Kind.KILL_PROCESS, 0);
    public static final int EPERM = 1;
    public static final int ENOSYS = 38;

    public enum Kind {
        KILL_PROCESS(0x80000000, "SCMP_ACT_KILL_PROCESS"),
        KILL_THREAD(0x00000000, "SCMP_ACT_KILL_THREAD"),
        TRAP(0x00030000, "SCMP_ACT_TRAP"),
        ERRNO(0x00050000, "SCMP_ACT_ERRNO"),
        TRACE(0x7ff00000, "SCMP_ACT_TRACE"),
        LOG(0x7ffc0000, "SCMP_ACT_LOG"),
        ALLOW(0x7fff0000, "SCMP_ACT_ALLOW");

        final int ret;
        final String scmpName;

        Kind(int ret, String scmpName) {
            this.ret = ret;
            this.scmpName = scmpName;
        }

        /** Whether the action carries a value (errnoRet in a profile). */
        public boolean takesData() {
            return this == ERRNO || this == TRACE;
        }
    }

    public Action {
        if (data < 0 || data > 0xffff) {
            throw new IllegalArgumentException("action data " + data + " is not 0..65535");
        }
        if (!kind.takesData() && data != 0) {
            throw new IllegalArgumentException(kind + " takes no data");
        }
    }

    public static Action errno(int errno) {
        return new Action(Kind.ERRNO, errno);
    }

    /** The 32-bit value the BPF program returns. */
    public int ret() {
        return kind.ret | data;
    }

    /** The action a SECCOMP_RET_* value stands for (what the kernel does with it). */
    public static Action of(int ret) {
        int base = ret & 0xffff0000;
        int data = ret & 0xffff;
        for (Kind k : Kind.values()) {
            if (k.ret == base) {
                return new Action(k, k.takesData() ? data : 0);
            }
        }
        throw new IllegalArgumentException("not a seccomp action: 0x" + Integer.toHexString(ret));
    }

    @Override
    public String toString() {
        return kind.takesData() ? kind.name() + "(" + data + ")" : kind.name();
    }
}
