package io.cordon.api;

import java.nio.file.Path;

/**
 * Where the container's stdin, stdout and stderr go. {@code launcher} is null when the runtime spawns
 * the launcher itself (INHERIT is then the runtime's own stdio); otherwise the container is cloned by
 * that remote launcher and INHERIT means the remote process's stdio (see {@link RemoteLauncher}).
 */
public record Stdio(Redirect in, Redirect out, Redirect err, RemoteLauncher launcher) {

    public Stdio(Redirect in, Redirect out, Redirect err) {
        this(in, out, err, null);
    }

    /** These redirects, applied by a remote launcher to its own stdio. */
    public Stdio through(RemoteLauncher remote) {
        return new Stdio(in, out, err, remote);
    }

    /** The runtime's own stdio, as {@code docker run -i} on a terminal. */
    public static Stdio inherit() {
        return new Stdio(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT);
    }

    public record Redirect(Kind kind, Path path) {
        public static final Redirect INHERIT = new Redirect(Kind.INHERIT, null);
        public static final Redirect NULL = new Redirect(Kind.NULL, null);

        public static Redirect file(Path path) {
            return new Redirect(Kind.FILE, path);
        }
    }

    public enum Kind {
        INHERIT, NULL, FILE
    }
}
