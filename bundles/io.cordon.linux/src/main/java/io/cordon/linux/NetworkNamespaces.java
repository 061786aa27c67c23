package io.cordon.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import io.cordon.api.CordonException;
import io.cordon.linux.internal.NetLibC;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Host-side network namespace work. A network namespace is per thread, so each
 * call runs on a fresh thread that enters (or creates) the namespace, does its
 * work and ends: no JVM thread that lives on is ever moved, and nothing runs in
 * a forked child.
 */
public final class NetworkNamespaces {
    private NetworkNamespaces() {
    }

    /**
     * Create a network namespace with {@code lo} up and pin it by bind-mounting it onto {@code file}, which
     * must not exist yet. The namespace lives until {@link #unpin} even with no process in it.
     */
    public static void createPinned(Path file) {
        try {
            Files.createFile(file);
        } catch (IOException e) {
            throw new CordonException("cannot create " + file + ": " + e);
        }
        try {
            onOwnThread("create a network namespace at " + file, () -> {
                NetLibC c = NetLibC.INSTANCE;
                c.unshare(NetLibC.CLONE_NEWNET);
                c.mount("/proc/thread-self/ns/net", file.toString(), null, new NativeLong(NetLibC.MS_BIND), null);
                loopbackUpHere();
            });
        } catch (RuntimeException e) {
            unpin(file);
            throw e;
        }
    }

    /** Bring {@code lo} up in the network namespace at {@code netns} ({@code /proc/PID/ns/net} or a pin). */
    public static void loopbackUp(Path netns) {
        onOwnThread("bring lo up in " + netns, () -> {
            NetLibC c = NetLibC.INSTANCE;
            int fd = c.open(netns.toString(), NetLibC.O_RDONLY | NetLibC.O_CLOEXEC);
            try {
                c.setns(fd, NetLibC.CLONE_NEWNET);
            } finally {
                c.close(fd);
            }
            loopbackUpHere();
        });
    }

    /** Unmount a pinned namespace and remove its file. Idempotent: a missing pin or file is not an error. */
    public static void unpin(Path file) {
        try {
            NetLibC.INSTANCE.umount2(file.toString(), NetLibC.MNT_DETACH);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != NetLibC.EINVAL && e.getErrorCode() != NetLibC.ENOENT) {
                throw new CordonException("cannot unmount the network namespace pinned at " + file + ": "
                        + NetLibC.INSTANCE.strerror(e.getErrorCode()));
            }
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new CordonException("cannot remove " + file + ": " + e);
        }
    }

    /** SIOCGIFFLAGS then SIOCSIFFLAGS with IFF_UP on lo, in the calling thread's network namespace. */
    private static void loopbackUpHere() {
        NetLibC c = NetLibC.INSTANCE;
        int sock = c.socket(NetLibC.AF_INET, NetLibC.SOCK_DGRAM | NetLibC.SOCK_CLOEXEC, 0);
        try {
            byte[] ifreq = new byte[40]; // struct ifreq: char ifr_name[16], then the union (short ifr_flags)
            byte[] name = "lo".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(name, 0, ifreq, 0, name.length);
            c.ioctl(sock, new NativeLong(NetLibC.SIOCGIFFLAGS), ifreq);
            ifreq[16] |= NetLibC.IFF_UP; // ifr_flags is a little-endian short on x86_64 and aarch64
            c.ioctl(sock, new NativeLong(NetLibC.SIOCSIFFLAGS), ifreq);
        } finally {
            c.close(sock);
        }
    }

    private interface NativeWork {
        void run();
    }

    private static void onOwnThread(String what, NativeWork work) {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                work.run();
            } catch (LastErrorException e) {
                failure.set(new CordonException("cannot " + what + ": "
                        + NetLibC.INSTANCE.strerror(e.getErrorCode())));
            } catch (RuntimeException | Error e) {
                failure.set(new CordonException("cannot " + what + ": " + e));
            }
        }, "cordon-netns");
        t.setDaemon(true);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CordonException("interrupted while waiting to " + what);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }
}
