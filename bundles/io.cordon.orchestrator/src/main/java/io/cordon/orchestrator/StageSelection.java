package io.cordon.orchestrator;

import io.cordon.api.Availability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of the installed stages take part in a launch, and the fail-closed check:
 * every requirement of the spec must be handled by an installed, available stage,
 * or the launch is refused with an error that names what is missing.
 */
final class StageSelection {
    private StageSelection() {
    }

    static List<RegisteredStage> select(List<RegisteredStage> installed, ContainerSpec spec) {
        List<RegisteredStage> chosen = new ArrayList<>();
        Set<String> covered = new HashSet<>();
        Map<String, String> requirements = spec.requirements();
        List<String> unavailableReasons = new ArrayList<>();
        for (RegisteredStage s : installed) {
            Availability a = probe(s);
            Set<String> handles = handles(s);
            if (a.available()) {
                chosen.add(s);
                covered.addAll(handles);
            } else {
                for (String key : requirements.keySet()) {
                    if (handles.contains(key)) {
                        unavailableReasons.add(requirements.get(key) + " needs stage " + s.stage().name()
                                + ", which is unavailable: " + a.reason());
                    }
                }
            }
        }
        if (!unavailableReasons.isEmpty()) {
            throw new CordonException("refusing to launch: " + unavailableReasons.get(0));
        }
        for (Map.Entry<String, String> r : requirements.entrySet()) {
            if (!covered.contains(r.getKey())) {
                throw new CordonException("refusing to launch: " + r.getValue() + " asks for '" + r.getKey()
                        + "' but no installed stage handles it (see cordon stages; install or start the bundle"
                        + " that provides it)");
            }
        }
        return chosen;
    }

    /** A stage whose probe throws is unavailable, with the exception as the reason; it never breaks a launch. */
    static Availability probe(RegisteredStage s) {
        try {
            return s.stage().probe();
        } catch (RuntimeException e) {
            return Availability.unavailable("probe failed: " + e);
        }
    }

    static Set<String> handles(RegisteredStage s) {
        try {
            return Set.copyOf(s.stage().handles());
        } catch (RuntimeException e) {
            return Set.of();
        }
    }
}
