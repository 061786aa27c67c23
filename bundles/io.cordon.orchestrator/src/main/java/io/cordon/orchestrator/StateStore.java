package io.cordon.orchestrator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cordon.api.CordonException;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The state directory: one folder per container under {@code <root>/containers},
 * holding {@code state.json} (OCI-like: id, pid, status, bundle of stages) and
 * whatever the stages put there. It exists exactly as long as the container.
 */
final class StateStore {
    private final Path containers;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    StateStore(Path root) {
        this.containers = root.resolve("containers");
    }

    Path directoryOf(String id) {
        return containers.resolve(id);
    }

    void create(String id) {
        try {
            Files.createDirectories(containers);
            Files.createDirectory(directoryOf(id), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new CordonException("cannot create the state directory " + directoryOf(id) + ": " + e
                    + " (cordon must run as root)");
        }
    }

    /** The state file as the OCI runtime spec's "state" describes it. */
    record State(String ociVersion, String id, String status, int pid, String bundle, String created,
            List<String> command, List<String> stages) {
    }

    void write(State state) {
        Path dir = directoryOf(state.id());
        Path tmp = dir.resolve("state.json.tmp");
        try {
            json.writeValue(tmp.toFile(), state);
            Files.move(tmp, dir.resolve("state.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CordonException("cannot write " + dir.resolve("state.json") + ": " + e.getMessage());
        }
    }

    /** Ids of every container directory, of this or any other cordon process. */
    List<String> ids() {
        if (!Files.isDirectory(containers)) {
            return List.of();
        }
        try (var s = Files.list(containers)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{64}")).sorted().toList();
        } catch (IOException e) {
            throw new CordonException("cannot list " + containers + ": " + e.getMessage());
        }
    }

    /** A container's state.json, if it has one that can be read (it may be written or removed right now). */
    java.util.Optional<State> read(String id) {
        try {
            return java.util.Optional.of(json.readValue(directoryOf(id).resolve("state.json").toFile(), State.class));
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** Whether {@code pid} is alive and its parent is a cordon launcher (comm "cordon-launcher"). */
    static boolean isLaunchedChild(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // pid (comm) state ppid ...: comm may contain spaces and parentheses, so parse after the last ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            String parentComm = Files.readString(Path.of("/proc/" + rest[1] + "/comm")).trim();
            return parentComm.equals("cordon-launcher");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Remove the container's directory; what stages left there is theirs to release first. */
    void delete(String id) throws IOException {
        Path dir = directoryOf(id);
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                try {
                    Files.deleteIfExists(d);
                } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                    throw e;
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
