package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import io.cordon.api.CordonException;
import io.cordon.api.RemoteLauncher;
import io.cordon.api.Stdio;
import io.cordon.linux.LauncherProcess;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The runtime's end of a launcher that runs in another process (the resident runtime's client). The
 * launcher protocol is the one of fd 3 and 4, over the remote launcher's streams. The launcher is not
 * this process's child, so there is nothing to reap: its last report (EXITED, or LAUNCHER_ERROR, after
 * which it exits) ends the exchange, and the streams then belong to their owner again. Signals go to the
 * container's host pid with kill(2): its parent, the remote launcher, only reaps it after it exited, and
 * reports EXITED only after that, so the pid is the container's until then.
 */
final class RemoteLauncherProcess implements LauncherProcess {
    private static final int MAX_MESSAGE = 4096;

    private final RemoteLauncher remote;
    private volatile int childPid = -1;
    private boolean wentAhead;
    private boolean aborted;
    private boolean finished;
    private ExecOutcome execOutcome;
    private volatile ExitStatus exitStatus;
    private String launcherError;

    private RemoteLauncherProcess(RemoteLauncher remote) {
        this.remote = remote;
    }

    private record Report(int type, int a, int b, String message) {
    }

    /** Start the remote launcher, send it the plan and return once it reported the child's pid. */
    static RemoteLauncherProcess start(RemoteLauncher remote, Stdio stdio, byte[] plan) {
        for (Stdio.Redirect r : new Stdio.Redirect[] {stdio.in(), stdio.out(), stdio.err()}) {
            if (r.kind() == Stdio.Kind.FILE) {
                throw new CordonException("a client's launcher cannot redirect to a file (" + r.path()
                        + "): the file would be opened by the client, not the runtime");
            }
        }
        RemoteLauncherProcess child = new RemoteLauncherProcess(remote);
        try {
            remote.start(stdio);
            remote.toLauncher().write(plan);
            remote.toLauncher().flush();
        } catch (IOException e) {
            throw new CordonException("cannot send the plan to the client's launcher: " + e.getMessage());
        }
        Report r = child.readReport();
        if (r == null || r.type != NativeLauncherProcess.REPORT_PID) {
            child.finished = true;
            String why = child.launcherError != null ? child.launcherError
                    : r == null ? "the client went away before cloning the child" : "unexpected report " + r.type;
            throw new CordonException("launch failed: " + why);
        }
        child.childPid = r.a;
        return child;
    }

    @Override
    public int pid() {
        return childPid;
    }

    @Override
    public int launcherPid() {
        return remote.launcherPid();
    }

    @Override
    public synchronized void go() {
        if (wentAhead) {
            return;
        }
        wentAhead = true;
        control('G', "tell the client's launcher to go");
    }

    @Override
    public synchronized ExecOutcome awaitExec() {
        while (execOutcome == null) {
            Report r = readReport();
            if (r == null) {
                execOutcome = new ExecOutcome(false, -1, 0,
                        launcherError != null ? launcherError : "the client went away before the child ran");
            } else if (r.type == NativeLauncherProcess.REPORT_EXEC_OK) {
                execOutcome = new ExecOutcome(true, -1, 0, "");
            } else if (r.type == NativeLauncherProcess.REPORT_OP_FAILED) {
                execOutcome = new ExecOutcome(false, r.a, r.b, r.message);
            } else if (r.type == NativeLauncherProcess.REPORT_EXITED) {
                exitStatus = status(r);
                execOutcome = new ExecOutcome(false, -1, 0, "the child exited before exec");
            }
        }
        return execOutcome;
    }

    @Override
    public synchronized ExitStatus awaitExit() {
        while (exitStatus == null) {
            Report r = readReport();
            if (r == null) {
                // The client died (its container with it: the child has PR_SET_PDEATHSIG) or it broke the
                // protocol; either way no exit status will come.
                exitStatus = new ExitStatus(128 + LibC.SIGKILL, LibC.SIGKILL);
                break;
            }
            if (r.type == NativeLauncherProcess.REPORT_EXITED) {
                exitStatus = status(r);
            } else if (r.type == NativeLauncherProcess.REPORT_OP_FAILED && execOutcome == null) {
                execOutcome = new ExecOutcome(false, r.a, r.b, r.message);
            } else if (r.type == NativeLauncherProcess.REPORT_EXEC_OK && execOutcome == null) {
                execOutcome = new ExecOutcome(true, -1, 0, "");
            }
        }
        return exitStatus;
    }

    private static ExitStatus status(Report r) {
        return r.b != 0 ? new ExitStatus(128 + r.b, r.b) : new ExitStatus(r.a, 0);
    }

    @Override
    public void signal(int signal) {
        if (exitStatus != null || childPid <= 0) {
            return;
        }
        try {
            LibC.INSTANCE.kill(childPid, signal);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != LibC.ESRCH) {
                throw new CordonException("cannot signal the container: " + LibC.INSTANCE.strerror(e.getErrorCode()));
            }
        }
    }

    /**
     * Before go, the abort byte makes the launcher kill and reap the child and exit without a further
     * report. After go, the child is killed and its EXITED report awaited, so the caller releases the
     * container's resources only once it is gone.
     */
    @Override
    public synchronized void close() {
        if (finished || exitStatus != null || childPid <= 0) {
            return;
        }
        if (!wentAhead) {
            if (!aborted) {
                aborted = true;
                try {
                    control('A', "abort the client's launcher");
                } catch (CordonException gone) {
                    // The client is gone, and its child with it.
                }
            }
            return;
        }
        signal(LibC.SIGKILL);
        try {
            awaitExit();
        } catch (CordonException brokenProtocol) {
            // Nothing more to read; the child was killed above.
        }
    }

    private void control(char c, String what) {
        try {
            remote.toLauncher().write(c);
            remote.toLauncher().flush();
        } catch (IOException e) {
            throw new CordonException("cannot " + what + ": " + e.getMessage());
        }
    }

    /** Next report, or null at the end: the connection closed, or the launcher's last report was read. */
    private Report readReport() {
        if (finished) {
            return null;
        }
        InputStream in = remote.fromLauncher();
        try {
            while (true) {
                byte[] header = in.readNBytes(16);
                if (header.length < 16) {
                    finished = true;
                    return null;
                }
                ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
                int type = h.getInt();
                int a = h.getInt();
                int b = h.getInt();
                int len = h.getInt();
                if (len < 0 || len > MAX_MESSAGE || type < NativeLauncherProcess.REPORT_PID
                        || type > NativeLauncherProcess.REPORT_LAUNCHER_ERROR) {
                    finished = true;
                    throw new CordonException("the client's launcher sent a malformed report (type " + type
                            + ", message length " + len + ")");
                }
                byte[] msg = in.readNBytes(len);
                if (msg.length < len) {
                    throw new EOFException();
                }
                Report r = new Report(type, a, b, new String(msg, StandardCharsets.UTF_8));
                if (type == NativeLauncherProcess.REPORT_LAUNCHER_ERROR) {
                    // The launcher exits after this report.
                    launcherError = r.message;
                    finished = true;
                    return null;
                }
                if (type == NativeLauncherProcess.REPORT_EXITED) {
                    finished = true;
                }
                return r;
            }
        } catch (IOException e) {
            finished = true;
            return null;
        }
    }
}
