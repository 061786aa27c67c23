package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The resident runtime (issue 14, first slices): bin/cordon through a daemon on a private socket, the
 * native client, the socket's protection, the protocol's one-line errors from either side, and what
 * is left after a client or the daemon dies mid-run. One daemon serves the class; the tests that start,
 * refuse or kill daemons use sockets of their own.
 */
class DaemonIT {
    static final Path CLIENT = Cordon.HOME.resolve("bundles/io.cordon.linux/target/classes/native/cordon-launcher");
    static final int MAGIC = 0x444E4443;
    private static Daemon daemon;

    /** A daemon started with bin/cordon daemon in the foreground on its own socket. */
    static final class Daemon implements AutoCloseable {
        final Path socket;
        final Process process;
        final Path log;

        Daemon(Path socket) throws Exception {
            this.socket = socket;
            this.log = Files.createTempFile("cordond-it", ".log");
            ProcessBuilder pb = Cordon.builder("daemon").redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().remove("CORDON_NO_DAEMON");
            pb.environment().put("CORDON_SOCKET", socket.toString());
            process = pb.start();
            for (int i = 0; i < 1200 && ping(socket).isEmpty(); i++) {
                if (!process.isAlive()) {
                    fail("the daemon exited " + process.exitValue() + ": " + Files.readString(log));
                }
                Thread.sleep(50);
            }
            assertEquals(Optional.of(process.pid()), ping(socket), "the daemon on " + socket + " did not answer");
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the daemon did not stop on SIGTERM");
            Files.deleteIfExists(log);
            deleteSocketDir(socket);
        }
    }

    static Path privateSocket(String name) {
        return Path.of("/run/cordon-it-" + ProcessHandle.current().pid() + "-" + name, "cordon.sock");
    }

    static void deleteSocketDir(Path socket) throws IOException {
        if (Files.isDirectory(socket.getParent())) {
            try (var s = Files.list(socket.getParent())) {
                for (Path p : s.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(socket.getParent());
        }
    }

    /** The pid of the daemon that answers on {@code socket}, through the client's --ping. */
    static Optional<Long> ping(Path socket) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(CLIENT.toString(), "--client", "--ping")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("CORDON_SOCKET", socket.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue() == 0 ? Optional.of(Long.parseLong(out)) : Optional.empty();
    }

    /** bin/cordon through the daemon on {@code socket}. */
    static ProcessBuilder through(Path socket, String... args) {
        ProcessBuilder pb = Cordon.builder(args);
        pb.environment().remove("CORDON_NO_DAEMON");
        pb.environment().put("CORDON_SOCKET", socket.toString());
        return pb;
    }

    static Cordon.Result run(Path socket, String... args) throws Exception {
        return result(through(socket, args).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))));
    }

    static Cordon.Result result(ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile("cordon-out", ".txt");
        Path err = Files.createTempFile("cordon-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(pb.command() + " did not finish in 120 s");
            }
            return new Cordon.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @BeforeAll
    static void startDaemon() throws Exception {
        daemon = new Daemon(privateSocket("class"));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void theFirstRunStartsADaemonAndTheSecondReusesIt() throws Exception {
        Path socket = privateSocket("auto");
        deleteSocketDir(socket);
        Optional<Long> pid = Optional.empty();
        try {
            Cordon.Result first = run(socket, "run", "--", "sh", "-c", "echo first");
            assertEquals(0, first.code(), first.err());
            assertEquals("first\n", first.out());
            pid = ping(socket);
            assertTrue(pid.isPresent(), "no daemon answers after the first run");
            String cmdline = Files.readString(Path.of("/proc/" + pid.get() + "/cmdline")).replace('\0', ' ');
            assertTrue(cmdline.contains("java") && cmdline.endsWith(" daemon "), cmdline);
            Cordon.Result second = run(socket, "run", "--", "sh", "-c", "echo second");
            assertEquals(0, second.code(), second.err());
            assertEquals("second\n", second.out());
            assertEquals(pid, ping(socket), "the second run started another daemon");
            assertTrue(Files.readString(socket.resolveSibling("cordond.log")).contains("listening on " + socket));
        } finally {
            if (pid.isPresent()) {
                ProcessHandle h = ProcessHandle.of(pid.get()).orElseThrow();
                h.destroy();
                h.onExit().get(60, TimeUnit.SECONDS);
            }
            deleteSocketDir(socket);
        }
    }

    @Test
    void exitCodesStdioAndHelpComeThroughTheDaemon() throws Exception {
        assertEquals(3, run(daemon.socket, "run", "--", "sh", "-c", "exit 3").code());
        Cordon.Result both = run(daemon.socket, "run", "--", "sh", "-c", "echo out; echo err >&2");
        assertEquals("out\n", both.out());
        assertEquals("err\n", both.err());
        Cordon.Result stdin = result(through(daemon.socket, "run", "-i", "--", "cat")
                .redirectInput(ProcessBuilder.Redirect.from(writeTemp("typed\n").toFile())));
        assertEquals("typed\n", stdin.out(), stdin.err());
        Cordon.Result noStdin = result(through(daemon.socket, "run", "--", "cat")
                .redirectInput(ProcessBuilder.Redirect.from(writeTemp("secret\n").toFile())));
        assertEquals("", noStdin.out(), "without -i the container's stdin is /dev/null");
        Cordon.Result missing = run(daemon.socket, "run", "--", "no-such-command-xyz");
        assertEquals(127, missing.code());
        assertEquals(1, missing.err().lines().count(), missing.err());
        Cordon.Result bad = run(daemon.socket, "run", "--bogus", "--", "true");
        assertEquals(125, bad.code());
        assertEquals(1, bad.err().lines().count(), bad.err());
        Cordon.Result help = run(daemon.socket, "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: cordon"), help.out());
    }

    private static Path writeTemp(String content) throws IOException {
        Path p = Files.createTempFile("cordon-in", ".txt");
        Files.writeString(p, content);
        p.toFile().deleteOnExit();
        return p;
    }

    @Test
    void theSocketIsRootsOnly() throws Exception {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket)));
        assertEquals("root", Files.getOwner(daemon.socket).getName());
        int mode = (Integer) Files.getAttribute(daemon.socket, "unix:mode");
        assertEquals(0140000, mode & 0170000, "a filesystem socket");
        // Not an abstract socket: /proc/net/unix lists abstract names with a leading '@'.
        String unix = Files.readString(Path.of("/proc/net/unix"));
        assertTrue(unix.contains(" " + daemon.socket), "the daemon's socket is not listed by its path");
        assertFalse(unix.contains("@" + daemon.socket), "an abstract name for the socket");
    }

    @Test
    void aNonRootPeerIsRefusedInOneLine() throws Exception {
        Path dir = Files.createTempDirectory("cordon-client");
        Path copy = dir.resolve("cordon-launcher");
        Files.copy(CLIENT, copy);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            // Without privileges the 0700 directory and the 0600 socket keep it out.
            Cordon.Result denied = asNobody(List.of(), copy);
            assertEquals(125, denied.code(), denied.err());
            assertEquals(1, denied.err().lines().count(), denied.err());
            assertTrue(denied.err().contains("Permission denied"), denied.err());
            // With CAP_DAC_OVERRIDE it reaches the socket, and the daemon's peer check refuses it.
            Cordon.Result refused = asNobody(List.of("--inh-caps", "+dac_override", "--ambient-caps", "+dac_override"),
                    copy);
            assertEquals(125, refused.code(), refused.err());
            assertEquals(1, refused.err().lines().count(), refused.err());
            assertTrue(refused.err().contains("serves root only"), refused.err());
            assertEquals(0, run(daemon.socket, "run", "--", "true").code(), "the daemon stopped serving");
        } finally {
            Files.deleteIfExists(copy);
            Files.deleteIfExists(dir);
        }
    }

    private static Cordon.Result asNobody(List<String> caps, Path client) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"));
        cmd.addAll(caps);
        cmd.addAll(List.of(client.toString(), "--client", "--", "ps"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(new java.io.File("/"));
        pb.environment().put("CORDON_SOCKET", daemon.socket.toString());
        Cordon.Result r = result(pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))));
        assertFalse(r.err().contains("setpriv:"), "setpriv (util-linux) failed: " + r.err());
        return r;
    }

    // ---- bad frames from the client's side, written here in Java -------------------------------

    private static byte[] hello(int version) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putShort((short) version)
                .putShort((short) 0).array();
    }

    private static byte[] header(int type, int len) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(len).array();
    }

    /** Send {@code bytes} to the class's daemon; return the one ERROR line it answers with. */
    private static String errorFor(byte[]... parts) throws Exception {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(daemon.socket))) {
            for (byte[] p : parts) {
                ch.write(ByteBuffer.wrap(p));
            }
            var in = java.nio.channels.Channels.newInputStream(ch);
            ByteBuffer h = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(MAGIC, h.getInt(), "the daemon's hello");
            ByteBuffer f = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(4, f.getInt(), "an ERROR frame");
            String line = new String(in.readNBytes(f.getInt()), StandardCharsets.UTF_8);
            assertTrue(closed(in), "the daemon closes the connection after the error");
            assertEquals(1, line.lines().count(), line);
            return line;
        }
    }

    /** EOF, or a reset: the daemon closed with bytes of ours it did not read (the rest of a bad frame). */
    private static boolean closed(java.io.InputStream in) {
        try {
            return in.read() == -1;
        } catch (IOException reset) {
            return reset.getMessage() != null && reset.getMessage().contains("reset");
        }
    }

    @Test
    void badFramesFromAClientGetOneLineAndTheDaemonKeepsServing() throws Exception {
        assertTrue(errorFor(hello(1), header(99, 0)).startsWith("malformed frame: unknown frame type 99"));
        assertTrue(errorFor(hello(1), header(1, 2 << 20)).contains("over the bound of 1048576 bytes"));
        assertTrue(errorFor(hello(1), header(1, 3), new byte[] {1, 2, 3}).startsWith("malformed request:"));
        assertTrue(errorFor(hello(7)).startsWith("protocol version mismatch: the client speaks version 7"));
        assertTrue(errorFor("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).startsWith("not a cordon client"));
        // A client that sends nothing is cut off after 10 s with one line.
        assertTrue(errorFor().startsWith("no request within 10 s"));
        // A client that hangs up in the middle of a frame ends only its own connection.
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(daemon.socket))) {
            ch.write(ByteBuffer.wrap(hello(1)));
            ch.write(ByteBuffer.wrap(header(1, 100)));
        }
        Cordon.Result after = run(daemon.socket, "run", "--", "sh", "-c", "echo still");
        assertEquals("still\n", after.out(), after.err());
    }

    @Test
    void anOversizedRequestFromTheClientIsOneLine() throws Exception {
        // 1.1 MiB of argv (execve takes at most 128 KiB per string): over the bound, refused before sending.
        List<String> args = new ArrayList<>(List.of("run", "--", "echo"));
        for (int i = 0; i < 9; i++) {
            args.add("x".repeat(128_000));
        }
        Cordon.Result r = run(daemon.socket, args.toArray(String[]::new));
        assertEquals(125, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("bound"), r.err());
    }

    // ---- bad frames from the daemon's side: a fake daemon in this JVM ---------------------------

    private static Cordon.Result clientAgainst(byte[] daemonSends) throws Exception {
        Path socket = privateSocket("fake");
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread t = new Thread(() -> {
                try (SocketChannel ch = server.accept()) {
                    ch.write(ByteBuffer.wrap(daemonSends));
                    ch.shutdownOutput();
                    ch.read(ByteBuffer.allocate(1 << 16));
                } catch (IOException e) {
                    // The client hung up: what it printed is what the test checks.
                }
            });
            t.start();
            ProcessBuilder pb = new ProcessBuilder(CLIENT.toString(), "--client", "--", "ps");
            pb.environment().put("CORDON_SOCKET", socket.toString());
            Cordon.Result r = result(pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))));
            t.join(10_000);
            return r;
        } finally {
            deleteSocketDir(socket);
        }
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void badFramesFromTheDaemonGetOneLineFromTheClient() throws Exception {
        for (Map.Entry<byte[], String> c : Map.of(
                hello(2), "protocol version mismatch: the daemon at",
                concat(hello(1), header(77, 0)), "malformed frame (unknown type 77)",
                concat(hello(1), header(1, 1 << 24)), "malformed frame (type 1 of 16777216 bytes",
                concat(hello(1), header(3, 9)), "malformed frame (type 3 of 9 bytes",
                concat(hello(1), header(1, 2), "o".getBytes(StandardCharsets.US_ASCII)), "broke inside a frame",
                concat(hello(1)), "closed the connection without an exit code").entrySet()) {
            Cordon.Result r = clientAgainst(c.getKey());
            assertEquals(125, r.code(), c.getValue() + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("cordon: ") && r.err().contains(c.getValue()), r.err());
        }
    }

    // ---- daemons that refuse, and the ends of a run -----------------------------------------------

    @Test
    void aSecondDaemonOnTheSameSocketRefusesToStart() throws Exception {
        ProcessBuilder pb = Cordon.builder("daemon");
        pb.environment().put("CORDON_SOCKET", daemon.socket.toString());
        Cordon.Result r = result(pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))));
        assertEquals(125, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("another cordon daemon already serves " + daemon.socket), r.err());
        assertEquals(Optional.of(daemon.process.pid()), ping(daemon.socket), "the first daemon stopped answering");
    }

    @Test
    void aStaleSocketIsRemovedByTheNextDaemon() throws Exception {
        Path socket = privateSocket("stale");
        deleteSocketDir(socket);
        Files.createDirectories(socket.getParent());
        // A socket file nothing listens on, as a daemon killed with SIGKILL leaves it.
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        try (Daemon d = new Daemon(socket)) {
            assertTrue(Files.readString(d.log).contains("removed the stale socket " + socket), Files.readString(d.log));
            assertEquals(0, run(socket, "run", "--", "true").code());
        }
    }

    /** A container started through the client: its pid (the client's child) and its cgroup directory. */
    record Started(Process client, BufferedReader out, ProcessHandle container, List<Path> cgroups, String id) {
    }

    private static Started start(Path socket) throws Exception {
        Process p = through(socket, "run", "--", "sh", "-c", "echo ready; exec sleep 600").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        ProcessHandle container = ProcessHandle.of(p.pid()).flatMap(h -> h.children().findFirst())
                .orElseThrow(() -> new AssertionError("the client has no child: it did not clone the container"));
        List<Path> cgroups = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + container.pid() + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f[2].contains("/cordon/")) {
                cgroups.add(Path.of(f[1].isEmpty() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/" + f[1].replace("name=", ""))
                        .resolve(f[2].substring(1)));
            }
        }
        assertFalse(cgroups.isEmpty(), "the container is in no cordon cgroup");
        String id = cgroups.get(0).getFileName().toString();
        assertTrue(Files.isDirectory(Cordon.STATE.resolve(id)), "no state directory for " + id);
        return new Started(p, out, container, cgroups, id);
    }

    private static void assertNothingLeft(Started s) throws Exception {
        for (int i = 0; i < 200 && (s.container().isAlive() || Files.exists(Cordon.STATE.resolve(s.id()))
                || s.cgroups().stream().anyMatch(Files::exists)); i++) {
            Thread.sleep(50);
        }
        assertFalse(s.container().isAlive(), "the container outlived its client");
        assertFalse(Files.exists(Cordon.STATE.resolve(s.id())), "state directory left: " + s.id());
        for (Path cg : s.cgroups()) {
            assertFalse(Files.exists(cg), "cgroup left: " + cg);
        }
    }

    @Test
    void signalsToTheClientReachTheContainer() throws Exception {
        Process p = through(daemon.socket, "run", "--", "sh", "-c",
                "trap 'echo got-TERM; exit 42' TERM; echo ready; while :; do sleep 0.1; done")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        // Not p.destroy(): it closes this end of the pipes.
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals("got-TERM", out.readLine());
        assertEquals(42, p.exitValue());
    }

    @Test
    void aClientKilledMidRunLeavesNothing() throws Exception {
        Started s = start(daemon.socket);
        s.client().destroyForcibly();
        assertTrue(s.client().waitFor(30, TimeUnit.SECONDS));
        assertNothingLeft(s);
        assertEquals(0, run(daemon.socket, "run", "--", "true").code(), "the daemon stopped serving");
    }

    @Test
    void theDaemonGoneMidRunIsOneLineAnd125AndLeavesNothing() throws Exception {
        try (Daemon d = new Daemon(privateSocket("gone"))) {
            Started s = start(d.socket);
            d.process.destroy();
            assertTrue(s.client().waitFor(60, TimeUnit.SECONDS), "the client did not end with its daemon");
            String err = new String(s.client().getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(125, s.client().exitValue(), err);
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("cordon: the daemon went away during the run"), err);
            assertTrue(d.process.waitFor(60, TimeUnit.SECONDS));
            assertNothingLeft(s);
        }
    }
}
