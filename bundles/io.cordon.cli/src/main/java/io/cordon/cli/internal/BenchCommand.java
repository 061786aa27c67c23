package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import io.cordon.api.RunResult;
import io.cordon.api.Stdio;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cordon bench -n N -- CMD}: N launches through this already-running
 * runtime (the warm path: framework, stages and JIT are up), one line of
 * nanoseconds per launch. bench/launch.sh times runc, crun, bwrap and unshare the
 * same way and prints them side by side.
 */
@Command(name = "bench", description = "Time N launches through the warm runtime (for bench/launch.sh).",
        mixinStandardHelpOptions = true)
final class BenchCommand implements Callable<Integer> {
    private final ContainerRuntime runtime;
    private final CordonCommandLine.Output io;

    @Option(names = "-n", description = "Number of timed launches (default 50).")
    int count = 50;

    @Option(names = "--warmup", description = "Untimed launches first (default 10).")
    int warmup = 10;

    @Option(names = {"--network", "--net"}, paramLabel = "MODE",
            description = "As cordon run --network (bench/launch.sh uses host, to match the other tools' namespaces).")
    String network;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "Command to launch (e.g. true).")
    List<String> command = new ArrayList<>();

    BenchCommand(ContainerRuntime runtime, CordonCommandLine.Output io) {
        this.runtime = runtime;
        this.io = io;
    }

    @Override
    public Integer call() {
        if (count < 1 || warmup < 0) {
            throw new io.cordon.api.CordonException("bench: -n must be at least 1 and --warmup at least 0");
        }
        Stdio quiet = new Stdio(Stdio.Redirect.NULL, Stdio.Redirect.NULL, Stdio.Redirect.INHERIT);
        long[] ns = new long[count];
        for (int i = -warmup; i < count; i++) {
            ContainerSpec.Builder b = ContainerSpec.builder().command(command);
            if (network != null) {
                b.setting("network", network);
            }
            ContainerSpec spec = b.build();
            long t0 = System.nanoTime();
            RunResult r = runtime.run(spec, quiet);
            long t = System.nanoTime() - t0;
            if (r.exitCode() != 0) {
                io.err().println("cordon bench: launch failed with " + r.exitCode()
                        + (r.error() == null ? "" : ": " + r.error()));
                return r.exitCode();
            }
            if (i >= 0) {
                ns[i] = t;
                io.out().println(t);
            }
        }
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        io.err().printf("cordon bench: %d launches, median %.2f ms%n", count, sorted[count / 2] / 1e6);
        return 0;
    }
}
