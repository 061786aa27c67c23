package io.cordon.stage.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A classic BPF assembler with symbolic forward jumps. Conditional jumps reach at
 * most 255 instructions; a branch that must go further is routed through an
 * unconditional {@code ja} trampoline (32-bit offset) placed right after it, which
 * {@link #assemble()} inserts until every branch fits.
 */
final class Assembler {
    static final int BPF_LD_W_ABS = 0x20;
    static final int BPF_ALU_AND_K = 0x54;
    static final int BPF_JMP_JA = 0x05;
    static final int BPF_JMP_JEQ_K = 0x15;
    static final int BPF_JMP_JGT_K = 0x25;
    static final int BPF_JMP_JGE_K = 0x35;
    static final int BPF_JMP_JSET_K = 0x45;
    static final int BPF_RET_K = 0x06;

    /** A jump target; bound to the position of the next instruction emitted after {@link #bind}. */
    static final class Label {
        private Insn at;
    }

    private static final class Insn {
        final int code;
        final int k;
        Label jt;
        Label jf;
        /** Set for an instruction whose position labels bound before it point to. */
        int pos;

        Insn(int code, int k, Label jt, Label jf) {
            this.code = code;
            this.k = k;
            this.jt = jt;
            this.jf = jf;
        }

        boolean conditional() {
            return code == BPF_JMP_JEQ_K || code == BPF_JMP_JGT_K || code == BPF_JMP_JGE_K || code == BPF_JMP_JSET_K;
        }
    }

    private final List<Insn> code = new ArrayList<>();
    private final List<Label> pending = new ArrayList<>();

    Label label() {
        return new Label();
    }

    /** Bind a label to the next instruction. */
    void bind(Label l) {
        if (l.at != null) {
            throw new IllegalStateException("label bound twice");
        }
        pending.add(l);
    }

    private Insn emit(int op, int k, Label jt, Label jf) {
        Insn i = new Insn(op, k, jt, jf);
        for (Label l : pending) {
            l.at = i;
        }
        pending.clear();
        code.add(i);
        return i;
    }

    void load(int offset) {
        emit(BPF_LD_W_ABS, offset, null, null);
    }

    void and(int k) {
        emit(BPF_ALU_AND_K, k, null, null);
    }

    /** if (A == k) goto t else goto f; a null label means the next instruction. */
    void jeq(int k, Label t, Label f) {
        emit(BPF_JMP_JEQ_K, k, t, f);
    }

    /** Unsigned A > k. */
    void jgt(int k, Label t, Label f) {
        emit(BPF_JMP_JGT_K, k, t, f);
    }

    /** Unsigned A >= k. */
    void jge(int k, Label t, Label f) {
        emit(BPF_JMP_JGE_K, k, t, f);
    }

    void ja(Label t) {
        emit(BPF_JMP_JA, 0, t, null);
    }

    void ret(int k) {
        emit(BPF_RET_K, k, null, null);
    }

    int size() {
        return code.size();
    }

    /** Resolve labels, inserting trampolines where a conditional branch is too far; 8 bytes per instruction. */
    byte[] assemble() {
        if (!pending.isEmpty()) {
            throw new IllegalStateException("label bound past the last instruction");
        }
        List<Insn> prog = new ArrayList<>(code);
        // A null branch means "next instruction": give it a real label so insertions keep it right.
        for (int i = 0; i < prog.size(); i++) {
            Insn in = prog.get(i);
            if (in.conditional()) {
                if (in.jt == null) {
                    in.jt = labelAt(prog.get(i + 1));
                }
                if (in.jf == null) {
                    in.jf = labelAt(prog.get(i + 1));
                }
            }
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            number(prog);
            for (int i = 0; i < prog.size(); i++) {
                Insn in = prog.get(i);
                if (!in.conditional()) {
                    continue;
                }
                boolean farT = distance(in, in.jt) > 255;
                boolean farF = distance(in, in.jf) > 255;
                if (farT || farF) {
                    int at = i + 1;
                    if (farF) {
                        Insn t = new Insn(BPF_JMP_JA, 0, in.jf, null);
                        prog.add(at, t);
                        in.jf = labelAt(t);
                    }
                    if (farT) {
                        Insn t = new Insn(BPF_JMP_JA, 0, in.jt, null);
                        prog.add(at, t);
                        in.jt = labelAt(t);
                    }
                    changed = true;
                    break;
                }
            }
        }
        number(prog);
        ByteBuffer out = ByteBuffer.allocate(prog.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn in : prog) {
            int jt = 0;
            int jf = 0;
            int k = in.k;
            if (in.conditional()) {
                jt = distance(in, in.jt);
                jf = distance(in, in.jf);
            } else if (in.code == BPF_JMP_JA) {
                k = distance(in, in.jt);
            }
            out.putShort((short) in.code).put((byte) jt).put((byte) jf).putInt(k);
        }
        return out.array();
    }

    private static Label labelAt(Insn i) {
        Label l = new Label();
        l.at = i;
        return l;
    }

    private static void number(List<Insn> prog) {
        for (int i = 0; i < prog.size(); i++) {
            prog.get(i).pos = i;
        }
    }

    private static int distance(Insn from, Label to) {
        if (to.at == null) {
            throw new IllegalStateException("jump to an unbound label");
        }
        int d = to.at.pos - from.pos - 1;
        if (d < 0) {
            throw new IllegalStateException("backward jump");
        }
        return d;
    }
}
