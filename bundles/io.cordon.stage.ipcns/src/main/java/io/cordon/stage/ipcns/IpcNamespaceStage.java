package io.cordon.stage.ipcns;

import io.cordon.api.Availability;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Phase;
import io.cordon.linux.KernelProbe;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * The container gets its own System V IPC objects (shared memory, semaphores,
 * message queues) and POSIX message queues, so it can neither see nor attach to
 * the host's.
 */
@Component(property = IsolationStage.ORDER + ":Integer=40")
public class IpcNamespaceStage implements IsolationStage {

    @Override
    public String name() {
        return "ipcns";
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
        return KernelProbe.namespace(Namespace.IPC);
    }

    @Override
    public StageRun open(StageContext context) {
        return plan -> plan.unshare(Namespace.IPC);
    }
}
