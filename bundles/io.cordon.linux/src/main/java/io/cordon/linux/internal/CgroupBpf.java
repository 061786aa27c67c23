package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.cordon.linux.SyscallNumbers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * bpf(2) for cgroup device programs: load a BPF_PROG_TYPE_CGROUP_DEVICE program,
 * attach it to a cgroup2 directory, count what is attached. The layout of
 * {@code union bpf_attr} is from include/uapi/linux/bpf.h.
 */
public final class CgroupBpf {
    static final int BPF_PROG_LOAD = 5;
    static final int BPF_PROG_ATTACH = 8;
    static final int BPF_PROG_QUERY = 16;
    static final int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    static final int BPF_CGROUP_DEVICE = 6;
    static final int BPF_F_ALLOW_MULTI = 2;
    private static final int ATTR_SIZE = 128;
    private static final int LOG_SIZE = 1 << 16;

    private CgroupBpf() {
    }

    /** Loads the program and attaches it to the cgroup; the attachment keeps it alive, our fds are closed. */
    public static void attachDeviceProgram(Path cgroupDir, byte[] insns) {
        if (insns.length == 0 || insns.length % 8 != 0) {
            throw new IllegalArgumentException("a BPF program is a non-empty multiple of 8 bytes, got "
                    + insns.length);
        }
        BpfSyscalls c = BpfSyscalls.INSTANCE;
        int cgroupFd = openDir(cgroupDir);
        try {
            int progFd = load(insns);
            try {
                Memory attr = attr();
                attr.setInt(0, cgroupFd); // target_fd
                attr.setInt(4, progFd); // attach_bpf_fd
                attr.setInt(8, BPF_CGROUP_DEVICE); // attach_type
                attr.setInt(12, BPF_F_ALLOW_MULTI); // attach_flags: the parent's programs keep running too
                try {
                    c.syscall(SyscallNumbers.bpf(), BPF_PROG_ATTACH, attr, ATTR_SIZE);
                } catch (LastErrorException e) {
                    throw new IllegalStateException("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) on " + cgroupDir + ": "
                            + c.strerror(e.getErrorCode()));
                }
            } finally {
                closeQuietly(progFd);
            }
        } finally {
            closeQuietly(cgroupFd);
        }
    }

    /** How many device programs are attached to this cgroup itself (BPF_PROG_QUERY). */
    public static int attachedDevicePrograms(Path cgroupDir) {
        BpfSyscalls c = BpfSyscalls.INSTANCE;
        int fd = openDir(cgroupDir);
        try {
            Memory attr = attr();
            attr.setInt(0, fd); // target_fd
            attr.setInt(4, BPF_CGROUP_DEVICE); // attach_type
            // query_flags 0, prog_ids NULL: only prog_cnt comes back (offset 24)
            c.syscall(SyscallNumbers.bpf(), BPF_PROG_QUERY, attr, ATTR_SIZE);
            return attr.getInt(24);
        } catch (LastErrorException e) {
            throw new IllegalStateException("bpf(BPF_PROG_QUERY) on " + cgroupDir + ": "
                    + c.strerror(e.getErrorCode()));
        } finally {
            closeQuietly(fd);
        }
    }

    private static int load(byte[] insns) {
        BpfSyscalls c = BpfSyscalls.INSTANCE;
        Memory prog = new Memory(insns.length);
        prog.write(0, insns, 0, insns.length);
        byte[] lic = "Apache-2.0\0".getBytes(StandardCharsets.US_ASCII);
        Memory license = new Memory(lic.length);
        license.write(0, lic, 0, lic.length);
        Memory attr = loadAttr(prog, insns.length / 8, license);
        try {
            return (int) c.syscall(SyscallNumbers.bpf(), BPF_PROG_LOAD, attr, ATTR_SIZE);
        } catch (LastErrorException first) {
            // Once more with the verifier's log, so the error says why.
            Memory log = new Memory(LOG_SIZE);
            log.clear();
            Memory withLog = loadAttr(prog, insns.length / 8, license);
            withLog.setInt(24, 1); // log_level
            withLog.setInt(28, LOG_SIZE); // log_size
            withLog.setPointer(32, log); // log_buf
            try {
                int fd = (int) c.syscall(SyscallNumbers.bpf(), BPF_PROG_LOAD, withLog, ATTR_SIZE);
                return fd;
            } catch (LastErrorException e) {
                String verifier = lastLine(log.getString(0, StandardCharsets.UTF_8.name()));
                throw new IllegalStateException("bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE): "
                        + c.strerror(e.getErrorCode()) + (verifier.isEmpty() ? "" : " (verifier: " + verifier + ")"));
            }
        }
    }

    private static Memory loadAttr(Memory prog, int count, Memory license) {
        Memory attr = attr();
        attr.setInt(0, BPF_PROG_TYPE_CGROUP_DEVICE); // prog_type
        attr.setInt(4, count); // insn_cnt
        attr.setPointer(8, prog); // insns
        attr.setPointer(16, license); // license
        attr.setInt(68, BPF_CGROUP_DEVICE); // expected_attach_type
        return attr;
    }

    private static Memory attr() {
        Memory attr = new Memory(ATTR_SIZE);
        attr.clear();
        return attr;
    }

    private static String lastLine(String log) {
        String[] lines = log.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    private static int openDir(Path dir) {
        BpfSyscalls c = BpfSyscalls.INSTANCE;
        try {
            return c.open(dir.toString(), BpfSyscalls.O_RDONLY | BpfSyscalls.O_DIRECTORY | BpfSyscalls.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IllegalStateException("open " + dir + ": " + c.strerror(e.getErrorCode()));
        }
    }

    private static void closeQuietly(int fd) {
        try {
            BpfSyscalls.INSTANCE.close(fd);
        } catch (LastErrorException ignored) {
            // nothing to release
        }
    }
}
