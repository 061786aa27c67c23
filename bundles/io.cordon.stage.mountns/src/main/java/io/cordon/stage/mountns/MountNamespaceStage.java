package io.cordon.stage.mountns;

import io.cordon.api.Availability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Phase;
import io.cordon.linux.KernelProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * A private mount namespace with its own root: the embedded default root (host
 * /usr, /bin, /sbin, /lib* read-only, a private /etc, fresh /proc, /dev, /sys,
 * /tmp) or the directory given with {@code --rootfs}; then pivot_root into it,
 * and Docker's masked and read-only paths.
 */
@Component(property = IsolationStage.ORDER + ":Integer=20")
public class MountNamespaceStage implements IsolationStage {

    @Override
    public String name() {
        return "mountns";
    }

    @Override
    public Phase phase() {
        return Phase.NAMESPACES;
    }

    @Override
    public Set<String> handles() {
        return Set.of(ContainerSpec.REQ_ROOTFS, ContainerSpec.REQ_READ_ONLY, ContainerSpec.REQ_VOLUMES);
    }

    @Override
    public Availability probe() {
        Availability ns = KernelProbe.namespace(Namespace.MOUNT);
        if (!ns.available()) {
            return ns;
        }
        if (!Files.isDirectory(Path.of("/proc/self/fd"))) {
            return Availability.unavailable("/proc is not mounted on the host");
        }
        return Availability.available("");
    }

    @Override
    public StageRun open(StageContext context) {
        ContainerSpec spec = context.spec();
        spec.rootfs().ifPresent(MountNamespaceStage::checkRootfs);
        for (ContainerSpec.Volume v : spec.volumes()) {
            if (!Files.exists(v.source())) {
                throw new CordonException("-v " + v + ": " + v.source() + " does not exist on the host");
            }
            if (!v.target().startsWith("/") || v.target().contains("/../") || v.target().endsWith("/..")) {
                throw new CordonException("-v " + v + ": the container path must be absolute, without '..'");
            }
        }
        return new RootfsBuilder(context);
    }

    private static void checkRootfs(Path rootfs) {
        if (!rootfs.isAbsolute()) {
            throw new CordonException("--rootfs " + rootfs + ": give an absolute path");
        }
        if (!Files.isDirectory(rootfs)) {
            throw new CordonException("--rootfs " + rootfs + ": no such directory (prepare a root filesystem there,"
                    + " or leave --rootfs out for the default root)");
        }
        if (rootfs.normalize().equals(Path.of("/"))) {
            throw new CordonException("--rootfs /: the host's own root cannot be a container root");
        }
    }
}
