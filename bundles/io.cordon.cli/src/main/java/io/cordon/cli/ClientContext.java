package io.cordon.cli;

import io.cordon.api.RemoteLauncher;
import java.nio.file.Path;

/**
 * Who a command line runs for when it came over the resident runtime's socket: relative paths resolve
 * against the client's working directory, and {@code run}'s container is cloned by the client's own
 * launcher, so that it gets the client's stdio.
 */
public record ClientContext(Path cwd, RemoteLauncher launcher) {
    public ClientContext {
        if (!cwd.isAbsolute()) {
            throw new IllegalArgumentException("the client's working directory must be absolute: " + cwd);
        }
    }
}
