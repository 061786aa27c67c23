package io.cordon.stage.apparmor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.CordonException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load-when-changed decision, against a fake kernel profiles list and a fake apparmor_parser. */
class ProfileLoaderTest {
    static final String NAME = "cordon-default";
    static final String TEXT = "profile cordon-default flags=(attach_disconnected) {\n  file,\n}\n";
    static final String CHANGED = "profile cordon-default flags=(attach_disconnected) {\n  file,\n  network,\n}\n";

    @TempDir
    Path temp;

    @Test
    void theDecision() {
        String sha = ProfileLoader.sha256(TEXT.getBytes(StandardCharsets.UTF_8));
        assertFalse(ProfileLoader.needsLoad(true, Optional.of(sha), sha), "loaded and this text: nothing to do");
        assertTrue(ProfileLoader.needsLoad(false, Optional.of(sha), sha), "gone from the kernel (apparmor_parser -R)");
        assertTrue(ProfileLoader.needsLoad(true, Optional.empty(), sha), "loaded, but by whom and with what?");
        assertTrue(ProfileLoader.needsLoad(true, Optional.of("0".repeat(64)), sha), "another text is loaded");
        assertTrue(ProfileLoader.needsLoad(false, Optional.empty(), sha), "first use after boot");
    }

    @Test
    void loadsWhenMissingThenOnlyWhenChanged() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader loader = h.loader(Optional.of(h.loadingParser()));

        assertTrue(loader.ensureLoaded(NAME, TEXT));
        Path source = h.cache.resolve("profiles/cordon-default");
        assertEquals(List.of("-r -W -L " + h.cache.resolve("compiled") + " " + source), h.parserCalls());
        assertEquals(TEXT, Files.readString(source));
        assertEquals(ProfileLoader.sha256(TEXT.getBytes(StandardCharsets.UTF_8)) + "\n",
                Files.readString(h.run.resolve("cordon-default.sha256")));
        assertTrue(Files.isDirectory(h.cache.resolve("compiled")));

        assertFalse(loader.ensureLoaded(NAME, TEXT), "same text, still loaded: no apparmor_parser");
        assertEquals(1, h.parserCalls().size());

        assertTrue(loader.ensureLoaded(NAME, CHANGED), "changed text: replaced");
        assertEquals(2, h.parserCalls().size());
        assertEquals(CHANGED, Files.readString(source));
        assertEquals(ProfileLoader.sha256(CHANGED.getBytes(StandardCharsets.UTF_8)) + "\n",
                Files.readString(h.run.resolve("cordon-default.sha256")));
        assertFalse(loader.ensureLoaded(NAME, CHANGED));
        assertEquals(2, h.parserCalls().size());
    }

    @Test
    void reloadsWhenTheKernelLostItEvenIfTheHashMatches() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader loader = h.loader(Optional.of(h.loadingParser()));
        loader.ensureLoaded(NAME, TEXT);
        h.write("sys/kernel/security/apparmor/profiles", "");
        assertTrue(loader.ensureLoaded(NAME, TEXT));
        assertEquals(2, h.parserCalls().size());
    }

    @Test
    void anUnchangedSourceKeepsItsMtimeSoTheParserCacheStaysValid() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader loader = h.loader(Optional.of(h.loadingParser()));
        loader.ensureLoaded(NAME, TEXT);
        Path source = h.cache.resolve("profiles/cordon-default");
        Files.setLastModifiedTime(source, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        h.write("sys/kernel/security/apparmor/profiles", ""); // a reboot: the kernel and /run start empty
        Files.delete(h.run.resolve("cordon-default.sha256"));
        assertTrue(loader.ensureLoaded(NAME, TEXT));
        assertEquals(1_000_000_000_000L, Files.getLastModifiedTime(source).toMillis());
    }

    @Test
    void aProfileSomebodyElseLoadedUnderTheNameIsReplaced() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp, NAME);
        ProfileLoader loader = h.loader(Optional.of(h.loadingParser()));
        assertTrue(loader.ensureLoaded(NAME, TEXT), "no hash of ours: the loaded text is unknown");
        assertEquals(1, h.parserCalls().size());
    }

    @Test
    void aFailingParserIsAOneLineErrorAndRecordsNothing() {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader loader = h.loader(Optional.of(h.parser(
                "echo 'AppArmor parser error for x in profile x at line 3: syntax error' >&2\n"
                        + "echo 'second line' >&2\nexit 1")));
        CordonException e = assertThrows(CordonException.class, () -> loader.ensureLoaded(NAME, TEXT));
        assertEquals("apparmor_parser could not load " + h.cache.resolve("profiles/cordon-default") + " (exit 1):"
                + " AppArmor parser error for x in profile x at line 3: syntax error | second line; or run with"
                + " --security-opt apparmor=unconfined", e.getMessage());
        assertFalse(Files.exists(h.run.resolve("cordon-default.sha256")), "a failed load is not recorded");
    }

    @Test
    void aParserThatLoadsSomethingElseIsCaught() {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader loader = h.loader(Optional.of(h.parser("exit 0")));
        CordonException e = assertThrows(CordonException.class, () -> loader.ensureLoaded(NAME, TEXT));
        assertTrue(e.getMessage().contains("the kernel does not list profile cordon-default"), e.getMessage());
        assertFalse(Files.exists(h.run.resolve("cordon-default.sha256")));
    }

    @Test
    void aHangingParserIsStopped() {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader loader = new ProfileLoader(h.host(), () -> Optional.of(h.parser("exec sleep 30")), h.run,
                h.cache, java.time.Duration.ofMillis(500));
        long start = System.nanoTime();
        CordonException e = assertThrows(CordonException.class, () -> loader.ensureLoaded(NAME, TEXT));
        assertTrue(e.getMessage().startsWith("apparmor_parser did not finish loading"), e.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "gave up after the timeout");
    }

    @Test
    void withoutTheParserOnlyAnAlreadyLoadedProfileWill() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader none = h.loader(Optional.empty());
        CordonException e = assertThrows(CordonException.class, () -> none.ensureLoaded(NAME, TEXT));
        assertEquals("AppArmor profile cordon-default is not loaded and apparmor_parser, which loads it, is not"
                + " installed (apt-get install apparmor), or run with --security-opt apparmor=unconfined",
                e.getMessage());
        h.write("sys/kernel/security/apparmor/profiles", "cordon-default (enforce)\n");
        assertFalse(none.ensureLoaded(NAME, TEXT), "used as it is, with a warning");
    }

    @Test
    void concurrentLaunchesLoadOnce() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        // Slow enough that without the lock every launch would see the profile missing and load it.
        Path parser = h.parser("sleep 0.3\n" + FakeHost.LOADS);
        List<Callable<Boolean>> launches = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            // A loader per launch, as separate cordon processes would have.
            ProfileLoader loader = h.loader(Optional.of(parser));
            launches.add(() -> loader.ensureLoaded(NAME, TEXT));
        }
        ExecutorService pool = Executors.newFixedThreadPool(launches.size());
        try {
            int loads = 0;
            for (Future<Boolean> f : pool.invokeAll(launches)) {
                loads += f.get() ? 1 : 0;
            }
            assertEquals(1, loads);
            assertEquals(1, h.parserCalls().size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anotherProcessHoldingTheLoadLockMakesThisOneWait() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        ProfileLoader loader = h.loader(Optional.of(h.loadingParser()));
        Files.createDirectories(h.run);
        // Java's FileChannel.lock is an fcntl lock on Linux; Python's lockf takes the same kind, so this stands in
        // for another cordon process in the middle of a load.
        Process holder = new ProcessBuilder("python3", "-c", String.join("\n",
                "import fcntl, sys, time",
                "f = open(sys.argv[1], 'w')",
                "fcntl.lockf(f, fcntl.LOCK_EX)",
                "print('locked', flush=True)",
                "time.sleep(1.5)"), h.run.resolve("load.lock").toString()).redirectErrorStream(true).start();
        try {
            assertEquals("locked", new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8)).readLine());
            long start = System.nanoTime();
            assertTrue(loader.ensureLoaded(NAME, TEXT));
            assertTrue(System.nanoTime() - start > 1_000_000_000L, "waited for the other process's lock");
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    @Test
    void findsTheParserOnPathOrInSbin() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        Path fake = h.loadingParser();
        assertEquals(Optional.of(fake), ProfileLoader.findParser("/nonexistent:" + h.bin));
        Optional<Path> system = ProfileLoader.findParser("/nonexistent");
        assertEquals(Files.isExecutable(Path.of("/usr/sbin/apparmor_parser"))
                || Files.isExecutable(Path.of("/sbin/apparmor_parser")), system.isPresent(), "sbin is searched too");
    }
}
