package io.cordon.api;

import io.cordon.api.plan.Phase;
import java.util.Set;

/**
 * One isolation feature (a namespace, cgroups, capabilities, seccomp, an LSM ...)
 * as an OSGi service. The orchestrator takes every stage installed at the moment
 * of a launch, sorts them by {@link #phase()} and the {@value #ORDER} service
 * property, and runs each one's {@link StageRun} through prepare, contribute,
 * attach and release.
 *
 * <p>Stages are shared by concurrent launches: per-launch state lives in the
 * {@link StageRun} that {@link #open} returns, never in the stage.
 */
public interface IsolationStage {

    /** Service property (Integer) ordering stages within a phase; lower runs first. */
    String ORDER = "cordon.stage.order";

    /** Short name shown in {@code cordon:stages}, plans and errors, e.g. {@code utsns}. */
    String name();

    /** The phase this stage belongs to, which orders it against other stages. */
    Phase phase();

    /** The {@link ContainerSpec#requirements() requirement keys} this stage can satisfy. */
    Set<String> handles();

    /** Whether the running kernel and host can provide this feature, and why not. */
    Availability probe();

    /** Start this stage's part of one launch. Must not create host state; that is prepare's job. */
    StageRun open(StageContext context);
}
