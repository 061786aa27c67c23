package io.cordon.linux;

import io.cordon.api.Stdio;
import io.cordon.api.plan.ChildPlan;

/**
 * Starts the C launcher with a plan. The child is cloned into its namespaces and
 * then waits: the caller runs the stages' host-side attach steps and calls
 * {@link LauncherProcess#go()}.
 */
public interface LauncherSpawner {

    /**
     * Spawn the launcher, send the plan and return once the child exists (its PID is known). If
     * {@code stdio} names a {@link io.cordon.api.RemoteLauncher}, that one gets the plan instead of a
     * spawned launcher.
     */
    LauncherProcess spawn(ChildPlan plan, Stdio stdio);

    /** How the launcher executable is named for exec (a sealed in-memory copy of the one in the bundle). */
    String executable();
}
