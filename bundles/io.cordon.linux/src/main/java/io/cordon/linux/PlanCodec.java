package io.cordon.linux;

import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.NamespaceJoin;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.PlanEntry;
import io.cordon.api.plan.SyscallArg;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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

    public static final int OP_MOUNT = 1;
    public static final int OP_UMOUNT = 2;
    public static final int OP_MKDIR = 3;
    public static final int OP_MKNOD = 4;
    public static final int OP_SYMLINK = 5;
    public static final int OP_PIVOT_ROOT = 6;
    public static final int OP_SETHOSTNAME = 7;
    public static final int OP_WRITE_FILE = 8;
    public static final int OP_SETRLIMIT = 9;
    public static final int OP_SETGROUPS = 10;
    public static final int OP_SETRESGID = 11;
    public static final int OP_SETRESUID = 12;
    public static final int OP_CAPSET = 13;
    public static final int OP_NO_NEW_PRIVS = 14;
    public static final int OP_SECCOMP = 15;
    public static final int OP_SYSCALL = 16;
    public static final int OP_CHDIR = 17;
    public static final int OP_EXEC = 18;
    public static final int OP_WRITE_PROCFS = 19;

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
        if (op instanceof Op.Mount m) {
            w.str(m.source());
            w.str(m.target());
            w.str(m.fstype());
            w.u64(m.flags());
            w.str(m.data());
            return OP_MOUNT;
        } else if (op instanceof Op.Umount u) {
            w.str(u.target());
            w.u32(u.flags());
            return OP_UMOUNT;
        } else if (op instanceof Op.Mkdir m) {
            w.str(m.path());
            w.u32(m.mode());
            return OP_MKDIR;
        } else if (op instanceof Op.Mknod m) {
            w.str(m.path());
            w.u32(m.mode());
            w.u32(m.major());
            w.u32(m.minor());
            return OP_MKNOD;
        } else if (op instanceof Op.Symlink s) {
            w.str(s.target());
            w.str(s.linkPath());
            return OP_SYMLINK;
        } else if (op instanceof Op.PivotRoot p) {
            w.str(p.newRoot());
            return OP_PIVOT_ROOT;
        } else if (op instanceof Op.SetHostname h) {
            w.str(h.hostname());
            return OP_SETHOSTNAME;
        } else if (op instanceof Op.WriteFile f) {
            w.str(f.path());
            w.u32(f.mode());
            w.u32(f.writeFlags());
            w.blob(f.data());
            return OP_WRITE_FILE;
        } else if (op instanceof Op.SetRlimit r) {
            w.u32(r.resource());
            w.u64(r.soft());
            w.u64(r.hard());
            return OP_SETRLIMIT;
        } else if (op instanceof Op.SetGroups g) {
            w.u32(g.gids().size());
            g.gids().forEach(w::u32);
            return OP_SETGROUPS;
        } else if (op instanceof Op.SetResGid g) {
            w.u32(g.gid());
            return OP_SETRESGID;
        } else if (op instanceof Op.SetResUid u) {
            w.u32(u.uid());
            return OP_SETRESUID;
        } else if (op instanceof Op.CapSet c) {
            w.u64(c.bounding());
            w.u64(c.effective());
            w.u64(c.permitted());
            w.u64(c.inheritable());
            w.u64(c.ambient());
            return OP_CAPSET;
        } else if (op instanceof Op.NoNewPrivs) {
            return OP_NO_NEW_PRIVS;
        } else if (op instanceof Op.Seccomp s) {
            w.u32(s.flags());
            w.blob(s.filter());
            return OP_SECCOMP;
        } else if (op instanceof Op.Syscall s) {
            w.u32(s.number());
            w.u32(s.args().size());
            for (SyscallArg a : s.args()) {
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
            return OP_SYSCALL;
        } else if (op instanceof Op.Chdir c) {
            w.str(c.path());
            return OP_CHDIR;
        } else if (op instanceof Op.WriteProcfs p) {
            w.strlist(p.paths());
            w.blob(p.data());
            return OP_WRITE_PROCFS;
        } else if (op instanceof Op.Exec e) {
            w.str(e.file());
            w.strlist(e.argv());
            w.strlist(e.env());
            return OP_EXEC;
        }
        throw new IllegalArgumentException("no wire encoding for " + op);
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
        switch (code) {
            case OP_MOUNT:
                return new Op.Mount(r.str(), r.str(), r.str(), r.u64(), r.str());
            case OP_UMOUNT:
                return new Op.Umount(r.str(), r.u32());
            case OP_MKDIR:
                return new Op.Mkdir(r.str(), r.u32());
            case OP_MKNOD:
                return new Op.Mknod(r.str(), r.u32(), r.u32(), r.u32());
            case OP_SYMLINK:
                return new Op.Symlink(r.str(), r.str());
            case OP_PIVOT_ROOT:
                return new Op.PivotRoot(r.str());
            case OP_SETHOSTNAME:
                return new Op.SetHostname(r.str());
            case OP_WRITE_FILE:
                return new Op.WriteFile(r.str(), r.u32(), r.u32(), r.blob());
            case OP_SETRLIMIT:
                return new Op.SetRlimit(r.u32(), r.u64(), r.u64());
            case OP_SETGROUPS: {
                int n = r.u32();
                List<Integer> gids = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    gids.add(r.u32());
                }
                return new Op.SetGroups(gids);
            }
            case OP_SETRESGID:
                return new Op.SetResGid(r.u32());
            case OP_SETRESUID:
                return new Op.SetResUid(r.u32());
            case OP_CAPSET:
                return new Op.CapSet(r.u64(), r.u64(), r.u64(), r.u64(), r.u64());
            case OP_NO_NEW_PRIVS:
                return new Op.NoNewPrivs();
            case OP_SECCOMP:
                return new Op.Seccomp(r.u32(), r.blob());
            case OP_SYSCALL: {
                int nr = r.u32();
                int argc = r.u32();
                List<SyscallArg> args = new ArrayList<>();
                for (int i = 0; i < argc; i++) {
                    int kind = r.u8();
                    args.add(switch (kind) {
                        case 0 -> new SyscallArg.Immediate(r.u64());
                        case 1 -> new SyscallArg.Buffer(r.blob());
                        case 2 -> new SyscallArg.ResultOf(r.u32());
                        case 3 -> new SyscallArg.Str(r.str());
                        default -> throw new IllegalArgumentException("plan: unknown syscall arg kind " + kind);
                    });
                }
                return new Op.Syscall(nr, args);
            }
            case OP_CHDIR:
                return new Op.Chdir(r.str());
            case OP_EXEC:
                return new Op.Exec(r.str(), r.strlist(), r.strlist());
            case OP_WRITE_PROCFS:
                return new Op.WriteProcfs(r.strlist(), r.blob());
            default:
                throw new IllegalArgumentException("plan: unknown op code " + code);
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
