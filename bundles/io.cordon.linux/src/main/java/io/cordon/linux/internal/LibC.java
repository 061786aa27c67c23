package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/** The few host-side libc calls cordon needs; JNA maps them directly. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_RDWR = 2;
    int O_CREAT = 0100;
    int O_TRUNC = 01000;
    int O_CLOEXEC = 02000000;
    int EINTR = 4;
    int ESRCH = 3;

    int F_DUPFD_CLOEXEC = 1030;
    int SIGKILL = 9;
    int SIGSTOP = 19;

    int MFD_CLOEXEC = 1;
    int MFD_ALLOW_SEALING = 2;
    int F_ADD_SEALS = 1033;
    int F_SEAL_SEAL = 1;
    int F_SEAL_SHRINK = 2;
    int F_SEAL_GROW = 4;
    int F_SEAL_WRITE = 8;

    int memfd_create(String name, int flags) throws LastErrorException;

    int pipe2(int[] fds, int flags) throws LastErrorException;

    int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    long read(int fd, byte[] buf, long count) throws LastErrorException;

    long write(int fd, byte[] buf, long count) throws LastErrorException;

    int kill(int pid, int sig) throws LastErrorException;

    int waitpid(int pid, IntByReference status, int options) throws LastErrorException;

    int posix_spawn_file_actions_init(Pointer actions);

    int posix_spawn_file_actions_destroy(Pointer actions);

    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

    int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int oflag, int mode);

    int posix_spawn(IntByReference pid, String path, Pointer fileActions, Pointer attr, String[] argv,
            String[] envp);

    String strerror(int errnum);
}
