package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a launch could leave on the host, taken before and after it: every file, directory, symlink and
 * device node under the folders a test watches (except the container's root, which the container may
 * change), device nodes anywhere under /tmp, and the host's mounts. A snapshot after the launches must equal
 * the one before.
 */
final class HostState {
    private static final Path TMP = Path.of("/tmp");

    /** One snapshot: entries as "path type", device nodes under /tmp, mounts as Cordon.mounts() gives them. */
    record Snapshot(Set<String> entries, Set<String> deviceNodes, Set<String> mounts) {
    }

    private final List<Path> watched;
    private final Path root;

    /** Watch {@code watched} (whole trees), except {@code root} and what is under it. */
    HostState(Path root, Path... watched) {
        this.root = root.toAbsolutePath().normalize();
        this.watched = List.of(watched);
    }

    Snapshot take() {
        Set<String> entries = new TreeSet<>();
        for (Path w : watched) {
            walk(w, (p, a) -> entries.add(p + " " + type(a)), true);
        }
        Set<String> devices = new TreeSet<>();
        walk(TMP, (p, a) -> {
            if (a.isOther() && isDeviceNode(p)) {
                devices.add(p + " " + type(a));
            }
        }, false);
        return new Snapshot(entries, devices, Cordon.mounts());
    }

    /** Fails, naming what appeared or went, unless the host is as it was {@code before}. */
    void assertUnchanged(Snapshot before, String what) {
        Snapshot now = take();
        assertEquals(String.join("\n", before.entries()), String.join("\n", now.entries()),
                what + ": files or directories outside the container's root changed");
        Set<String> newDevices = new TreeSet<>(now.deviceNodes());
        newDevices.removeAll(before.deviceNodes());
        assertEquals(Set.of(), newDevices, what + ": device nodes appeared on the host");
        Cordon.assertNoNewMounts(before.mounts(), what);
    }

    private interface Visitor {
        void visit(Path p, BasicFileAttributes a);
    }

    private void walk(Path top, Visitor v, boolean failOnError) {
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.toAbsolutePath().normalize().startsWith(root)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    v.visit(dir, attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    v.visit(file, attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (failOnError && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    return FileVisitResult.CONTINUE; // /tmp is shared: other runs' files come and go
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isDeviceNode(Path p) {
        try {
            int type = (Integer) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & 0170000;
            return type == 0020000 || type == 0060000;
        } catch (IOException | UncheckedIOException gone) {
            return false;
        }
    }

    private static String type(BasicFileAttributes a) {
        return a.isSymbolicLink() ? "symlink" : a.isDirectory() ? "dir" : a.isRegularFile() ? "file" : "node";
    }
}
