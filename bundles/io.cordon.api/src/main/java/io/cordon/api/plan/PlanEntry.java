package io.cordon.api.plan;

import java.util.Objects;

/**
 * One op of the plan with the phase it runs in and the stage that contributed it.
 * An optional op is skipped when its target does not exist (ENOENT), which is how
 * masked paths the running kernel lacks are handled.
 */
public record PlanEntry(Phase phase, String stage, Op op, boolean optional) {
    public PlanEntry {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(op, "op");
    }
}
