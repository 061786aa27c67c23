package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import io.cordon.api.CordonException;
import io.cordon.api.RemoteLauncher;
import io.cordon.api.Stdio;
import io.cordon.linux.LauncherProcess;
import io.cordon.linux.internal.LauncherReports.Report;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
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
    private final RemoteLauncher remote;
    private volatile int childPid = -1;
    private boolean wentAhead;
    private boolean aborted;
    private boolean finished;
    private final LauncherReports reports = new LauncherReports();
    private String launcherError;

    private RemoteLauncherProcess(RemoteLauncher remote) {
        this.remote = remote;
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
        if (r == null || r.type() != LauncherReports.PID) {
            child.finished = true;
            String why = child.launcherError != null ? child.launcherError
                    : r == null ? "the client went away before cloning the child" : "unexpected report " + r.type();
            throw new CordonException("launch failed: " + why);
        }
        child.childPid = r.a();
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
        return reports.awaitExec(this::readReport,
                () -> launcherError != null ? launcherError : "the client went away before the child ran");
    }

    @Override
    public synchronized ExitStatus awaitExit() {
        if (!reports.awaitExit(this::readReport)) {
            // The client died (its container with it: the child has PR_SET_PDEATHSIG) or it broke the
            // protocol; either way no exit status will come.
            reports.exitIfUnknown(new ExitStatus(128 + LibC.SIGKILL, LibC.SIGKILL));
        }
        return reports.exit();
    }

    @Override
    public void signal(int signal) {
        if (reports.exit() != null || childPid <= 0) {
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
        if (finished || reports.exit() != null || childPid <= 0) {
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
            byte[] header = in.readNBytes(LauncherReports.HEADER_BYTES);
            if (header.length < LauncherReports.HEADER_BYTES) {
                finished = true;
                return null;
            }
            LauncherReports.Header h;
            try {
                h = LauncherReports.Header.decode(header, "the client's launcher");
            } catch (CordonException malformed) {
                finished = true;
                throw malformed;
            }
            byte[] msg = in.readNBytes(h.length());
            if (msg.length < h.length()) {
                throw new EOFException();
            }
            Report r = new Report(h.type(), h.a(), h.b(), new String(msg, StandardCharsets.UTF_8));
            if (h.type() == LauncherReports.LAUNCHER_ERROR) {
                // The launcher exits after this report.
                launcherError = r.message();
                finished = true;
                return null;
            }
            if (h.type() == LauncherReports.EXITED) {
                finished = true;
            }
            return r;
        } catch (IOException e) {
            finished = true;
            return null;
        }
    }
}
