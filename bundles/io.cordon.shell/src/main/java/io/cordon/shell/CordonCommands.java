package io.cordon.shell;

import io.cordon.cli.CommandLineTool;
import org.apache.felix.service.command.CommandSession;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands in scope {@code cordon}. Thin on purpose: each one hands its
 * arguments to the same command-line tool the POSIX CLI uses and prints to the
 * session's streams (Gogo redirects System.out/err per session).
 */
@Component(service = CordonCommands.class, property = {
    "osgi.command.scope=cordon",
    "osgi.command.function=run",
    "osgi.command.function=explain",
    "osgi.command.function=stages",
    "osgi.command.function=ps",
    "osgi.command.function=kill",
    "osgi.command.function=stats",
    "osgi.command.function=inspect"
})
public class CordonCommands {
    private final CommandLineTool tool;

    @Activate
    public CordonCommands(@Reference CommandLineTool tool) {
        this.tool = tool;
    }

    /**
     * cordon:run [options] [--] CMD… (same flags as cordon run). The exit status (as {@code cordon run}'s:
     * the command's, 128+N for a signal, 125 for a refused launch) is left in the session variable
     * {@code exitcode} ({@code echo $exitcode}), since Gogo would print a returned value after every run.
     */
    public void run(CommandSession session, String... args) {
        session.put("exitcode", call("run", args));
    }

    /** cordon:explain [options] [--] CMD…: the plan a run would execute, op by op. */
    public void explain(String... args) {
        call("explain", args);
    }

    /** cordon:stages: installed stages with phase, order and availability. */
    public void stages(String... args) {
        call("stages", args);
    }

    /** cordon:ps: running containers. */
    public void ps(String... args) {
        call("ps", args);
    }

    /** cordon:stats ID: live figures of a running container. */
    public void stats(String... args) {
        call("stats", args);
    }

    /**
     * cordon:inspect --kernel ID | --pid PID: what the kernel enforces for a container or any process. Felix
     * has an {@code inspect} of its own (capabilities and requirements of bundles): type {@code cordon:inspect}.
     */
    public void inspect(String... args) {
        call("inspect", args);
    }

    /** cordon:kill [-s SIGNAL] ID. */
    public void kill(String... args) {
        call("kill", args);
    }

    /** Gogo prints a command's return value, so the exit code is not returned; errors are printed by the tool. */
    private int call(String command, String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        return tool.execute(all, System.out, System.err);
    }
}
