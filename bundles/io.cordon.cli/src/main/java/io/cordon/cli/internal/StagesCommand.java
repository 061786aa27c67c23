package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.StageInfo;
import io.cordon.api.plan.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code cordon stages}: each installed stage in pipeline order with its phase, order and availability. */
@Command(name = "stages", description = "List the installed isolation stages in pipeline order.",
        mixinStandardHelpOptions = true)
final class StagesCommand implements Callable<Integer> {
    private final ContainerRuntime runtime;
    private final CordonCommandLine.Output io;

    StagesCommand(ContainerRuntime runtime, CordonCommandLine.Output io) {
        this.runtime = runtime;
        this.io = io;
    }

    @Override
    public Integer call() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"STAGE", "PHASE", "ORDER", "BUNDLE", "HANDLES", "AVAILABILITY"});
        List<StageInfo> stages = runtime.stages();
        for (StageInfo s : stages) {
            String handles = s.handles().isEmpty() ? "-" : String.join(",", new TreeSet<>(s.handles()));
            rows.add(new String[] {s.name(), s.phase().name().toLowerCase(), Integer.toString(s.order()), s.bundle(),
                    handles, s.availability().toString()});
        }
        // Columns as wide as their widest cell, so a long bundle name or phase does not shift the rest.
        int[] width = new int[5];
        for (String[] r : rows) {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        String format = "%-" + width[0] + "s %-" + width[1] + "s %" + width[2] + "s  %-" + width[3] + "s %-"
                + width[4] + "s %s%n";
        for (String[] r : rows) {
            io.out().printf(format, (Object[]) r);
        }
        io.out().println(lsmSummary(stages));
        return 0;
    }

    /**
     * Which LSM stage confines the next launch: the one line an operator checks after swapping an
     * AppArmor or SELinux bundle in a running runtime.
     */
    static String lsmSummary(List<StageInfo> stages) {
        List<String> active = new ArrayList<>();
        List<String> inactive = new ArrayList<>();
        for (StageInfo s : stages) {
            if (s.phase() == Phase.LSM_LABEL) {
                if (s.availability().available()) {
                    active.add(s.name());
                } else {
                    inactive.add(s.name() + " " + s.availability());
                }
            }
        }
        if (active.isEmpty() && inactive.isEmpty()) {
            return "LSM: none installed (no apparmor or selinux stage; launches asking for one are refused)";
        }
        String line = active.isEmpty() ? "LSM: none active" : "LSM: " + String.join(", ", active) + " active";
        return inactive.isEmpty() ? line : line + "; " + String.join("; ", inactive);
    }
}
