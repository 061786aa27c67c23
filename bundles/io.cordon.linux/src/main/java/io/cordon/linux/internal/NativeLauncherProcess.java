package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.ptr.IntByReference;
import io.cordon.api.CordonException;
import io.cordon.linux.LauncherProcess;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** The Java end of one launcher: the plan/control pipe, the report pipe and the launcher's PID. */
final class NativeLauncherProcess implements LauncherProcess {
    static final int REPORT_PID = 1;
    static final int REPORT_EXEC_OK = 2;
    static final int REPORT_OP_FAILED = 3;
    static final int REPORT_EXITED = 4;
    static final int REPORT_LAUNCHER_ERROR = 5;
    private static final int MAX_MESSAGE = 4096;

    private final int launcherPid;
    private int controlFd;
    private int reportFd;
    private volatile int childPid = -1;
    private boolean wentAhead;
    private ExecOutcome execOutcome;
    private volatile ExitStatus exitStatus;
    private boolean reaped;
    private String launcherError;

    NativeLauncherProcess(int launcherPid, int controlFd, int reportFd) {
        this.launcherPid = launcherPid;
        this.controlFd = controlFd;
        this.reportFd = reportFd;
    }

    private record Report(int type, int a, int b, String message) {
    }

    void sendPlan(byte[] plan) {
        writeFully(plan, "send the plan to the launcher");
    }

    void awaitPid() {
        Report r = readReport();
        if (r == null || r.type != REPORT_PID) {
            String why = launcherError != null ? launcherError
                    : r == null ? "the launcher exited before cloning the child" : "unexpected report " + r.type;
            throw new CordonException("launch failed: " + why);
        }
        childPid = r.a;
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
        while (execOutcome == null) {
            Report r = readReport();
            if (r == null) {
                execOutcome = new ExecOutcome(false, -1, 0,
                        launcherError != null ? launcherError : "the launcher exited before the child ran");
            } else if (r.type == REPORT_EXEC_OK) {
                execOutcome = new ExecOutcome(true, -1, 0, "");
            } else if (r.type == REPORT_OP_FAILED) {
                execOutcome = new ExecOutcome(false, r.a, r.b, r.message);
            } else if (r.type == REPORT_EXITED) {
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
                break;
            }
            if (r.type == REPORT_EXITED) {
                exitStatus = status(r);
            } else if (r.type == REPORT_OP_FAILED && execOutcome == null) {
                execOutcome = new ExecOutcome(false, r.a, r.b, r.message);
            } else if (r.type == REPORT_EXEC_OK && execOutcome == null) {
                execOutcome = new ExecOutcome(true, -1, 0, "");
            }
        }
        int launcherStatus = reap();
        if (exitStatus == null) {
            // The launcher died without a report; its own status is all there is.
            exitStatus = decodeWaitStatus(launcherStatus);
        }
        releaseFds();
        return exitStatus;
    }

    private static ExitStatus status(Report r) {
        return r.b != 0 ? new ExitStatus(128 + r.b, r.b) : new ExitStatus(r.a, 0);
    }

    private static ExitStatus decodeWaitStatus(int status) {
        int sig = status & 0x7f;
        return sig == 0 ? new ExitStatus((status >> 8) & 0xff, 0) : new ExitStatus(128 + sig, sig);
    }

    @Override
    public void signal(int signal) {
        if (exitStatus != null) {
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
        while (exitStatus == null) {
            Report r = readReport();
            if (r == null) {
                break;
            }
            if (r.type == REPORT_EXITED) {
                exitStatus = status(r);
            }
        }
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
            byte[] header = readExactly(16);
            if (header == null) {
                return null;
            }
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            int type = h.getInt();
            int a = h.getInt();
            int b = h.getInt();
            int len = h.getInt();
            if (len < 0 || len > MAX_MESSAGE) {
                throw new CordonException("launcher sent a malformed report (message length " + len + ")");
            }
            byte[] msg = len == 0 ? new byte[0] : readExactly(len);
            if (msg == null) {
                return null;
            }
            Report r = new Report(type, a, b, new String(msg, StandardCharsets.UTF_8));
            if (type == REPORT_LAUNCHER_ERROR) {
                launcherError = r.message;
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
