package io.cordon.stage.user;

import io.cordon.api.CordonException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Reads a small text file of the container's root from the host, before the container
 * exists. Symlinks are followed as they would be inside the container: an absolute
 * link and {@code ..} stay within the root, so a prepared root cannot make cordon read
 * a host file. Only regular files are read (never a FIFO or a device), up to 4 MiB.
 */
final class ContainerFiles {
    static final long MAX_SIZE = 4L << 20;
    private static final int MAX_LINKS = 40;

    private ContainerFiles() {
    }

    /** The file at {@code path} (absolute, in the container) under {@code root}, or empty if there is none. */
    static Optional<String> read(Path root, String path) {
        Optional<Path> p = resolve(root, path);
        if (p.isEmpty() || !Files.isRegularFile(p.get(), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            if (Files.size(p.get()) > MAX_SIZE) {
                throw new CordonException("the container's " + path + " is larger than " + (MAX_SIZE >> 20)
                        + " MiB; cordon does not read it");
            }
            return Optional.of(new String(Files.readAllBytes(p.get()), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CordonException("cannot read the container's " + path + " (" + p.get() + "): " + e);
        }
    }

    /** The host path of {@code path} in the container, symlinks resolved inside {@code root}; empty if missing. */
    static Optional<Path> resolve(Path root, String path) {
        Deque<String> todo = new ArrayDeque<>();
        push(todo, path);
        Path current = root;
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pop();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                current = current.equals(root) ? root : current.getParent();
                continue;
            }
            Path next = current.resolve(part);
            if (Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS) {
                    return Optional.empty();
                }
                String target;
                try {
                    target = Files.readSymbolicLink(next).toString();
                } catch (IOException e) {
                    return Optional.empty();
                }
                if (target.startsWith("/")) {
                    current = root;
                }
                push(todo, target);
                continue;
            }
            if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            current = next;
        }
        return Optional.of(current);
    }

    /** Pushes the parts of {@code path} so that the first one is popped first. */
    private static void push(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            todo.push(parts[i]);
        }
    }
}
