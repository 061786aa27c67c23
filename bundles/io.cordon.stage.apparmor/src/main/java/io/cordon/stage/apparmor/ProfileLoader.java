package io.cordon.stage.apparmor;

import io.cordon.api.CordonException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Loads cordon's default profile into the kernel with {@code apparmor_parser} when the kernel lacks it or its
 * text changed, and otherwise does nothing, so an ordinary launch costs one read of the profiles list and of a
 * hash file.
 *
 * <p>This is deliberate host state that outlives every launch (nothing else of a launch does):
 * <ul>
 * <li>the loaded profile itself: the kernel keeps it until reboot or {@code apparmor_parser -R};</li>
 * <li>{@code <cordon.root>/apparmor/NAME.sha256}, the SHA-256 of the text loaded during this boot. It lives in
 * {@code /run}, which starts empty at each boot exactly as the kernel's policy does, so a stale hash can never
 * vouch for a profile that is gone; {@code load.lock} beside it serializes loads;</li>
 * <li>{@code /var/cache/cordon/apparmor}: the rendered source ({@code profiles/NAME}, rewritten only when its
 * text changes) and apparmor_parser's compiled cache ({@code -W -L compiled}). It is kept across reboots so the
 * first launch after a boot loads the cached binary instead of compiling the profile again, which takes seconds
 * on a slow or emulated machine. apparmor_parser itself checks the cache against the source's mtime and the
 * kernel's feature set. Everything there is regenerated when missing, so it is safe to delete.</li>
 * </ul>
 */
final class ProfileLoader {
    private static final Logger LOG = Logger.getLogger(ProfileLoader.class.getName());
    /**
     * Serializes loads between launches of this JVM. The file lock serializes them between cordon processes,
     * but a JVM holds a file lock for the whole process and throws when a second thread asks for it.
     */
    private static final Object JVM_LOCK = new Object();
    static final String PARSER = "apparmor_parser";
    static final Path SYSTEM_CACHE = Path.of("/var/cache/cordon/apparmor");

    private final AppArmorHost host;
    private final Supplier<Optional<Path>> parser;
    private final Path runDirectory;
    private final Path cacheDirectory;
    private final Duration timeout;

    ProfileLoader(AppArmorHost host, Supplier<Optional<Path>> parser, Path runDirectory, Path cacheDirectory,
            Duration timeout) {
        this.host = host;
        this.parser = parser;
        this.runDirectory = runDirectory;
        this.cacheDirectory = cacheDirectory;
        this.timeout = timeout;
    }

    /** The loader a running cordon uses: state under {@code cordon.root} as the orchestrator's. */
    static ProfileLoader system(AppArmorHost host) {
        Path run = Path.of(System.getProperty("cordon.root", "/run/cordon")).resolve("apparmor");
        // Under emulation (the AppArmor test VM) a compile takes seconds; two minutes means something hangs.
        return new ProfileLoader(host, () -> findParser(System.getenv("PATH")), run, SYSTEM_CACHE,
                Duration.ofMinutes(2));
    }

    /** apparmor_parser on PATH, or in the sbin folders a non-login root shell may lack on PATH. */
    static Optional<Path> findParser(String pathVariable) {
        List<String> dirs = new ArrayList<>();
        if (pathVariable != null) {
            dirs.addAll(Arrays.asList(pathVariable.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, PARSER);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    Optional<Path> parser() {
        return parser.get();
    }

    Path hashFile(String name) {
        return runDirectory.resolve(name + ".sha256");
    }

    Path sourceFile(String name) {
        return cacheDirectory.resolve("profiles").resolve(name);
    }

    Path compiledCache() {
        return cacheDirectory.resolve("compiled");
    }

    /**
     * The load-when-changed rule: load when the kernel lacks the profile, or when the text loaded this boot is
     * unknown or not this one (cordon was upgraded, or somebody else loaded a profile of that name).
     */
    static boolean needsLoad(boolean loadedInKernel, Optional<String> recordedSha256, String sha256) {
        return !loadedInKernel || !recordedSha256.equals(Optional.of(sha256));
    }

    /**
     * Make sure the kernel has profile {@code name} with exactly {@code text}.
     *
     * @return true if this call loaded it, false if it was already current
     * @throws CordonException (one line) if it cannot be loaded
     */
    boolean ensureLoaded(String name, String text) {
        String sha = sha256(text.getBytes(StandardCharsets.UTF_8));
        synchronized (JVM_LOCK) {
            try {
                Files.createDirectories(runDirectory);
                try (FileChannel lockFile = FileChannel.open(runDirectory.resolve("load.lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock lock = lockFile.lock()) {
                    // Decide under the lock: another launch may have loaded it while this one waited.
                    boolean loaded = host.isLoaded(name);
                    if (!needsLoad(loaded, recordedHash(name), sha)) {
                        return false;
                    }
                    Optional<Path> apparmorParser = parser.get();
                    if (apparmorParser.isEmpty()) {
                        if (loaded) {
                            LOG.log(Level.WARNING, "AppArmor profile {0} is loaded, but apparmor_parser is missing,"
                                    + " so cordon cannot check or update it; using it as it is", name);
                            return false;
                        }
                        throw new CordonException("AppArmor profile " + name + " is not loaded and " + PARSER
                                + ", which loads it, is not installed (apt-get install apparmor), or run with"
                                + " --security-opt apparmor=unconfined");
                    }
                    Path source = sourceFile(name);
                    writeIfChanged(source, text.getBytes(StandardCharsets.UTF_8));
                    Files.createDirectories(compiledCache());
                    runParser(apparmorParser.get(), source);
                    if (!host.isLoaded(name)) {
                        throw new CordonException(PARSER + " loaded " + source + " but the kernel does not list"
                                + " profile " + name + " in " + AppArmorHost.PROFILES + " (does the file still"
                                + " name it?)");
                    }
                    writeAtomically(hashFile(name), (sha + "\n").getBytes(StandardCharsets.US_ASCII));
                    LOG.log(Level.INFO, "loaded AppArmor profile {0} (sha256 {1})", new Object[] {name, sha});
                    return true;
                }
            } catch (IOException e) {
                throw new CordonException("cannot load AppArmor profile " + name + ": " + e);
            }
        }
    }

    private Optional<String> recordedHash(String name) throws IOException {
        try {
            return Optional.of(Files.readString(hashFile(name), StandardCharsets.US_ASCII).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private void runParser(Path apparmorParser, Path source) throws IOException {
        // -r: add the profile or replace the loaded one in place (running containers switch to the new text);
        // -W -L: write the compiled policy to cordon's own cache, apart from the system's /var/cache/apparmor.
        List<String> command = List.of(apparmorParser.toString(), "-r", "-W", "-L", compiledCache().toString(),
                source.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        // Drained on its own thread so a chatty parser cannot block on a full pipe while this one waits.
        FutureTask<String> output = new FutureTask<>(() -> {
            try (InputStream in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        });
        Thread drain = new Thread(output, "apparmor_parser output");
        drain.setDaemon(true);
        drain.start();
        String said;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new CordonException(PARSER + " did not finish loading " + source + " in " + timeout.toSeconds()
                        + " s; run " + String.join(" ", command) + " to see why");
            }
            said = oneLine(output.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CordonException("interrupted while " + PARSER + " loaded " + source);
        } catch (ExecutionException | TimeoutException e) {
            said = "(its output could not be read: " + e + ")";
        }
        if (p.exitValue() != 0) {
            throw new CordonException(PARSER + " could not load " + source + " (exit " + p.exitValue() + ")"
                    + (said.isEmpty() ? "" : ": " + said) + "; or run with --security-opt apparmor=unconfined");
        }
        if (!said.isEmpty()) {
            LOG.log(Level.FINE, "{0}: {1}", new Object[] {PARSER, said});
        }
    }

    /** Tool output on one line: its non-blank lines joined, cut short if long. */
    static String oneLine(String output) {
        String joined = String.join(" | ", output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
        return joined.length() > 400 ? joined.substring(0, 400) + " …" : joined;
    }

    /**
     * Rewrite the source only when its bytes change: apparmor_parser trusts its cache while the source is older,
     * so an unchanged profile keeps its cache valid across reboots.
     */
    private static void writeIfChanged(Path file, byte[] content) throws IOException {
        if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), content)) {
            return;
        }
        writeAtomically(file, content);
    }

    /** A reader sees the old file or the new one, never half of one. */
    private static void writeAtomically(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
