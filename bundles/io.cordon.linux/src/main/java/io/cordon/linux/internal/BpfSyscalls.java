package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** libc's open/close and the raw syscall(2) entry, for bpf(2), which glibc does not wrap. */
interface BpfSyscalls extends Library {
    BpfSyscalls INSTANCE = Native.load("c", BpfSyscalls.class);

    int O_RDONLY = 0;
    int O_DIRECTORY = 0200000;
    int O_CLOEXEC = 02000000;

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    long syscall(long number, long cmd, Pointer attr, long size) throws LastErrorException;

    String strerror(int errnum);
}
