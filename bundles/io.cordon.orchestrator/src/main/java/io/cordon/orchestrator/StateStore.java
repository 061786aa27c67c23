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
