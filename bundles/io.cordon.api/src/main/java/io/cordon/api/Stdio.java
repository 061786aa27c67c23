package io.cordon.api;

import java.nio.file.Path;

/** Where the container's stdin, stdout and stderr go. */
public record Stdio(Redirect in, Redirect out, Redirect err) {

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
