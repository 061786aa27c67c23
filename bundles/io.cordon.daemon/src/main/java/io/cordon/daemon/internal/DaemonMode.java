package io.cordon.daemon.internal;

import io.cordon.api.CordonException;
import io.cordon.cli.CommandLineTool;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code cordon daemon}: this framework becomes the resident runtime. It serves command lines from the
 * native client on the socket ({@code CORDON_SOCKET}, default {@value #DEFAULT_SOCKET}) until the
 * framework stops, logging to stderr. The CLI's entry point calls it for the {@code daemon} mode.
 */
@Component(service = Callable.class, property = "cordon.mode=daemon")
public class DaemonMode implements Callable<Integer> {
    static final String DEFAULT_SOCKET = "/run/cordon/cordon.sock";

    private final CommandLineTool tool;
    private final PrintStream log = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
    private final Set<Thread> connections = ConcurrentHashMap.newKeySet();
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private volatile SocketServer server;
    private volatile boolean stopping;
    private final java.util.concurrent.atomic.AtomicBoolean stoppedLogged = new java.util.concurrent.atomic.AtomicBoolean();

    @Activate
    public DaemonMode(@Reference CommandLineTool tool) {
        this.tool = tool;
    }

    static Path socketPath() {
        String s = System.getenv("CORDON_SOCKET");
        return Path.of(s == null || s.isEmpty() ? DEFAULT_SOCKET : s).toAbsolutePath();
    }

    private void log(String line) {
        log.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " cordon daemon: " + line);
    }

    @Override
    public Integer call() {
        SocketServer s;
        try {
            s = SocketServer.bind(socketPath(), this::log);
        } catch (CordonException e) {
            log.println("cordon " + e.getMessage());
            return 125;
        }
        synchronized (this) {
            if (stopping) {
                s.close();
                return 0;
            }
            server = s;
        }
        installStopSignals();
        log("listening on " + s.path() + " (pid " + ProcessHandle.current().pid() + ")");
        while (true) {
            SocketChannel ch;
            try {
                ch = s.accept();
            } catch (ClosedChannelException e) {
                awaitRequests();
                return 0;
            } catch (IOException e) {
                if (stopping) {
                    awaitRequests();
                    return 0;
                }
                log("accept failed: " + e.getMessage());
                continue;
            }
            open.add(ch);
            Thread t = new Thread(() -> {
                try {
                    new ClientConnection(ch, tool, this::log).run();
                } finally {
                    open.remove(ch);
                    connections.remove(Thread.currentThread());
                }
            }, "cordon-client");
            connections.add(t);
            t.start();
        }
    }

    /**
     * SIGTERM (systemd's stop), SIGINT (Ctrl-C in the foreground) and SIGHUP stop the daemon the same way
     * as the framework stopping does, instead of the JVM's immediate exit that would leave containers'
     * cgroups, network namespaces and state directories behind.
     */
    private void installStopSignals() {
        for (String name : new String[] {"TERM", "INT", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    log("SIG" + name + ": stopping");
                    new Thread(this::stop, "cordon-daemon-stop").start();
                });
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal for itself; it then ends the process its own way.
            }
        }
    }

    /**
     * Stop accepting and close every client's connection: a client's launcher kills its container when
     * its connection ends, and each request then releases what its container had (cgroups, network
     * namespace, state directory) before its thread ends.
     */
    private void stop() {
        SocketServer s;
        synchronized (this) {
            stopping = true;
            s = server;
        }
        if (s == null) {
            return; // it never served: nothing to stop
        }
        s.close();
        for (SocketChannel ch : open) {
            try {
                ch.close();
            } catch (IOException e) {
                // Closed already.
            }
        }
    }

    /** Wait (at most 20 s) until every request has ended, so that nothing outlives the daemon. */
    private void awaitRequests() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (Thread t : connections) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (!stoppedLogged.getAndSet(true)) {
            log("stopped");
        }
    }

    /** The framework stops (or this bundle): the same as a stop signal. */
    @Deactivate
    void deactivate() {
        boolean served = server != null;
        stop();
        if (served) {
            awaitRequests();
        }
    }
}
