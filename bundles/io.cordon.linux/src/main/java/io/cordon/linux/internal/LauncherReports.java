package io.cordon.linux.internal;

import io.cordon.api.CordonException;
import io.cordon.linux.LauncherProcess.ExecOutcome;
import io.cordon.linux.LauncherProcess.ExitStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * The launcher's reports (docs/launcher-protocol.md, "Reports") and what a run of them decides: the exec
 * outcome and the exit status. One place for both ends of a launcher, the local one on a pipe and the
 * resident runtime's client on its socket, which differ only in how the bytes arrive.
 */
final class LauncherReports {
    static final int PID = 1;
    static final int EXEC_OK = 2;
    static final int OP_FAILED = 3;
    static final int EXITED = 4;
    static final int LAUNCHER_ERROR = 5;
    static final int HEADER_BYTES = 16;
    static final int MAX_MESSAGE = 4096;

    /** One report: its type, two integers and a message. */
    record Report(int type, int a, int b, String message) {
        /** The exit code as {@code docker run} gives it: the child's code, or 128+N for signal N. */
        ExitStatus exitStatus() {
            return b != 0 ? new ExitStatus(128 + b, b) : new ExitStatus(a, 0);
        }
    }

    /** A report's fixed header; the message of {@code length} bytes follows it. */
    record Header(int type, int a, int b, int length) {
        /** @throws CordonException for an unknown type or a message over the bound, naming {@code from} */
        static Header decode(byte[] bytes, String from) {
            ByteBuffer h = ByteBuffer.wrap(bytes, 0, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            Header header = new Header(h.getInt(), h.getInt(), h.getInt(), h.getInt());
            if (header.length < 0 || header.length > MAX_MESSAGE || header.type < PID || header.type > LAUNCHER_ERROR) {
                throw new CordonException(from + " sent a malformed report (type " + header.type
                        + ", message length " + header.length + ")");
            }
            return header;
        }
    }

    private ExecOutcome exec;
    private volatile ExitStatus exit;

    ExecOutcome exec() {
        return exec;
    }

    ExitStatus exit() {
        return exit;
    }

    /** Sets the exit status where no report gave one (the launcher died, or its client went away). */
    void exitIfUnknown(ExitStatus fallback) {
        if (exit == null) {
            exit = fallback;
        }
    }

    /**
     * Reads reports until the exec outcome is known. {@code next} answers null once the launcher sends no
     * more; the outcome is then a failure saying {@code ended}.
     */
    ExecOutcome awaitExec(Supplier<Report> next, Supplier<String> ended) {
        while (exec == null) {
            Report r = next.get();
            if (r == null) {
                exec = new ExecOutcome(false, -1, 0, ended.get());
            } else {
                apply(r, true);
            }
        }
        return exec;
    }

    /** Reads reports until EXITED; false if the launcher sent no more before it. */
    boolean awaitExit(Supplier<Report> next) {
        while (exit == null) {
            Report r = next.get();
            if (r == null) {
                return false;
            }
            apply(r, false);
        }
        return true;
    }

    private void apply(Report r, boolean awaitingExec) {
        switch (r.type()) {
            case EXEC_OK -> {
                if (exec == null) {
                    exec = new ExecOutcome(true, -1, 0, "");
                }
            }
            case OP_FAILED -> {
                if (exec == null) {
                    exec = new ExecOutcome(false, r.a(), r.b(), r.message());
                }
            }
            case EXITED -> {
                exit = r.exitStatus();
                if (awaitingExec && exec == null) {
                    exec = new ExecOutcome(false, -1, 0, "the child exited before exec");
                }
            }
            default -> {
                // PID comes once, before go, and is read by whoever started the launcher.
            }
        }
    }
}
