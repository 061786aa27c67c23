package io.cordon.linux;

import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.NamespaceJoin;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.PlanEntry;
import io.cordon.api.plan.SyscallArg;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The plan wire format the C launcher reads (docs/launcher-protocol.md): a
 * versioned, length-prefixed, little-endian message. The limits here match the
 * launcher's so that Java refuses an oversized plan before the launcher has to.
 */
public final class PlanCodec {
    public static final int MAGIC = 0x504E4443; // "CDNP" little-endian
    public static final int VERSION = 1;
    public static final int MAX_BODY = 16 << 20;
    public static final int MAX_STRING = 1 << 20;
    public static final int MAX_BLOB = 8 << 20;
    public static final int MAX_OPS = 65536;
    public static final int MAX_JOINS = 16;
    public static final int FLAG_OPTIONAL = 1;

    /**
     * The kinds of payload field, each with its letter in the launcher's op table (plan.h) and its word in
     * docs/launcher-protocol.md.
     */
    public enum Field {
        STR('s', "str"), U32('u', "u32"), U64('U', "u64"), BLOB('b', "blob"), STRLIST('l', "strlist"),
        /** u32 count, then count u32s. */
        U32LIST('g', "u32list"),
        /** u32 argc, then argc SYSCALL arguments. */
        ARGLIST('a', "arglist");

        public final char letter;
        public final String word;

        Field(char letter, String word) {
            this.letter = letter;
            this.word = word;
        }
    }

    /**
     * One op's wire form: its code, its name in the launcher, and its payload fields, which are the record's
     * components in declaration order (a String is a str, an int a u32, a long a u64, a byte[] a blob, a list
     * of strings a strlist, of integers a u32list, of syscall arguments an arglist). The encoder and decoder
     * below work from this table alone; LauncherOpTableTest holds it to plan.h and the protocol document.
     */
    public record OpFormat(int code, String name, Class<? extends Op> type, List<Field> fields,
            List<Method> accessors, Constructor<? extends Op> constructor) {
    }

    private static final List<OpFormat> FORMATS = List.of(
            format(1, "MOUNT", Op.Mount.class),
            format(2, "UMOUNT", Op.Umount.class),
            format(3, "MKDIR", Op.Mkdir.class),
            format(4, "MKNOD", Op.Mknod.class),
            format(5, "SYMLINK", Op.Symlink.class),
            format(6, "PIVOT_ROOT", Op.PivotRoot.class),
            format(7, "SETHOSTNAME", Op.SetHostname.class),
            format(8, "WRITE_FILE", Op.WriteFile.class),
            format(9, "SETRLIMIT", Op.SetRlimit.class),
            format(10, "SETGROUPS", Op.SetGroups.class),
            format(11, "SETRESGID", Op.SetResGid.class),
            format(12, "SETRESUID", Op.SetResUid.class),
            format(13, "CAPSET", Op.CapSet.class),
            format(14, "NO_NEW_PRIVS", Op.NoNewPrivs.class),
            format(15, "SECCOMP", Op.Seccomp.class),
            format(16, "SYSCALL", Op.Syscall.class),
            format(17, "CHDIR", Op.Chdir.class),
            format(18, "EXEC", Op.Exec.class),
            format(19, "WRITE_PROCFS", Op.WriteProcfs.class),
            format(20, "ROOT", Op.Root.class),
            format(21, "MOUNT_IN_ROOT", Op.MountInRoot.class),
            format(22, "MKDIR_IN_ROOT", Op.MkdirInRoot.class),
            format(23, "MKNOD_IN_ROOT", Op.MknodInRoot.class),
            format(24, "SYMLINK_IN_ROOT", Op.SymlinkInRoot.class),
            format(25, "WRITE_FILE_IN_ROOT", Op.WriteFileInRoot.class),
            format(26, "CHOWN_IN_ROOT", Op.ChownInRoot.class),
            format(27, "UNLINK_IN_ROOT", Op.UnlinkInRoot.class));

    private static final Map<Class<?>, OpFormat> BY_TYPE = new HashMap<>();
    private static final Map<Integer, OpFormat> BY_CODE = new HashMap<>();

    static {
        for (OpFormat f : FORMATS) {
            BY_TYPE.put(f.type(), f);
            BY_CODE.put(f.code(), f);
        }
    }

    /** Every op's wire form, by code. */
    public static List<OpFormat> formats() {
        return FORMATS;
    }

    /** The wire code of an op. */
    public static int code(Op op) {
        return formatOf(op).code();
    }

    private static OpFormat format(int code, String name, Class<? extends Op> type) {
        RecordComponent[] parts = type.getRecordComponents();
        List<Field> fields = new ArrayList<>();
        List<Method> accessors = new ArrayList<>();
        Class<?>[] types = new Class<?>[parts.length];
        for (int i = 0; i < parts.length; i++) {
            fields.add(fieldOf(type, parts[i]));
            accessors.add(parts[i].getAccessor());
            types[i] = parts[i].getType();
        }
        try {
            return new OpFormat(code, name, type, List.copyOf(fields), List.copyOf(accessors),
                    type.getDeclaredConstructor(types));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type + " has no canonical constructor", e);
        }
    }

    private static Field fieldOf(Class<?> type, RecordComponent c) {
        Class<?> t = c.getType();
        if (t == String.class) {
            return Field.STR;
        } else if (t == int.class) {
            return Field.U32;
        } else if (t == long.class) {
            return Field.U64;
        } else if (t == byte[].class) {
            return Field.BLOB;
        } else if (t == List.class && c.getGenericType() instanceof ParameterizedType p) {
            Type e = p.getActualTypeArguments()[0];
            if (e == String.class) {
                return Field.STRLIST;
            } else if (e == Integer.class) {
                return Field.U32LIST;
            } else if (e == SyscallArg.class) {
                return Field.ARGLIST;
            }
        }
        throw new IllegalStateException(type.getSimpleName() + "." + c.getName() + ": no wire form for "
                + c.getGenericType());
    }

    private static OpFormat formatOf(Op op) {
        OpFormat f = BY_TYPE.get(op.getClass());
        if (f == null) {
            throw new IllegalArgumentException("no wire encoding for " + op);
        }
        return f;
    }

    private PlanCodec() {
    }

    /** A decoded plan: what the launcher will see. */
    public record Decoded(long cloneFlags, List<NamespaceJoin> joins, List<Op> ops, List<Boolean> optional) {
    }

    public static byte[] encode(ChildPlan plan) {
        Writer body = new Writer();
        body.u64(plan.cloneFlags());
        if (plan.joins().size() > MAX_JOINS) {
            throw new IllegalArgumentException("plan joins " + plan.joins().size() + " namespaces, at most "
                    + MAX_JOINS);
        }
        body.u32(plan.joins().size());
        for (NamespaceJoin j : plan.joins()) {
            body.u32((int) j.namespace().cloneFlag());
            body.str(j.path());
        }
        if (plan.entries().size() > MAX_OPS) {
            throw new IllegalArgumentException("plan has " + plan.entries().size() + " ops, at most " + MAX_OPS);
        }
        body.u32(plan.entries().size());
        for (PlanEntry e : plan.entries()) {
            Writer payload = new Writer();
            int code = encodeOp(e.op(), payload);
            body.u16(code);
            body.u16(e.optional() ? FLAG_OPTIONAL : 0);
            byte[] p = payload.bytes();
            body.u32(p.length);
            body.raw(p);
        }
        byte[] b = body.bytes();
        if (b.length > MAX_BODY) {
            throw new IllegalArgumentException("plan is " + b.length + " bytes, at most " + MAX_BODY);
        }
        Writer out = new Writer();
        out.u32(MAGIC);
        out.u16(VERSION);
        out.u16(0);
        out.u32(b.length);
        out.raw(b);
        return out.bytes();
    }

    private static int encodeOp(Op op, Writer w) {
        OpFormat f = formatOf(op);
        for (int i = 0; i < f.fields().size(); i++) {
            Object v;
            try {
                v = f.accessors().get(i).invoke(op);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + f.accessors().get(i), e);
            }
            write(f.fields().get(i), v, w);
        }
        return f.code();
    }

    @SuppressWarnings("unchecked")
    private static void write(Field kind, Object v, Writer w) {
        switch (kind) {
            case STR -> w.str((String) v);
            case U32 -> w.u32((Integer) v);
            case U64 -> w.u64((Long) v);
            case BLOB -> w.blob((byte[]) v);
            case STRLIST -> w.strlist((List<String>) v);
            case U32LIST -> {
                List<Integer> l = (List<Integer>) v;
                w.u32(l.size());
                l.forEach(w::u32);
            }
            case ARGLIST -> {
                List<SyscallArg> args = (List<SyscallArg>) v;
                w.u32(args.size());
                for (SyscallArg a : args) {
                    if (a instanceof SyscallArg.Immediate i) {
                        w.u8(0);
                        w.u64(i.value());
                    } else if (a instanceof SyscallArg.Buffer b) {
                        w.u8(1);
                        w.blob(b.bytes());
                    } else if (a instanceof SyscallArg.ResultOf r) {
                        w.u8(2);
                        w.u32(r.opIndex());
                    } else if (a instanceof SyscallArg.Str str) {
                        w.u8(3);
                        w.str(str.value());
                    }
                }
            }
        }
    }

    /** Decode a plan; used by tests to prove the encoding round-trips. */
    public static Decoded decode(byte[] bytes) {
        Reader r = new Reader(bytes);
        if (r.u32() != MAGIC) {
            throw new IllegalArgumentException("plan: bad magic");
        }
        int version = r.u16();
        if (version != VERSION) {
            throw new IllegalArgumentException("plan: unsupported version " + version);
        }
        r.u16();
        long bodyLen = r.u32() & 0xffffffffL;
        if (bodyLen != bytes.length - 12) {
            throw new IllegalArgumentException("plan: body length " + bodyLen + " but " + (bytes.length - 12)
                    + " bytes follow");
        }
        long flags = r.u64();
        int nJoins = r.u32();
        List<NamespaceJoin> joins = new ArrayList<>();
        for (int i = 0; i < nJoins; i++) {
            int type = r.u32();
            String path = r.str();
            Namespace ns = null;
            for (Namespace n : Namespace.values()) {
                if (n.cloneFlag() == type) {
                    ns = n;
                }
            }
            joins.add(new NamespaceJoin(ns, path, "?"));
        }
        int nOps = r.u32();
        List<Op> ops = new ArrayList<>();
        List<Boolean> optional = new ArrayList<>();
        for (int i = 0; i < nOps; i++) {
            int code = r.u16();
            optional.add((r.u16() & FLAG_OPTIONAL) != 0);
            int len = r.u32();
            int end = r.pos + len;
            ops.add(decodeOp(code, r));
            if (r.pos != end) {
                throw new IllegalArgumentException("plan: op " + i + " payload length " + len + " does not match");
            }
        }
        if (r.pos != bytes.length) {
            throw new IllegalArgumentException("plan: trailing bytes");
        }
        return new Decoded(flags, joins, ops, optional);
    }

    private static Op decodeOp(int code, Reader r) {
        OpFormat f = BY_CODE.get(code);
        if (f == null) {
            throw new IllegalArgumentException("plan: unknown op code " + code);
        }
        Object[] values = new Object[f.fields().size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = read(f.fields().get(i), r);
        }
        try {
            return f.constructor().newInstance(values);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IllegalArgumentException("plan: bad " + f.name() + ": " + e.getCause().getMessage(), e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make a " + f.type().getSimpleName(), e);
        }
    }

    private static Object read(Field kind, Reader r) {
        switch (kind) {
            case STR:
                return r.str();
            case U32:
                return r.u32();
            case U64:
                return r.u64();
            case BLOB:
                return r.blob();
            case STRLIST:
                return r.strlist();
            case U32LIST: {
                int n = r.u32();
                List<Integer> l = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    l.add(r.u32());
                }
                return l;
            }
            default: {
                int argc = r.u32();
                List<SyscallArg> args = new ArrayList<>();
                for (int i = 0; i < argc; i++) {
                    int k = r.u8();
                    args.add(switch (k) {
                        case 0 -> new SyscallArg.Immediate(r.u64());
                        case 1 -> new SyscallArg.Buffer(r.blob());
                        case 2 -> new SyscallArg.ResultOf(r.u32());
                        case 3 -> new SyscallArg.Str(r.str());
                        default -> throw new IllegalArgumentException("plan: unknown syscall arg kind " + k);
                    });
                }
                return args;
            }
        }
    }

    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u8(int v) {
            out.write(v);
        }

        void u16(int v) {
            scratch.clear();
            scratch.putShort((short) v);
            out.write(scratch.array(), 0, 2);
        }

        void u32(int v) {
            scratch.clear();
            scratch.putInt(v);
            out.write(scratch.array(), 0, 4);
        }

        void u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            out.write(scratch.array(), 0, 8);
        }

        void raw(byte[] b) {
            out.write(b, 0, b.length);
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_STRING) {
                throw new IllegalArgumentException("plan string longer than " + MAX_STRING + " bytes");
            }
            for (byte x : b) {
                if (x == 0) {
                    throw new IllegalArgumentException("plan string contains a NUL byte: " + s.replace('\0', '@'));
                }
            }
            u32(b.length);
            raw(b);
        }

        void blob(byte[] b) {
            if (b.length > MAX_BLOB) {
                throw new IllegalArgumentException("plan buffer longer than " + MAX_BLOB + " bytes");
            }
            u32(b.length);
            raw(b);
        }

        void strlist(List<String> l) {
            u32(l.size());
            l.forEach(this::str);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static final class Reader {
        private final ByteBuffer buf;
        int pos;

        Reader(byte[] bytes) {
            buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        private void need(int n) {
            if (buf.limit() - pos < n) {
                throw new IllegalArgumentException("plan: truncated at offset " + pos);
            }
        }

        int u8() {
            need(1);
            return buf.get(pos++) & 0xff;
        }

        int u16() {
            need(2);
            int v = buf.getShort(pos) & 0xffff;
            pos += 2;
            return v;
        }

        int u32() {
            need(4);
            int v = buf.getInt(pos);
            pos += 4;
            return v;
        }

        long u64() {
            need(8);
            long v = buf.getLong(pos);
            pos += 8;
            return v;
        }

        byte[] blob() {
            int n = u32();
            if (n < 0) {
                throw new IllegalArgumentException("plan: negative length at offset " + pos);
            }
            need(n);
            byte[] b = new byte[n];
            buf.get(pos, b);
            pos += n;
            return b;
        }

        String str() {
            return new String(blob(), StandardCharsets.UTF_8);
        }

        List<String> strlist() {
            int n = u32();
            List<String> l = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                l.add(str());
            }
            return l;
        }
    }
}
