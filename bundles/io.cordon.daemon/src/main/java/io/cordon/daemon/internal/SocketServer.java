package io.cordon.daemon.internal;

import io.cordon.api.CordonException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The daemon's listening socket: a filesystem unix socket (the JDK's unix sockets have no abstract
 * names, which a {@code --network host} container could reach) in a root-owned 0700 directory, the
 * socket itself 0600. One daemon per socket: it holds an exclusive lock on {@code SOCKET.lock} for its
 * life, so two daemons started at once cannot both remove and bind the same path.
 */
final class SocketServer implements AutoCloseable {
    private final Path socket;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final ServerSocketChannel server;

    private SocketServer(Path socket, FileChannel lockFile, FileLock lock, ServerSocketChannel server) {
        this.socket = socket;
        this.lockFile = lockFile;
        this.lock = lock;
        this.server = server;
    }

    Path path() {
        return socket;
    }

    /**
     * Bind {@code socket}, or refuse in one line when another daemon serves it. A socket file left by a
     * daemon that died (nothing answers on it) is removed first; the returned message list says so.
     */
    static SocketServer bind(Path socket, java.util.function.Consumer<String> log) {
        Path dir = socket.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!view.readAttributes().isDirectory() || !view.getOwner().getName().equals("root")) {
                throw new CordonException("daemon: " + dir + " must be a directory owned by root");
            }
            view.setPermissions(PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new CordonException("daemon: cannot prepare the socket directory " + dir + ": " + e.getMessage());
        }
        Path lockPath = socket.resolveSibling(socket.getFileName() + ".lock");
        FileChannel lockFile = null;
        try {
            lockFile = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = lockFile.tryLock();
            if (lock == null) {
                String pid = new String(Files.readAllBytes(lockPath), StandardCharsets.US_ASCII).trim();
                throw new CordonException("daemon: another cordon daemon already serves " + socket
                        + (pid.isEmpty() ? "" : " (pid " + pid + ")") + "; stop it first");
            }
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                if (answers(socket)) {
                    throw new CordonException("daemon: a daemon already answers on " + socket + "; stop it first");
                }
                Files.delete(socket);
                log.accept("removed the stale socket " + socket + " (nothing answered on it)");
            }
            lockFile.truncate(0);
            lockFile.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                // Until the chmod the socket has the umask's mode, but the 0700 directory keeps everyone but
                // root from reaching it meanwhile.
                server.bind(UnixDomainSocketAddress.of(socket));
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException e) {
                server.close();
                throw e;
            }
            return new SocketServer(socket, lockFile, lock, server);
        } catch (IOException e) {
            closeQuietly(lockFile);
            throw new CordonException("daemon: cannot listen on " + socket + ": " + e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(lockFile);
            throw e;
        }
    }

    /** Whether a cordon daemon answers a hello on {@code socket}. */
    static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            Channels.newOutputStream(ch).write(Protocol.hello());
            InputStream in = Channels.newInputStream(ch);
            return in.readNBytes(Protocol.HELLO_LEN).length == Protocol.HELLO_LEN;
        } catch (IOException e) {
            return false;
        }
    }

    SocketChannel accept() throws IOException {
        return server.accept();
    }

    @Override
    public void close() {
        closeQuietly(server);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // Stale now; the next daemon removes it.
        }
        try {
            lock.release();
        } catch (IOException e) {
            // Released with the file below.
        }
        closeQuietly(lockFile);
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException e) {
            // Nothing left to release.
        }
    }
}
