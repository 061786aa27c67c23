package io.cordon.stage.cgroups;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Compiles an allow list of {@link DeviceRule}s into an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, the cgroup v2 counterpart of the v1 devices
 * controller (the same shape as runc's devicefilter). The kernel calls it with
 * {@code struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }},
 * where access_type is {@code (access << 16) | type}; it returns 1 to allow and
 * 0 to deny. Anything no rule allows is denied.
 */
final class DeviceFilter {
    // struct bpf_cgroup_dev_ctx field offsets and the values the kernel puts there (uapi/linux/bpf.h)
    static final int DEV_BLOCK = 1;
    static final int DEV_CHAR = 2;
    static final int ACC_MKNOD = 1;
    static final int ACC_READ = 2;
    static final int ACC_WRITE = 4;

    // opcodes (uapi/linux/bpf_common.h, bpf.h)
    static final int LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
    static final int ALU32_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
    static final int ALU32_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
    static final int ALU32_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
    static final int ALU64_MOV_K = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
    static final int JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
    static final int JNE_X = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
    static final int EXIT = 0x95; // BPF_JMP | BPF_EXIT

    private DeviceFilter() {
    }

    static byte[] compile(List<DeviceRule> allow) {
        Program p = new Program();
        // r2 = type, r3 = access, r4 = major, r5 = minor
        p.add(LDX_MEM_W, 2, 1, 0, 0);
        p.add(ALU32_AND_K, 2, 0, 0, 0xffff);
        p.add(LDX_MEM_W, 3, 1, 0, 0);
        p.add(ALU32_RSH_K, 3, 0, 0, 16);
        p.add(LDX_MEM_W, 4, 1, 4, 0);
        p.add(LDX_MEM_W, 5, 1, 8, 0);
        for (DeviceRule r : allow) {
            int access = bits(r.access());
            boolean checkType = r.type() != 'a';
            boolean checkAccess = access != (ACC_MKNOD | ACC_READ | ACC_WRITE);
            boolean checkMajor = r.major() != DeviceRule.ANY;
            boolean checkMinor = r.minor() != DeviceRule.ANY;
            // instructions in this block after each test, up to and including "r0 = 1; exit"
            int rest = (checkType ? 1 : 0) + (checkAccess ? 3 : 0) + (checkMajor ? 1 : 0) + (checkMinor ? 1 : 0) + 2;
            if (checkType) {
                p.add(JNE_K, 2, 0, --rest, r.type() == 'b' ? DEV_BLOCK : DEV_CHAR);
            }
            if (checkAccess) {
                // the access asked for must be a subset of the allowed: (r3 & allowed) == r3
                p.add(ALU32_MOV_X, 1, 3, 0, 0);
                p.add(ALU32_AND_K, 1, 0, 0, access);
                rest -= 3;
                p.add(JNE_X, 1, 3, rest, 0);
            }
            if (checkMajor) {
                p.add(JNE_K, 4, 0, --rest, r.major());
            }
            if (checkMinor) {
                p.add(JNE_K, 5, 0, --rest, r.minor());
            }
            p.add(ALU64_MOV_K, 0, 0, 0, 1);
            p.add(EXIT, 0, 0, 0, 0);
        }
        p.add(ALU64_MOV_K, 0, 0, 0, 0);
        p.add(EXIT, 0, 0, 0, 0);
        return p.bytes();
    }

    static int bits(String access) {
        int b = 0;
        if (access.indexOf('m') >= 0) {
            b |= ACC_MKNOD;
        }
        if (access.indexOf('r') >= 0) {
            b |= ACC_READ;
        }
        if (access.indexOf('w') >= 0) {
            b |= ACC_WRITE;
        }
        return b;
    }

    /** struct bpf_insn: u8 code, u8 dst:4 src:4 (dst in the low nibble on little-endian), s16 off, s32 imm. */
    private static final class Program {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(int code, int dst, int src, int off, int imm) {
            out.write(code);
            out.write((src << 4) | dst);
            out.write(off & 0xff);
            out.write((off >> 8) & 0xff);
            for (int i = 0; i < 4; i++) {
                out.write((imm >> (8 * i)) & 0xff);
            }
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
