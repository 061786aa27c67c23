package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/** The libc calls for host-side network namespace work (pinning, loopback up). */
public interface NetLibC extends Library {
    NetLibC INSTANCE = Native.load("c", NetLibC.class);

    int CLONE_NEWNET = 0x40000000;
    int MS_BIND = 4096;
    int MNT_DETACH = 2;
    int O_RDONLY = 0;
    int O_CLOEXEC = 02000000;
    int AF_INET = 2;
    int SOCK_DGRAM = 2;
    int SOCK_CLOEXEC = 02000000;
    long SIOCGIFFLAGS = 0x8913;
    long SIOCSIFFLAGS = 0x8914;
    short IFF_UP = 1;
    int EINVAL = 22;
    int ENOENT = 2;

    int unshare(int flags) throws LastErrorException;

    int setns(int fd, int nstype) throws LastErrorException;

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int mount(String source, String target, String fstype, NativeLong flags, Pointer data) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int ioctl(int fd, NativeLong request, byte[] arg) throws LastErrorException;

    String strerror(int errnum);
}
