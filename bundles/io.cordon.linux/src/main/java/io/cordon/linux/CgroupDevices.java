package io.cordon.linux;

import io.cordon.linux.internal.CgroupBpf;
import java.nio.file.Path;

/**
 * Device access control on cgroup v2, where there is no devices controller: a
 * {@code BPF_PROG_TYPE_CGROUP_DEVICE} program attached to the container's cgroup
 * decides every open and mknod of a device node by the processes in it. Which
 * devices to allow is the caller's policy; the program comes compiled (eBPF
 * instructions, 8 bytes each, host byte order).
 */
public final class CgroupDevices {
    private CgroupDevices() {
    }

    /**
     * Loads {@code program} and attaches it to the cgroup2 directory
     * {@code cgroupDir} with BPF_F_ALLOW_MULTI (programs of parent cgroups keep
     * applying too). The attachment lives as long as the cgroup.
     *
     * @throws IllegalStateException with the kernel's reason (and the verifier's last words)
     */
    public static void attach(Path cgroupDir, byte[] program) {
        CgroupBpf.attachDeviceProgram(cgroupDir, program);
    }

    /** How many device programs are attached to this cgroup itself. */
    public static int attachedPrograms(Path cgroupDir) {
        return CgroupBpf.attachedDevicePrograms(cgroupDir);
    }
}
