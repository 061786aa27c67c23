package io.cordon.stage.caps;

import io.cordon.api.Availability;
import io.cordon.api.Capability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.linux.KernelProbe;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * Root in a container is not root on the host: the container keeps Docker's 14
 * default capabilities in its bounding, permitted and effective sets, changed with
 * --cap-add/--cap-drop (names with or without CAP_, any case, or ALL); --privileged
 * keeps every capability. The spec decides the set ({@link io.cordon.api.CapabilityRequest});
 * this stage checks it against this kernel and what cordon holds when the launch opens,
 * before anything exists on the host. The one CAPSET op runs after the uid switch (phase identity).
 */
@Component(property = IsolationStage.ORDER + ":Integer=120")
public class CapabilitiesStage implements IsolationStage {

    @Override
    public String name() {
        return "caps";
    }

    @Override
    public Phase phase() {
        return Phase.CAPABILITIES;
    }

    @Override
    public Set<String> handles() {
        return Set.of(ContainerSpec.REQ_CAP_ADD, ContainerSpec.REQ_CAP_DROP, ContainerSpec.REQ_PRIVILEGED);
    }

    @Override
    public Availability probe() {
        try {
            int last = KernelProbe.capLastCap();
            KernelProbe.permittedCapabilities();
            String detail = "cap_last_cap " + last;
            int named = Capability.KNOWN.size();
            if (last >= named) {
                detail += "; capabilities " + named + ".." + last
                        + " have no name in this cordon and show as numbers";
            }
            return Availability.available(detail);
        } catch (CordonException e) {
            return Availability.unavailable(e.getMessage());
        }
    }

    @Override
    public StageRun open(StageContext context) {
        Op.CapSet caps = CapabilityPolicy.plan(context.spec(), KernelProbe.capLastCap(),
                KernelProbe.permittedCapabilities());
        return plan -> plan.add(Phase.CAPABILITIES, caps);
    }
}
