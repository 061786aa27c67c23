package io.cordon.linux;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures of the bpf(2) path come back as one readable line. (The programs that
 * work are attached to real cgroups by the cgroups stage's tests.)
 */
class CgroupDevicesTest {
    @TempDir
    Path dir;

    @Test
    void aProgramTheVerifierRejectsSaysWhy() {
        // "r0 = *(u32 *)(r1 + 64)": out of bounds of struct bpf_cgroup_dev_ctx, then exit
        byte[] bad = {0x61, 0x10, 64, 0, 0, 0, 0, 0, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CgroupDevices.attach(dir, bad));
        assertTrue(e.getMessage().startsWith("bpf(BPF_PROG_LOAD"), e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
    }

    @Test
    void attachingToAPlainDirectoryFails() {
        // "r0 = 1; exit": a valid program, but a tmpfs directory is no cgroup
        byte[] allowAll = {(byte) 0xb7, 0, 0, 0, 1, 0, 0, 0, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CgroupDevices.attach(dir,
                allowAll));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void aProgramIsWholeInstructions() {
        assertThrows(IllegalArgumentException.class, () -> CgroupDevices.attach(dir, new byte[12]));
    }
}
