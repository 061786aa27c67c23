package io.cordon.stage.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The device program, run by a small interpreter of exactly the eBPF it uses, and
 * the same rules in the v1 controller's syntax. (The kernel runs it for real in
 * RealCgroupsTest.)
 */
class DeviceFilterTest {

    /** Runs the program on one access as the kernel would: type b/c, access a subset of "rwm". */
    static boolean allows(byte[] program, char type, int major, int minor, String access) {
        int accessType = (DeviceFilter.bits(access) << 16) | (type == 'b' ? DeviceFilter.DEV_BLOCK
                : DeviceFilter.DEV_CHAR);
        int[] ctx = {accessType, major, minor};
        long[] r = new long[11];
        ByteBuffer b = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int pc = 0;
        for (int steps = 0; steps < 10_000; steps++) {
            int code = b.get(pc * 8) & 0xff;
            int regs = b.get(pc * 8 + 1) & 0xff;
            int dst = regs & 0xf;
            int src = regs >> 4;
            short off = b.getShort(pc * 8 + 2);
            int imm = b.getInt(pc * 8 + 4);
            pc++;
            switch (code) {
                case DeviceFilter.LDX_MEM_W -> {
                    assertEquals(1, src, "loads only from the context");
                    r[dst] = ctx[off / 4] & 0xffffffffL;
                }
                case DeviceFilter.ALU32_AND_K -> r[dst] = (r[dst] & imm) & 0xffffffffL;
                case DeviceFilter.ALU32_RSH_K -> r[dst] = ((r[dst] & 0xffffffffL) >>> imm) & 0xffffffffL;
                case DeviceFilter.ALU32_MOV_X -> r[dst] = r[src] & 0xffffffffL;
                case DeviceFilter.ALU64_MOV_K -> r[dst] = imm;
                case DeviceFilter.JNE_K -> pc += r[dst] != (imm & 0xffffffffL) ? off : 0;
                case DeviceFilter.JNE_X -> pc += r[dst] != r[src] ? off : 0;
                case DeviceFilter.EXIT -> {
                    return r[0] == 1;
                }
                default -> throw new AssertionError("unexpected opcode 0x" + Integer.toHexString(code));
            }
        }
        throw new AssertionError("no exit");
    }

    @Test
    void defaultsAllowThePseudoDevicesAndTerminalsOnly() {
        byte[] p = DeviceFilter.compile(DeviceRule.DEFAULTS);
        assertEquals(0, p.length % 8);
        for (int[] dev : new int[][] {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, 0},
            {136, 42}}) {
            assertTrue(allows(p, 'c', dev[0], dev[1], "rw"), dev[0] + ":" + dev[1]);
            assertTrue(allows(p, 'c', dev[0], dev[1], "r"), dev[0] + ":" + dev[1]);
        }
        assertFalse(allows(p, 'b', 254, 0, "r"), "the host disk");
        assertFalse(allows(p, 'b', 8, 0, "w"), "a SCSI disk");
        assertFalse(allows(p, 'c', 1, 1, "r"), "/dev/mem");
        assertFalse(allows(p, 'c', 10, 229, "rw"), "/dev/fuse is not given by default");
        assertFalse(allows(p, 'c', 1, 11, "w"), "/dev/kmsg");
        assertTrue(allows(p, 'b', 254, 0, "m"), "making a node is allowed; opening it is not");
        assertTrue(allows(p, 'c', 10, 229, "m"));
        assertFalse(allows(p, 'b', 254, 0, "rm"), "mknod with read is still a read");
    }

    @Test
    void aGivenDeviceWithItsPermissions() {
        List<DeviceRule> rules = new ArrayList<>(DeviceRule.DEFAULTS);
        rules.add(new DeviceRule('c', 10, 229, "rwm"));
        rules.add(new DeviceRule('b', 254, 0, "r"));
        byte[] p = DeviceFilter.compile(rules);
        assertTrue(allows(p, 'c', 10, 229, "rw"));
        assertFalse(allows(p, 'c', 10, 228, "rw"), "only that minor");
        assertFalse(allows(p, 'b', 10, 229, "rw"), "only that type");
        assertTrue(allows(p, 'b', 254, 0, "r"));
        assertFalse(allows(p, 'b', 254, 0, "w"), "read-only grant");
        assertFalse(allows(p, 'b', 254, 0, "rw"), "read-only grant");
        assertFalse(allows(p, 'b', 254, 1, "r"), "not the partition");
    }

    @Test
    void emptyListDeniesEverythingAndAllAllowsEverything() {
        assertFalse(allows(DeviceFilter.compile(List.of()), 'c', 1, 3, "r"));
        byte[] all = DeviceFilter.compile(List.of(new DeviceRule('a', -1, -1, "rwm")));
        assertTrue(allows(all, 'b', 254, 0, "rwm"));
        assertEquals(8 * (6 + 2 + 2), all.length, "loads, allow block without tests, deny");
    }

    @Test
    void v1Syntax() {
        assertEquals("c 1:3 rwm", new DeviceRule('c', 1, 3, "rwm").v1());
        assertEquals("c 136:* rwm", new DeviceRule('c', 136, -1, "rwm").v1());
        assertEquals("b *:* m", new DeviceRule('b', -1, -1, "m").v1());
        assertEquals("a", new DeviceRule('a', -1, -1, "rwm").v1());
    }
}
