package io.cordon.api;

import io.cordon.api.plan.PlanBuilder;

/**
 * One stage's part of one launch. The orchestrator calls prepare, contribute and
 * attach in stage order, and release in reverse order for every run whose prepare
 * was called, also after a failure in any later stage. Release must be idempotent
 * and must not throw for state that was never created.
 */
public interface StageRun {

    /** Create host-side state before the child exists (a cgroup, a compiled filter ...). */
    default void prepare() throws Exception {
    }

    /** Add namespaces and in-child ops to the plan. */
    void contribute(PlanBuilder plan) throws Exception;

    /** Host-side work once the child exists and before it runs (join a cgroup, write id maps ...). */
    default void attach(ChildProcess child) throws Exception {
    }

    /**
     * Live figures for {@code cordon stats} while the container runs (memory usage,
     * CPU time …), as name to value. Called from another thread than the launch.
     */
    default java.util.Map<String, String> stats() {
        return java.util.Map.of();
    }

    /**
     * After the container exited and before release: a one-line explanation of how
     * it ended, if this stage caused or saw it (e.g. "killed: out of memory (limit
     * 64 MiB)"). {@code signal} is 0 when it exited normally.
     */
    default java.util.Optional<String> explainExit(int exitCode, int signal) {
        return java.util.Optional.empty();
    }

    /** Undo what prepare and attach made. */
    default void release() throws Exception {
    }
}
