package io.cordon.stage.utsns;

import io.cordon.api.Availability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.linux.KernelProbe;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * The container gets its own hostname (the short container id unless
 * {@code --hostname} says otherwise) without changing the host's.
 */
@Component(property = IsolationStage.ORDER + ":Integer=30")
public class UtsNamespaceStage implements IsolationStage {

    @Override
    public String name() {
        return "utsns";
    }

    @Override
    public Phase phase() {
        return Phase.NAMESPACES;
    }

    @Override
    public Set<String> handles() {
        return Set.of(ContainerSpec.REQ_HOSTNAME);
    }

    @Override
    public Availability probe() {
        return KernelProbe.namespace(Namespace.UTS);
    }

    @Override
    public StageRun open(StageContext context) {
        return plan -> {
            plan.unshare(Namespace.UTS);
            plan.add(Phase.SYSTEM, new Op.SetHostname(context.hostname()));
        };
    }
}
