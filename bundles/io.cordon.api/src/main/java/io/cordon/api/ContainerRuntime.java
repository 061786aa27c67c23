package io.cordon.api;

import io.cordon.api.plan.ChildPlan;
import java.util.List;

/** The runtime service the shell, the CLI and the OCI front end call. */
public interface ContainerRuntime {

    /** Launch and wait until the container exits. Launch failures come back in the result, not as exceptions. */
    RunResult run(ContainerSpec spec, Stdio stdio);

    /** The plan a launch of this spec would run now, with each op's phase and stage. Creates nothing. */
    ChildPlan explain(ContainerSpec spec);

    /** Installed stages in pipeline order. */
    List<StageInfo> stages();

    /** Running containers. */
    List<ContainerInfo> containers();

    /** Live figures of a running container (id or unique prefix), by stage, from each stage's {@link StageRun#stats()}. */
    java.util.Map<String, java.util.Map<String, String>> stats(String id);

    /** Send a signal to a running container (id or unique id prefix). */
    void kill(String id, int signal);

    /**
     * What the kernel enforces for a host process, read from {@code /proc} now: any process, a container's
     * or not ({@code cordon inspect --pid}).
     *
     * @throws CordonException if there is no such process
     */
    ProcessIsolation kernelView(int pid);

    /** The host pid of a running container's first process (id or unique prefix, as for {@link #kill}). */
    int pidOf(String id);
}
