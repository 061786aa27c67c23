package io.cordon.api;

/**
 * A failure the user can act on. The message is one line that says what was wrong
 * and what to do; the exit code follows Docker's convention (125: cordon itself
 * failed, 126: the command could not be invoked, 127: the command was not found).
 */
public class CordonException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public CordonException(String message) {
        this(message, 125, null);
    }

    public CordonException(String message, int exitCode) {
        this(message, exitCode, null);
    }

    public CordonException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
