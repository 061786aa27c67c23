package io.cordon.stage.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A classic BPF interpreter for seccomp programs, as the kernel runs them: the
 * input is struct seccomp_data (nr, arch, instruction_pointer, args[6]) and the
 * result is the 32-bit return value. It counts the instructions it executes and
 * rejects what the kernel would (backward or out-of-range jumps, falling off the
 * end, reads outside seccomp_data).
 */
final class BpfInterpreter {
    record Result(int ret, int executed) {
        Action action() {
            return Action.of(ret);
        }
    }

    private final int[] code;
    private final int[] jt;
    private final int[] jf;
    private final int[] k;

    BpfInterpreter(byte[] program) {
        if (program.length % 8 != 0 || program.length == 0) {
            throw new IllegalArgumentException("program length " + program.length);
        }
        int n = program.length / 8;
        code = new int[n];
        jt = new int[n];
        jf = new int[n];
        k = new int[n];
        ByteBuffer b = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            code[i] = b.getShort() & 0xffff;
            jt[i] = b.get() & 0xff;
            jf[i] = b.get() & 0xff;
            k[i] = b.getInt();
        }
    }

    int length() {
        return code.length;
    }

    Result run(int nr, int arch, long ip, long[] args) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(nr).putInt(arch).putLong(ip);
        for (int i = 0; i < 6; i++) {
            data.putLong(i < args.length ? args[i] : 0);
        }
        int a = 0;
        int x = 0;
        int[] mem = new int[16];
        int pc = 0;
        int executed = 0;
        while (true) {
            if (pc >= code.length) {
                throw new IllegalStateException("fell off the end of the program");
            }
            int c = code[pc];
            int kk = k[pc];
            executed++;
            int next = pc + 1;
            switch (c & 0x07) {
                case 0x00 -> { // LD
                    a = switch (c) {
                        case 0x20 -> load(data, kk); // W ABS
                        case 0x00 -> kk; // IMM
                        case 0x60 -> mem[kk]; // MEM
                        case 0x80 -> 64; // W LEN
                        default -> throw bad(pc, c);
                    };
                }
                case 0x01 -> { // LDX
                    x = switch (c) {
                        case 0x01 -> kk;
                        case 0x61 -> mem[kk];
                        case 0x81 -> 64;
                        default -> throw bad(pc, c);
                    };
                }
                case 0x02 -> mem[kk] = a; // ST
                case 0x03 -> mem[kk] = x; // STX
                case 0x04 -> { // ALU
                    int v = (c & 0x08) != 0 ? x : kk;
                    a = switch (c & 0xf0) {
                        case 0x00 -> a + v;
                        case 0x10 -> a - v;
                        case 0x20 -> a * v;
                        case 0x30 -> Integer.divideUnsigned(a, v);
                        case 0x40 -> a | v;
                        case 0x50 -> a & v;
                        case 0x60 -> a << v;
                        case 0x70 -> a >>> v;
                        case 0x80 -> -a;
                        case 0x90 -> Integer.remainderUnsigned(a, v);
                        case 0xa0 -> a ^ v;
                        default -> throw bad(pc, c);
                    };
                }
                case 0x05 -> { // JMP
                    int v = (c & 0x08) != 0 ? x : kk;
                    boolean cond;
                    switch (c & 0xf0) {
                        case 0x00 -> {
                            next = pc + 1 + kk;
                            cond = false;
                            if (next <= pc || next > code.length) {
                                throw new IllegalStateException("ja out of range at " + pc);
                            }
                            pc = next;
                            continue;
                        }
                        case 0x10 -> cond = a == v;
                        case 0x20 -> cond = Integer.compareUnsigned(a, v) > 0;
                        case 0x30 -> cond = Integer.compareUnsigned(a, v) >= 0;
                        case 0x40 -> cond = (a & v) != 0;
                        default -> throw bad(pc, c);
                    }
                    next = pc + 1 + (cond ? jt[pc] : jf[pc]);
                }
                case 0x06 -> { // RET
                    return new Result((c & 0x18) == 0x10 ? a : kk, executed);
                }
                case 0x07 -> { // MISC
                    if (c == 0x07) {
                        x = a; // TAX
                    } else if (c == 0x87) {
                        a = x; // TXA
                    } else {
                        throw bad(pc, c);
                    }
                }
                default -> throw bad(pc, c);
            }
            pc = next;
        }
    }

    private static int load(ByteBuffer data, int off) {
        if (off < 0 || off > 60 || off % 4 != 0) {
            throw new IllegalStateException("load outside seccomp_data at offset " + off);
        }
        return data.getInt(off);
    }

    private static IllegalStateException bad(int pc, int c) {
        return new IllegalStateException("unsupported instruction 0x" + Integer.toHexString(c) + " at " + pc);
    }

    /** One line per instruction, for failure messages. */
    String disassemble() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < code.length; i++) {
            s.append(String.format("%4d: %04x %3d %3d %08x%n", i, code[i], jt[i], jf[i], k[i]));
        }
        return s.toString();
    }
}
