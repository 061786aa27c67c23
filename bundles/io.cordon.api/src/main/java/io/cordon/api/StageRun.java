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

    /** Undo what prepare and attach made. */
    default void release() throws Exception {
    }
}
