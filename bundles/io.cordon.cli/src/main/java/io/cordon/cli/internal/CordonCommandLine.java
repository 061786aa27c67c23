package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.cli.CommandLineTool;
import java.io.PrintStream;
import java.io.PrintWriter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The cordon command line, parsed by picocli, over the runtime service. */
@Component(service = CommandLineTool.class)
public class CordonCommandLine implements CommandLineTool {
    /** Docker's code for "the runtime itself failed", also used for usage errors. */
    static final int EXIT_RUNTIME = 125;

    private final ContainerRuntime runtime;

    @Activate
    public CordonCommandLine(@Reference ContainerRuntime runtime) {
        this.runtime = runtime;
    }

    @Command(name = "cordon", mixinStandardHelpOptions = true, version = "cordon 0.1.0",
            description = "A Linux container runtime whose isolation features are OSGi bundles.",
            subcommandsRepeatable = false)
    static final class Root implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "no command given (try cordon run -- sh)");
        }
    }

    @Override
    public int execute(String[] args, PrintStream out, PrintStream err) {
        return execute(args, out, err, false);
    }

    /** {@code forwardSignals}: this process is the user's foreground cordon, so SIGINT/SIGTERM go to the container. */
    public int execute(String[] args, PrintStream out, PrintStream err, boolean forwardSignals) {
        Output io = new Output(out, err);
        CommandLine cl = new CommandLine(new Root());
        cl.addSubcommand("run", new RunCommand(runtime, io, forwardSignals, false));
        cl.addSubcommand("explain", new RunCommand(runtime, io, false, true));
        cl.addSubcommand("stages", new StagesCommand(runtime, io));
        cl.addSubcommand("ps", new PsCommand(runtime, io));
        cl.addSubcommand("kill", new KillCommand(runtime, io));
        cl.addSubcommand("stats", new StatsCommand(runtime, io));
        cl.addSubcommand("bench", new BenchCommand(runtime, io));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandName();
            err.println("cordon" + ("cordon".equals(cmd) ? "" : " " + cmd) + ": " + ex.getMessage()
                    + " (see cordon " + ("cordon".equals(cmd) ? "" : cmd + " ") + "--help)");
            return EXIT_RUNTIME;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("cordon: " + oneLine(ex));
            return ex instanceof io.cordon.api.CordonException ce ? ce.exitCode() : EXIT_RUNTIME;
        });
        return cl.execute(args);
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage();
        return (m == null ? t.toString() : m).replace('\n', ' ');
    }

    /** The streams of the caller: the process's for the CLI, the session's for Gogo. */
    record Output(PrintStream out, PrintStream err) {
    }
}
