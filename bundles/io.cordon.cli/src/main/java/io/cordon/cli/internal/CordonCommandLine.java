package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.cli.ClientContext;
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
        return execute(args, out, err, false, null);
    }

    @Override
    public int execute(String[] args, PrintStream out, PrintStream err, ClientContext client) {
        return execute(args, out, err, false, client);
    }

    /**
     * {@code forwardSignals}: this process is the user's foreground cordon, so SIGINT/SIGTERM go to the container.
     * {@code client}: the command came over the resident runtime's socket (else null).
     */
    public int execute(String[] args, PrintStream out, PrintStream err, boolean forwardSignals, ClientContext client) {
        Output io = new Output(out, err);
        CommandLine cl = new CommandLine(new Root());
        cl.addSubcommand("run", new RunCommand(runtime, io, forwardSignals, false, client));
        cl.addSubcommand("explain", new RunCommand(runtime, io, false, true, client));
        describeRunAndExplain(cl, forwardSignals);
        cl.addSubcommand("stages", new StagesCommand(runtime, io));
        cl.addSubcommand("ps", new PsCommand(runtime, io));
        cl.addSubcommand("kill", new KillCommand(runtime, io));
        cl.addSubcommand("stats", new StatsCommand(runtime, io));
        cl.addSubcommand("inspect", new InspectCommand(runtime, io));
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

    /**
     * {@code run} and {@code explain} share one option set; their help must each say what that command does
     * and list only what works there. {@code -t} is refused until terminals exist, and {@code -d} needs a
     * runtime that stays up (the shell), so they are hidden where they would be refused; given anyway they
     * still get their one-line refusal. Explain starts nothing, so the options about a started container go.
     */
    private static void describeRunAndExplain(CommandLine cl, boolean oneShotProcess) {
        CommandLine.Model.CommandSpec run = cl.getSubcommands().get("run").getCommandSpec();
        hide(run, "--tty");
        if (oneShotProcess) {
            hide(run, "--detach");
        }
        CommandLine.Model.CommandSpec explain = cl.getSubcommands().get("explain").getCommandSpec();
        explain.name("explain");
        explain.usageMessage().description("Show the plan a run with these flags would execute: the stages, each"
                + " op with its phase and stage, and warnings about what is not isolated. Nothing is started.");
        for (String name : new String[] {"--tty", "--detach", "--interactive", "--rm", "--dry-run"}) {
            hide(explain, name);
        }
    }

    private static void hide(CommandLine.Model.CommandSpec spec, String name) {
        CommandLine.Model.OptionSpec option = spec.findOption(name);
        spec.remove(option);
        spec.addOption(CommandLine.Model.OptionSpec.builder(option).hidden(true).build());
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage();
        return (m == null ? t.toString() : m).replace('\n', ' ');
    }

    /** The streams of the caller: the process's for the CLI, the session's for Gogo. */
    record Output(PrintStream out, PrintStream err) {
    }
}
