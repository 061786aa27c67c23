package io.cordon.api.plan;

/** Linux namespace types with their clone(2) flag and their name under /proc/PID/ns. */
public enum Namespace {
    MOUNT(0x00020000L, "mnt"),
    UTS(0x04000000L, "uts"),
    IPC(0x08000000L, "ipc"),
    USER(0x10000000L, "user"),
    PID(0x20000000L, "pid"),
    NET(0x40000000L, "net"),
    CGROUP(0x02000000L, "cgroup"),
    TIME(0x00000080L, "time");

    private final long cloneFlag;
    private final String procName;

    Namespace(long cloneFlag, String procName) {
        this.cloneFlag = cloneFlag;
        this.procName = procName;
    }

    public long cloneFlag() {
        return cloneFlag;
    }

    /** The file name under {@code /proc/PID/ns/}. */
    public String procName() {
        return procName;
    }
}
