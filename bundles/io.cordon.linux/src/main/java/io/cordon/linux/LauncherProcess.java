package io.cordon.linux;

import io.cordon.api.ChildProcess;

/** A cloned child that has not yet been told to go, or is running. */
public interface LauncherProcess extends ChildProcess, AutoCloseable {

    /** The launcher's PID: it is the child's parent and forwards signals to it. */
    int launcherPid();

    /** Let the child run its ops and exec. */
    void go();

    /** Wait until the child exec'd its command or an op failed. */
    ExecOutcome awaitExec();

    /** Wait until the child exited; reaps the launcher. */
    ExitStatus awaitExit();

    /** Send a signal to the container (through the launcher, which forwards it). */
    void signal(int signal);

    /** Kill the child before or after go and reap everything; idempotent. */
    @Override
    void close();

    /** Exec result: {@code ok}, or the op that failed with its errno and message. */
    record ExecOutcome(boolean ok, int opIndex, int errno, String message) {
    }

    /** {@code code} is the exit code, or 128+signal. */
    record ExitStatus(int code, int signal) {
    }
}
