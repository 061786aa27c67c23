package io.cordon.cli.internal;

import io.cordon.api.ContainerInfo;
import io.cordon.api.ContainerRuntime;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code cordon ps}: the containers this runtime is running. */
@Command(name = "ps", description = "List running containers.", mixinStandardHelpOptions = true)
final class PsCommand implements Callable<Integer> {
    private final ContainerRuntime runtime;
    private final CordonCommandLine.Output io;

    PsCommand(ContainerRuntime runtime, CordonCommandLine.Output io) {
        this.runtime = runtime;
        this.io = io;
    }

    @Override
    public Integer call() {
        io.out().printf("%-12s %8s  %-24s %s%n", "CONTAINER", "PID", "CREATED", "COMMAND");
        for (ContainerInfo c : runtime.containers()) {
            io.out().printf("%-12s %8d  %-24s %s%n", c.id().substring(0, 12), c.pid(), c.created(),
                    String.join(" ", c.command()));
        }
        return 0;
    }
}
