package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.CordonException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cordon kill [-s SIGNAL] ID}. */
@Command(name = "kill", description = "Send a signal to a running container.", mixinStandardHelpOptions = true)
final class KillCommand implements Callable<Integer> {
    private static final String[] NAMES = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL",
        "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM"};
    private final ContainerRuntime runtime;
    private final CordonCommandLine.Output io;

    @Option(names = {"-s", "--signal"}, paramLabel = "SIGNAL", description = "Signal name or number (default KILL).")
    String signal = "KILL";

    @Parameters(paramLabel = "ID", description = "Container id or unique prefix.")
    String id;

    KillCommand(ContainerRuntime runtime, CordonCommandLine.Output io) {
        this.runtime = runtime;
        this.io = io;
    }

    @Override
    public Integer call() {
        runtime.kill(id, parseSignal(signal));
        io.out().println(id);
        return 0;
    }

    static int parseSignal(String s) {
        String n = s.toUpperCase().startsWith("SIG") ? s.substring(3).toUpperCase() : s.toUpperCase();
        if (n.matches("\\d+")) {
            int v = Integer.parseInt(n);
            if (v >= 1 && v <= 64) {
                return v;
            }
        }
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(n)) {
                return i;
            }
        }
        throw new CordonException("-s " + s + ": unknown signal (use a name like TERM or a number 1-64)");
    }
}
