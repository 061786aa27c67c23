package io.cordon.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A launcher that runs in another process rather than one the runtime spawns: the resident
 * runtime's client, which clones the container itself so that the container gets the client's own
 * stdio. Once {@link #start} returns, the launcher protocol (docs/launcher-protocol.md) runs over
 * {@link #toLauncher()} (plan, control byte) and {@link #fromLauncher()} (reports) until the
 * launcher's last report (EXITED or LAUNCHER_ERROR), or until it has read an abort byte.
 */
public interface RemoteLauncher {

    /**
     * Ask the remote process to become the launcher. Only {@link Stdio.Kind#INHERIT} (the remote
     * process's own descriptor) and {@link Stdio.Kind#NULL} are possible for each of its stdio.
     */
    void start(Stdio stdio) throws IOException;

    /** Where the plan and then the control byte go. */
    OutputStream toLauncher();

    /** The launcher's reports. */
    InputStream fromLauncher();

    /** The remote launcher's pid in the host's pid namespace, as the remote side gave it. */
    int launcherPid();
}
