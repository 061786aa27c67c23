package io.cordon.api;

import io.cordon.api.plan.Phase;
import java.util.Set;

/** One installed stage as the orchestrator sees it right now. */
public record StageInfo(String name, Phase phase, int order, Set<String> handles, Availability availability,
        String bundle) {
}
