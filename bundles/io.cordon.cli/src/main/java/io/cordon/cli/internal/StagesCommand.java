package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.StageInfo;
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
        io.out().printf("%-10s %-11s %5s  %-24s %-28s %s%n", "STAGE", "PHASE", "ORDER", "BUNDLE", "HANDLES",
                "AVAILABILITY");
        for (StageInfo s : runtime.stages()) {
            String handles = s.handles().isEmpty() ? "-" : String.join(",", new TreeSet<>(s.handles()));
            io.out().printf("%-10s %-11s %5d  %-24s %-28s %s%n", s.name(), s.phase().name().toLowerCase(),
                    s.order(), s.bundle(), handles, s.availability());
        }
        return 0;
    }
}
