package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.RunResult;
import io.cordon.api.StageInfo;
import io.cordon.api.Stdio;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cordon run [options] [--] CMD…}, Docker's flags; {@code cordon explain} is the same with --dry-run. */
@Command(name = "run", description = "Run a command in a new container.", mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true)
final class RunCommand implements Callable<Integer> {
    private final ContainerRuntime runtime;
    private final CordonCommandLine.Output io;
    private final boolean forwardSignals;

    @Option(names = "--rootfs", paramLabel = "DIR", description = "Run in this prepared root instead of the default root.")
    Path rootfs;

    @Option(names = "--hostname", paramLabel = "NAME", description = "Container hostname (default: the short id).")
    String hostname;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the container.")
    String workdir = "/";

    @Option(names = {"-v", "--volume"}, paramLabel = "SRC:DST[:ro]", description = "Bind-mount a host path.")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--read-only", description = "Mount the container's root read-only.")
    boolean readOnly;

    @Option(names = {"-i", "--interactive"}, description = "Keep stdin attached (otherwise it is /dev/null).")
    boolean interactive;

    @Option(names = {"-t", "--tty"}, description = "Allocate a terminal.")
    boolean tty;

    @Option(names = "--rm", description = "Accepted for Docker compatibility: cordon always removes a run container when it exits.")
    boolean rm;

    @Option(names = "--dry-run", description = "Print the plan that would run, each op with its phase and stage; start nothing.")
    boolean dryRun;

    @Option(names = "--opt", paramLabel = "KEY=VALUE", description = "A requirement for a vendor stage; refused if no stage handles it.")
    List<String> opts = new ArrayList<>();

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "The command and its arguments.")
    List<String> command = new ArrayList<>();

    RunCommand(ContainerRuntime runtime, CordonCommandLine.Output io, boolean forwardSignals, boolean dryRun) {
        this.runtime = runtime;
        this.io = io;
        this.forwardSignals = forwardSignals;
        this.dryRun = dryRun;
    }

    @Override
    public Integer call() {
        if (tty) {
            throw new CordonException("-t: terminals are not supported yet; use -i to pass stdin through");
        }
        ContainerSpec spec = spec();
        if (dryRun) {
            ChildPlan plan = runtime.explain(spec);
            io.out().println("dry run: container " + spec.id().substring(0, 12) + ", nothing was started");
            io.out().println("stages:");
            for (StageInfo s : runtime.stages()) {
                io.out().printf("  %-10s %-11s %4d  %s%n", s.name(), s.phase().name().toLowerCase(), s.order(),
                        s.availability());
            }
            if (!plan.unshared().keySet().containsAll(EnumSet.of(Namespace.PID, Namespace.MOUNT))) {
                io.out().println("WARNING: no new pid or mount namespace: the container will see the host's"
                        + " processes or files");
            }
            io.out().print(plan.render());
            return 0;
        }
        try (SignalForwarding forwarding = forwardSignals ? SignalForwarding.install(runtime, spec.id()) : null) {
            RunResult r = runtime.run(spec, interactive ? Stdio.inherit()
                    : new Stdio(Stdio.Redirect.NULL, Stdio.Redirect.INHERIT, Stdio.Redirect.INHERIT));
            if (r.error() != null) {
                io.err().println("cordon: " + r.error());
            }
            return r.exitCode();
        }
    }

    ContainerSpec spec() {
        ContainerSpec.Builder b = ContainerSpec.builder().command(command).workdir(workdir).hostname(hostname)
                .readOnly(readOnly).interactive(interactive);
        if (rootfs != null) {
            b.rootfs(rootfs.toAbsolutePath().normalize());
        }
        env.forEach(b::env);
        for (String v : volumes) {
            b.volume(parseVolume(v));
        }
        for (String o : opts) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new CordonException("--opt " + o + ": expected KEY=VALUE");
            }
            b.option(o.substring(0, eq), o.substring(eq + 1));
        }
        return b.build();
    }

    static ContainerSpec.Volume parseVolume(String v) {
        String[] parts = v.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()
                || (parts.length == 3 && !parts[2].equals("ro") && !parts[2].equals("rw"))) {
            throw new CordonException("-v " + v + ": expected HOST_PATH:CONTAINER_PATH[:ro|rw]");
        }
        Path src = Path.of(parts[0]);
        if (!src.isAbsolute()) {
            throw new CordonException("-v " + v + ": the host path must be absolute");
        }
        return new ContainerSpec.Volume(src, parts[1], parts.length == 3 && parts[2].equals("ro"));
    }
}
