package io.cordon.stage.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compiles a resolved filter to a classic BPF program for seccomp(2):
 * <ol>
 * <li>architecture check: anything but the native audit architecture gets
 * {@link #BAD_ARCH}; on x86_64 so does a syscall number with the x32 bit set
 * (except -1, which a tracer uses to skip a syscall, as in libseccomp);</li>
 * <li>a binary search over syscall-number ranges: adjacent numbers with the same
 * unconditional action are one range, so a lookup costs about log2(ranges)
 * comparisons instead of one per listed syscall;</li>
 * <li>at a leaf either the action, or the argument checks of that syscall: each
 * 64-bit argument compared as two 32-bit halves (high half first), rules tried
 * in order, the default action when none matches.</li>
 * </ol>
 */
public final class Compiler {
    /** What a foreign ABI (i386, x32, 32-bit ARM) gets. */
    public static final Action BAD_ARCH = Action.KILL_PROCESS;
    /** The kernel's limit (BPF_MAXINSNS). */
    public static final int MAX_INSTRUCTIONS = 4096;

    static final int OFF_NR = 0;
    static final int OFF_ARCH = 4;
    static final int OFF_ARGS = 16;

    private final Assembler asm = new Assembler();
    private final Resolver.Resolved filter;

    private Compiler(Resolver.Resolved filter) {
        this.filter = filter;
    }

    /** A range of syscall numbers [start, next range's start) and what it leads to. */
    private record Range(long start, Action action, Resolver.SyscallPolicy conditional) {
    }

    /**
     * @throws ProfileException if the program exceeds the kernel's 4096 instructions
     */
    public static byte[] compile(Resolver.Resolved filter, String origin) {
        byte[] prog = new Compiler(filter).generate();
        if (prog.length / 8 > MAX_INSTRUCTIONS) {
            throw new ProfileException(origin + ": syscalls: the filter needs " + prog.length / 8
                    + " BPF instructions, more than the kernel's limit of " + MAX_INSTRUCTIONS);
        }
        return prog;
    }

    private byte[] generate() {
        Arch arch = filter.arch();
        Assembler.Label badArch = asm.label();
        asm.load(OFF_ARCH);
        asm.jeq(arch.auditArch(), null, badArch);
        asm.load(OFF_NR);
        Assembler.Label x32 = asm.label();
        if (arch.hasX32()) {
            asm.jge(Arch.X32_SYSCALL_BIT, x32, null);
        }
        List<Range> ranges = ranges();
        tree(ranges, 0, ranges.size() - 1);
        if (arch.hasX32()) {
            asm.bind(x32);
            Assembler.Label minusOne = asm.label();
            asm.jeq(0xffffffff, minusOne, badArch);
            asm.bind(minusOne);
            asm.ret(ranges.get(ranges.size() - 1).action().ret());
        }
        asm.bind(badArch);
        asm.ret(BAD_ARCH.ret());
        return asm.assemble();
    }

    private List<Range> ranges() {
        List<Range> out = new ArrayList<>();
        Action def = filter.defaultAction();
        long next = 0;
        for (Map.Entry<Integer, Resolver.SyscallPolicy> e : filter.syscalls().entrySet()) {
            long nr = Integer.toUnsignedLong(e.getKey());
            if (nr >= Arch.X32_SYSCALL_BIT) {
                throw new IllegalArgumentException("syscall number " + nr + " is not a native-ABI number");
            }
            if (nr > next) {
                add(out, new Range(next, def, null));
            }
            Resolver.SyscallPolicy p = e.getValue();
            add(out, p.unconditional().isPresent() ? new Range(nr, p.unconditional().get(), null)
                    : new Range(nr, null, p));
            next = nr + 1;
        }
        add(out, new Range(next, def, null));
        return out;
    }

    private static void add(List<Range> out, Range r) {
        if (!out.isEmpty()) {
            Range last = out.get(out.size() - 1);
            if (last.conditional() == null && r.conditional() == null && last.action().equals(r.action())) {
                return; // extends the previous range
            }
        }
        out.add(r);
    }

    /** Ranges lo..hi, the accumulator holding the syscall number. */
    private void tree(List<Range> ranges, int lo, int hi) {
        if (lo == hi) {
            leaf(ranges.get(lo));
            return;
        }
        int mid = (lo + hi + 1) >>> 1;
        Assembler.Label upper = asm.label();
        asm.jge((int) ranges.get(mid).start(), upper, null);
        tree(ranges, lo, mid - 1);
        asm.bind(upper);
        tree(ranges, mid, hi);
    }

    private void leaf(Range r) {
        if (r.conditional() == null) {
            asm.ret(r.action().ret());
            return;
        }
        for (Resolver.Conditional rule : r.conditional().rules()) {
            Assembler.Label nextRule = asm.label();
            for (Profile.Arg a : rule.args()) {
                compare(a, nextRule);
            }
            asm.ret(rule.action().ret());
            asm.bind(nextRule);
        }
        asm.ret(filter.defaultAction().ret());
    }

    /** Falls through when the comparison holds, jumps to {@code fail} when it does not. */
    private void compare(Profile.Arg a, Assembler.Label fail) {
        int lo = OFF_ARGS + 8 * a.index();
        int hi = lo + 4;
        int vlo = (int) a.value();
        int vhi = (int) (a.value() >>> 32);
        Assembler.Label pass = asm.label();
        switch (a.op()) {
            case EQ -> {
                asm.load(hi);
                asm.jeq(vhi, null, fail);
                asm.load(lo);
                asm.jeq(vlo, null, fail);
            }
            case NE -> {
                asm.load(hi);
                asm.jeq(vhi, null, pass);
                asm.load(lo);
                asm.jeq(vlo, fail, null);
            }
            case MASKED_EQ -> {
                long mask = a.value();
                long want = a.valueTwo();
                if (!maskedHalf(hi, (int) (mask >>> 32), (int) (want >>> 32), fail)
                        || !maskedHalf(lo, (int) mask, (int) want, fail)) {
                    return;
                }
            }
            case GT, GE, LT, LE -> {
                boolean positive = a.op() == Profile.ArgOp.GT || a.op() == Profile.ArgOp.GE;
                Assembler.Label onTrue = positive ? pass : fail;
                Assembler.Label onFalse = positive ? fail : pass;
                asm.load(hi);
                asm.jgt(vhi, onTrue, null);
                if (vhi != 0) { // after "not greater", a zero bound means the halves are equal
                    asm.jeq(vhi, null, onFalse);
                }
                asm.load(lo);
                boolean strict = a.op() == Profile.ArgOp.GT || a.op() == Profile.ArgOp.LE;
                if (strict) {
                    asm.jgt(vlo, onTrue, onFalse);
                } else {
                    asm.jge(vlo, onTrue, onFalse);
                }
            }
            default -> throw new IllegalStateException(a.op().toString());
        }
        asm.bind(pass);
        // "pass" must label a real instruction: what follows (another comparison or the rule's ret) always exists.
    }

    /** (half & mask) == want; returns false when it can never hold (then it has jumped to fail). */
    private boolean maskedHalf(int offset, int mask, int want, Assembler.Label fail) {
        if ((want & ~mask) != 0) {
            asm.ja(fail);
            return false;
        }
        if (mask == 0) {
            return true;
        }
        asm.load(offset);
        if (mask != -1) {
            asm.and(mask);
        }
        asm.jeq(want, null, fail);
        return true;
    }
}
