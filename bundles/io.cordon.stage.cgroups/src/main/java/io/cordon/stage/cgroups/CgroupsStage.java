package io.cordon.stage.cgroups;

import io.cordon.api.Availability;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Phase;
import io.cordon.linux.CgroupDevices;
import io.cordon.linux.CgroupLayout;
import java.util.Set;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Component;

/**
 * Limits what a container may use: CPU, memory, processes, block I/O and devices,
 * with Docker's flags ({@code --memory}, {@code --cpus}, {@code --pids-limit},
 * {@code --device} ...) on cgroup v1, v2 and hybrid hosts. Every container gets
 * its own cgroup under {@code --cgroup-parent} (default {@code cordon}) in each
 * mounted hierarchy, is restricted to the usual pseudo-devices plus what
 * {@code --device} gives it, and is reported on by {@code cordon stats} and, when
 * the kernel killed it for memory, after it exits.
 */
@Component(property = IsolationStage.ORDER + ":Integer=60")
public class CgroupsStage implements IsolationStage {
    private final Supplier<CgroupLayout> layout;
    private final Host host;
    private final CgroupFs fs;
    private final ContainerCgroup.DeviceProgramAttacher devicePrograms;

    public CgroupsStage() {
        this(CgroupLayout::host, Host.REAL, CgroupFs.REAL, CgroupDevices::attach);
    }

    CgroupsStage(Supplier<CgroupLayout> layout, Host host, CgroupFs fs,
            ContainerCgroup.DeviceProgramAttacher devicePrograms) {
        this.layout = layout;
        this.host = host;
        this.fs = fs;
        this.devicePrograms = devicePrograms;
    }

    @Override
    public String name() {
        return "cgroups";
    }

    /** Its in-child work is making the --device nodes in the container's /dev, after pivot_root. */
    @Override
    public Phase phase() {
        return Phase.SYSTEM;
    }

    @Override
    public Set<String> handles() {
        return Set.copyOf(Limits.KEYS);
    }

    @Override
    public Availability probe() {
        CgroupLayout l = layout.get();
        if (l.kind() == CgroupLayout.Kind.NONE) {
            return Availability.unavailable("no cgroup filesystem is mounted (/proc/self/mountinfo lists no cgroup"
                    + " or cgroup2 mount)");
        }
        if (l.v1("devices").isEmpty() && l.unified().isEmpty()) {
            return Availability.unavailable("the host has neither a devices cgroup controller nor a cgroup2"
                    + " hierarchy, so it cannot keep containers off its devices");
        }
        return Availability.available(l.describe());
    }

    /** Parses and checks every setting (one-line errors, nothing created yet) and places the cgroups. */
    @Override
    public StageRun open(StageContext context) {
        Limits limits = Limits.parse(context.spec(), host);
        CgroupLayout l = layout.get();
        Placement placement = Placement.of(l, l.unifiedControllers(), limits, context.containerId(),
                context.spec().requirements());
        return new ContainerCgroup(context, limits, placement, fs, devicePrograms);
    }
}
