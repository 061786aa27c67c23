package io.cordon.orchestrator;

import io.cordon.api.IsolationStage;
import java.util.Comparator;

/** A stage service with the properties that order it, as the orchestrator tracks it. */
record RegisteredStage(IsolationStage stage, int order, String bundle, long serviceId) {

    /** Pipeline order: phase, then the order property, then name, then registration. */
    static final Comparator<RegisteredStage> PIPELINE_ORDER = Comparator
            .comparing((RegisteredStage s) -> s.stage().phase())
            .thenComparingInt(RegisteredStage::order)
            .thenComparing(s -> s.stage().name())
            .thenComparingLong(RegisteredStage::serviceId);
}
