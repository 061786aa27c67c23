package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import io.cordon.api.CordonException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The launcher executable ships inside this bundle (compiled by the Maven build). The kernel can only
 * exec a file, so it is copied once per runtime into a sealed memfd (no write, grow, shrink or further
 * seals) and executed as {@code /proc/self/fd/N}: nothing is written to the host's filesystem, nothing is
 * left behind when the runtime stops, and no process, in a container or not, can change the binary that
 * later launches exec (as runc does against CVE-2019-5736).
 */
final class LauncherBinary {
    static final String RESOURCE = "/native/cordon-launcher";

    private LauncherBinary() {
    }

    /**
     * Load the launcher into a sealed, close-on-exec memfd numbered at least {@code minFd} (so the spawn's
     * dup2 onto the plan and report fds can never land on it) and return that fd. exec resolves
     * /proc/self/fd/N before close-on-exec fds are closed, so the launcher itself never holds it.
     */
    static int load(int minFd) {
        byte[] bytes;
        try (InputStream in = LauncherBinary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new CordonException("the cordon-launcher executable is missing from io.cordon.linux: "
                        + "rebuild with mvn (gcc is needed)");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new CordonException("cannot read the launcher from the bundle: " + e.getMessage());
        }
        LibC c = LibC.INSTANCE;
        int fd = -1;
        try {
            int memfd = c.memfd_create("cordon-launcher", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
            try {
                fd = c.fcntl(memfd, LibC.F_DUPFD_CLOEXEC, minFd);
            } finally {
                c.close(memfd);
            }
            for (int off = 0; off < bytes.length;) {
                byte[] rest = off == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, off, bytes.length);
                off += (int) c.write(fd, rest, rest.length);
            }
            c.fcntl(fd, LibC.F_ADD_SEALS, LibC.F_SEAL_SEAL | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW
                    | LibC.F_SEAL_WRITE);
            return fd;
        } catch (LastErrorException e) {
            if (fd >= 0) {
                c.close(fd);
            }
            throw new CordonException("cannot load the launcher into a memfd: " + c.strerror(e.getErrorCode()));
        }
    }
}
