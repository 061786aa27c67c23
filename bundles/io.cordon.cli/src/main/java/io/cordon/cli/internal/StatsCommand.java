package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cordon stats ID}: each stage's live figures for a running container. */
@Command(name = "stats", description = "Show a running container's resource figures.", mixinStandardHelpOptions = true)
final class StatsCommand implements Callable<Integer> {
    private final ContainerRuntime runtime;
    private final CordonCommandLine.Output io;

    @Parameters(paramLabel = "ID", description = "Container id or unique prefix.")
    String id;

    StatsCommand(ContainerRuntime runtime, CordonCommandLine.Output io) {
        this.runtime = runtime;
        this.io = io;
    }

    @Override
    public Integer call() {
        for (Map.Entry<String, Map<String, String>> stage : runtime.stats(id).entrySet()) {
            for (Map.Entry<String, String> figure : stage.getValue().entrySet()) {
                io.out().printf("%-10s %-28s %s%n", stage.getKey(), figure.getKey(), figure.getValue());
            }
        }
        return 0;
    }
}
