package io.cordon.daemon.internal;

import io.cordon.api.RemoteLauncher;
import io.cordon.api.Stdio;
import io.cordon.cli.ClientContext;
import io.cordon.cli.CommandLineTool;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * One client connection: hello both ways, the root check on the peer's credentials, one frame (a
 * REQUEST or a PING), then the command line's output as STDOUT/STDERR frames and its EXIT frame.
 * For {@code run} the connection turns into the launcher's plan and report channel in between (the
 * LAUNCH frame). Whatever goes wrong here is one line to the client and to the log, and ends this
 * connection only.
 */
final class ClientConnection implements Runnable {
    private static final UserPrincipal ROOT = root();

    private final SocketChannel channel;
    private final CommandLineTool tool;
    private final Consumer<String> log;
    private final InputStream in;
    private final OutputStream out;
    private final Object writeLock = new Object();

    ClientConnection(SocketChannel channel, CommandLineTool tool, Consumer<String> log) {
        this.channel = channel;
        this.tool = tool;
        this.log = log;
        this.in = inputOf(channel);
        this.out = outputOf(channel);
    }

    /**
     * Not Channels.newInputStream/newOutputStream: both hold the channel's blocking lock while they wait,
     * so a write (the request deadline's ERROR frame) would wait behind a blocked read. The channel itself
     * reads and writes under separate locks.
     */
    private static InputStream inputOf(SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                return ch.read(java.nio.ByteBuffer.wrap(b, off, len));
            }
        };
    }

    private static OutputStream outputOf(SocketChannel ch) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        };
    }

    private static UserPrincipal root() {
        try {
            return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("root");
        } catch (IOException e) {
            throw new IllegalStateException("no user root on this host", e);
        }
    }

    /** A client that has not sent its whole request by then is cut off, so it cannot hold a thread forever. */
    static final int REQUEST_DEADLINE_SECONDS = 10;

    @Override
    public void run() {
        String who = "a client";
        java.util.concurrent.atomic.AtomicBoolean requestRead = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture.delayedExecutor(REQUEST_DEADLINE_SECONDS,
                java.util.concurrent.TimeUnit.SECONDS).execute(() -> {
                    if (!requestRead.get()) {
                        refuse("no request within " + REQUEST_DEADLINE_SECONDS + " s; closing the connection");
                        closeQuietly();
                    }
                });
        // Not try-with-resources: that would close the channel before the catch blocks send their line.
        try {
            UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            out.write(Protocol.hello());
            if (!peer.user().equals(ROOT)) {
                refuse("permission denied: the cordon daemon serves root only, this client runs as "
                        + peer.user().getName());
                return;
            }
            Protocol.readHello(in);
            Protocol.Frame frame = Protocol.readClientFrame(in);
            requestRead.set(true);
            if (frame.type() == Protocol.PING) {
                Protocol.writeInt(out, Protocol.PONG, (int) ProcessHandle.current().pid());
                return;
            }
            Request request = Request.decode(frame.payload());
            who = "client pid " + request.clientPid();
            int code = execute(request);
            synchronized (writeLock) {
                Protocol.writeInt(out, Protocol.EXIT, code & 0xff);
            }
        } catch (ProtocolException e) {
            refuse(e.getMessage());
        } catch (EOFException e) {
            // A probe (hello, then nothing) or a client that died: nothing to tell anyone.
        } catch (java.nio.channels.ClosedChannelException e) {
            // Closed by the request deadline or by the daemon stopping; both said so already.
        } catch (IOException e) {
            log.accept(who + ": connection lost: " + e.getMessage());
        } catch (RuntimeException e) {
            log.accept(who + ": internal error: " + e);
            refuse("internal error in the daemon: " + e);
        } finally {
            requestRead.set(true);
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // Closed already.
        }
    }

    private int execute(Request r) {
        ClientContext client = new ClientContext(Path.of(r.cwd()), new Launcher(r.clientPid()));
        PrintStream stdout = new PrintStream(new FrameStream(Protocol.STDOUT), true, StandardCharsets.UTF_8);
        PrintStream stderr = new PrintStream(new FrameStream(Protocol.STDERR), true, StandardCharsets.UTF_8);
        return tool.execute(r.argv().toArray(String[]::new), stdout, stderr, client);
    }

    /** One line, the ERROR frame; the connection then closes. */
    private void refuse(String oneLine) {
        String line = oneLine.replace('\n', ' ');
        log.accept("refused a connection: " + line);
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        try {
            synchronized (writeLock) {
                Protocol.writeFrame(out, Protocol.ERROR, b, 0, Math.min(b.length, Protocol.MAX_ERROR));
            }
        } catch (IOException gone) {
            // The client went away first.
        }
    }

    /** What a command prints, cut into frames of at most {@link Protocol#MAX_OUTPUT} bytes. */
    private final class FrameStream extends OutputStream {
        private final int type;

        FrameStream(int type) {
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (writeLock) {
                for (int done = 0; done < len;) {
                    int n = Math.min(len - done, Protocol.MAX_OUTPUT);
                    Protocol.writeFrame(out, type, b, off + done, n);
                    done += n;
                }
            }
        }
    }

    /**
     * The client as the container's launcher: after the LAUNCH frame it runs the launcher protocol over
     * this connection and sends nothing else until the launcher's last report; the connection then
     * carries frames again.
     */
    private final class Launcher implements RemoteLauncher {
        private final int pid;

        Launcher(int pid) {
            this.pid = pid;
        }

        @Override
        public void start(Stdio stdio) throws IOException {
            int nulls = (stdio.in().kind() == Stdio.Kind.NULL ? Protocol.NULL_STDIN : 0)
                    | (stdio.out().kind() == Stdio.Kind.NULL ? Protocol.NULL_STDOUT : 0)
                    | (stdio.err().kind() == Stdio.Kind.NULL ? Protocol.NULL_STDERR : 0);
            synchronized (writeLock) {
                Protocol.writeInt(out, Protocol.LAUNCH, nulls);
            }
        }

        @Override
        public OutputStream toLauncher() {
            return out;
        }

        @Override
        public InputStream fromLauncher() {
            return in;
        }

        @Override
        public int launcherPid() {
            return pid;
        }
    }
}
