package io.cordon.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import io.cordon.api.CordonException;
import io.cordon.api.Stdio;
import io.cordon.api.plan.ChildPlan;
import io.cordon.linux.LauncherProcess;
import io.cordon.linux.LauncherSpawner;
import io.cordon.linux.PlanCodec;
import java.nio.file.Path;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Component;

/**
 * Spawns the C launcher with posix_spawn, giving it the plan on fd 3 and a report
 * pipe on fd 4. posix_spawn (not fork) because Java must never run code in a
 * forked child of the JVM; the launcher does all in-child work. A {@link Stdio} with a
 * remote launcher (the resident runtime's client) is not spawned: the plan goes to it.
 */
@Component(service = LauncherSpawner.class)
public class NativeLauncherSpawner implements LauncherSpawner {
    static final int PLAN_FD = 3;
    static final int REPORT_FD = 4;
    private static final int HIGH_FD = 10;

    private final int launcherFd;
    private final String executable;

    @Activate
    public NativeLauncherSpawner() {
        this.launcherFd = LauncherBinary.load(HIGH_FD);
        this.executable = "/proc/self/fd/" + launcherFd;
    }

    @Deactivate
    void deactivate() {
        // Containers already launched keep running: their launcher's image does not need the fd.
        closeQuietly(launcherFd);
    }

    @Override
    public String executable() {
        return executable;
    }

    @Override
    public LauncherProcess spawn(ChildPlan plan, Stdio stdio) {
        byte[] wire;
        try {
            wire = PlanCodec.encode(plan);
        } catch (IllegalArgumentException e) {
            throw new CordonException("cannot encode the plan: " + e.getMessage());
        }
        if (stdio.launcher() != null) {
            return RemoteLauncherProcess.start(stdio.launcher(), stdio, wire);
        }
        LibC c = LibC.INSTANCE;
        int[] planPipe = pipe();
        int[] reportPipe;
        try {
            reportPipe = pipe();
        } catch (RuntimeException e) {
            closeQuietly(planPipe[0]);
            closeQuietly(planPipe[1]);
            throw e;
        }
        Memory actions = new Memory(512);
        actions.clear();
        int pid;
        try {
            check(c.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            try {
                check(c.posix_spawn_file_actions_adddup2(actions, planPipe[0], PLAN_FD), "adddup2");
                check(c.posix_spawn_file_actions_adddup2(actions, reportPipe[1], REPORT_FD), "adddup2");
                redirect(actions, 0, stdio.in(), LibC.O_RDONLY);
                redirect(actions, 1, stdio.out(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC);
                redirect(actions, 2, stdio.err(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC);
                IntByReference pidRef = new IntByReference();
                // An empty environment: nothing of the JVM's environment reaches the launcher.
                int rc = c.posix_spawn(pidRef, executable, actions, null,
                        new String[] {"cordon-launcher"}, new String[0]);
                if (rc != 0) {
                    throw new CordonException("cannot start the launcher " + executable + ": " + c.strerror(rc));
                }
                pid = pidRef.getValue();
            } finally {
                c.posix_spawn_file_actions_destroy(actions);
            }
        } catch (RuntimeException e) {
            for (int fd : new int[] {planPipe[0], planPipe[1], reportPipe[0], reportPipe[1]}) {
                closeQuietly(fd);
            }
            throw e;
        }
        closeQuietly(planPipe[0]);
        closeQuietly(reportPipe[1]);
        NativeLauncherProcess child = new NativeLauncherProcess(pid, planPipe[1], reportPipe[0]);
        try {
            child.sendPlan(wire);
            child.awaitPid();
        } catch (RuntimeException e) {
            child.close();
            throw e;
        }
        return child;
    }

    private static void redirect(Memory actions, int fd, Stdio.Redirect r, int fileFlags) {
        LibC c = LibC.INSTANCE;
        switch (r.kind()) {
            case INHERIT:
                return;
            case NULL:
                check(c.posix_spawn_file_actions_addopen(actions, fd, "/dev/null", LibC.O_RDWR, 0), "addopen");
                return;
            case FILE:
                check(c.posix_spawn_file_actions_addopen(actions, fd, r.path().toString(), fileFlags, 0644),
                        "addopen");
                return;
            default:
                throw new IllegalArgumentException(r.toString());
        }
    }

    /** A CLOEXEC pipe whose ends are moved above fd 10, so dup2 onto 3 and 4 cannot clobber them. */
    private static int[] pipe() {
        LibC c = LibC.INSTANCE;
        int[] fds = new int[2];
        try {
            c.pipe2(fds, LibC.O_CLOEXEC);
            int[] high = new int[2];
            for (int i = 0; i < 2; i++) {
                high[i] = c.fcntl(fds[i], LibC.F_DUPFD_CLOEXEC, HIGH_FD);
                c.close(fds[i]);
            }
            return high;
        } catch (LastErrorException e) {
            throw new CordonException("cannot create a pipe for the launcher: " + c.strerror(e.getErrorCode()));
        }
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new CordonException(what + " failed: " + LibC.INSTANCE.strerror(rc));
        }
    }

    static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            LibC.INSTANCE.close(fd);
        } catch (LastErrorException ignored) {
            // already closed: nothing to release
        }
    }
}
