package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.ptr.IntByReference;
import io.cordon.api.CordonException;
import io.cordon.linux.LauncherProcess;
import io.cordon.linux.internal.LauncherReports.Report;
import java.nio.charset.StandardCharsets;

/** The Java end of one launcher: the plan/control pipe, the report pipe and the launcher's PID. */
final class NativeLauncherProcess implements LauncherProcess {
    private final int launcherPid;
    private int controlFd;
    private int reportFd;
    private volatile int childPid = -1;
    private boolean wentAhead;
    private final LauncherReports reports = new LauncherReports();
    private boolean reaped;
    private String launcherError;

    NativeLauncherProcess(int launcherPid, int controlFd, int reportFd) {
        this.launcherPid = launcherPid;
        this.controlFd = controlFd;
        this.reportFd = reportFd;
    }

    void sendPlan(byte[] plan) {
        writeFully(plan, "send the plan to the launcher");
    }

    void awaitPid() {
        Report r = readReport();
        if (r == null || r.type() != LauncherReports.PID) {
            String why = launcherError != null ? launcherError
                    : r == null ? "the launcher exited before cloning the child" : "unexpected report " + r.type();
            throw new CordonException("launch failed: " + why);
        }
        childPid = r.a();
    }

    @Override
    public int pid() {
        return childPid;
    }

    @Override
    public int launcherPid() {
        return launcherPid;
    }

    @Override
    public synchronized void go() {
        if (wentAhead) {
            return;
        }
        wentAhead = true;
        writeFully(new byte[] {'G'}, "tell the launcher to go");
    }

    @Override
    public synchronized ExecOutcome awaitExec() {
        return reports.awaitExec(this::readReport,
                () -> launcherError != null ? launcherError : "the launcher exited before the child ran");
    }

    @Override
    public synchronized ExitStatus awaitExit() {
        reports.awaitExit(this::readReport);
        int launcherStatus = reap();
        // A launcher that died without a report: its own status is all there is.
        reports.exitIfUnknown(decodeWaitStatus(launcherStatus));
        releaseFds();
        return reports.exit();
    }

    private static ExitStatus decodeWaitStatus(int status) {
        int sig = status & 0x7f;
        return sig == 0 ? new ExitStatus((status >> 8) & 0xff, 0) : new ExitStatus(128 + sig, sig);
    }

    @Override
    public void signal(int signal) {
        if (reports.exit() != null) {
            return;
        }
        // SIGKILL/SIGSTOP cannot be caught and forwarded by the launcher, so they go to the child itself.
        // Its PID cannot be reused yet: the launcher, its parent, only reaps it after it exits.
        int target = (signal == LibC.SIGKILL || signal == LibC.SIGSTOP) && childPid > 0 ? childPid : launcherPid;
        try {
            LibC.INSTANCE.kill(target, signal);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != LibC.ESRCH) {
                throw new CordonException("cannot signal the container: " + LibC.INSTANCE.strerror(e.getErrorCode()));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (reaped) {
            releaseFds();
            return;
        }
        // EOF on the control pipe makes the launcher SIGKILL the child, before or after go.
        NativeLauncherSpawner.closeQuietly(controlFd);
        controlFd = -1;
        reports.awaitExit(this::readReport);
        reap();
        releaseFds();
    }

    private int reap() {
        if (reaped) {
            return 0;
        }
        IntByReference status = new IntByReference();
        while (true) {
            try {
                LibC.INSTANCE.waitpid(launcherPid, status, 0);
                reaped = true;
                return status.getValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EINTR) {
                    reaped = true;
                    return 0;
                }
            }
        }
    }

    private void releaseFds() {
        NativeLauncherSpawner.closeQuietly(controlFd);
        controlFd = -1;
        NativeLauncherSpawner.closeQuietly(reportFd);
        reportFd = -1;
    }

    /** Next report, or null at EOF. A LAUNCHER_ERROR report is remembered and reading goes on. */
    private Report readReport() {
        while (true) {
            byte[] header = readExactly(LauncherReports.HEADER_BYTES);
            if (header == null) {
                return null;
            }
            LauncherReports.Header h = LauncherReports.Header.decode(header, "the launcher");
            byte[] msg = h.length() == 0 ? new byte[0] : readExactly(h.length());
            if (msg == null) {
                return null;
            }
            Report r = new Report(h.type(), h.a(), h.b(), new String(msg, StandardCharsets.UTF_8));
            if (h.type() == LauncherReports.LAUNCHER_ERROR) {
                launcherError = r.message();
                continue;
            }
            return r;
        }
    }

    private byte[] readExactly(int n) {
        if (reportFd < 0) {
            return null;
        }
        byte[] out = new byte[n];
        int got = 0;
        byte[] chunk = new byte[n];
        while (got < n) {
            long r;
            try {
                r = LibC.INSTANCE.read(reportFd, chunk, n - got);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.EINTR) {
                    continue;
                }
                throw new CordonException("reading from the launcher failed: "
                        + LibC.INSTANCE.strerror(e.getErrorCode()));
            }
            if (r == 0) {
                return null;
            }
            System.arraycopy(chunk, 0, out, got, (int) r);
            got += (int) r;
        }
        return out;
    }

    private void writeFully(byte[] data, String what) {
        if (controlFd < 0) {
            throw new CordonException("cannot " + what + ": the control pipe is closed");
        }
        int off = 0;
        while (off < data.length) {
            byte[] rest = off == 0 ? data : java.util.Arrays.copyOfRange(data, off, data.length);
            try {
                long w = LibC.INSTANCE.write(controlFd, rest, rest.length);
                off += (int) w;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.EINTR) {
                    continue;
                }
                throw new CordonException("cannot " + what + ": " + LibC.INSTANCE.strerror(e.getErrorCode()));
            }
        }
    }
}
