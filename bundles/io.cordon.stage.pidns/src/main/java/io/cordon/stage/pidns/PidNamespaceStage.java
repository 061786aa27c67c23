package io.cordon.stage.pidns;

import io.cordon.api.Availability;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Phase;
import io.cordon.linux.KernelProbe;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/** The container's command is PID 1 of a new PID namespace and sees only its own processes. */
@Component(property = IsolationStage.ORDER + ":Integer=10")
public class PidNamespaceStage implements IsolationStage {

    @Override
    public String name() {
        return "pidns";
    }

    @Override
    public Phase phase() {
        return Phase.NAMESPACES;
    }

    @Override
    public Set<String> handles() {
        return Set.of();
    }

    @Override
    public Availability probe() {
        return KernelProbe.namespace(Namespace.PID);
    }

    @Override
    public StageRun open(StageContext context) {
        // /proc is mounted by the mount stage; it shows this namespace because the child mounts it.
        return plan -> plan.unshare(Namespace.PID);
    }
}
