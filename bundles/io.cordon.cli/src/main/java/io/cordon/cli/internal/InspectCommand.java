package io.cordon.cli.internal;

import io.cordon.api.Capability;
import io.cordon.api.ContainerRuntime;
import io.cordon.api.CordonException;
import io.cordon.api.ProcessIsolation;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cordon inspect --kernel ID} / {@code --pid PID}: what makes a process a container, as the kernel
 * sees it now (namespaces beside the host's, cgroups and their limits, capabilities, no_new_privs, seccomp,
 * the LSM label), for a container or for any host process.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "Show what the kernel enforces for a container or any host process: its namespaces beside"
                + " the host's, its cgroups with their limits, its capability sets, no_new_privs, seccomp and"
                + " its LSM label.")
final class InspectCommand implements Callable<Integer> {
    private final ContainerRuntime runtime;
    private final CordonCommandLine.Output io;

    @ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--kernel", paramLabel = "ID", required = true,
                description = "A running container (id or unique prefix).")
        String container;

        @Option(names = "--pid", paramLabel = "PID", required = true, description = "Any host process.")
        Integer pid;
    }

    InspectCommand(ContainerRuntime runtime, CordonCommandLine.Output io) {
        this.runtime = runtime;
        this.io = io;
    }

    @Override
    public Integer call() {
        int pid = target.pid != null ? target.pid : runtime.pidOf(target.container);
        if (pid <= 0) {
            throw new CordonException("--pid " + pid + ": a process id is a positive number");
        }
        io.out().print(render(runtime.kernelView(pid)));
        return 0;
    }

    static String render(ProcessIsolation p) {
        StringBuilder b = new StringBuilder();
        b.append("pid ").append(p.pid()).append('\n');
        b.append("namespaces (inode of this process, of ").append(p.namespaceReference()).append("):\n");
        for (ProcessIsolation.NamespaceLink n : p.namespaces()) {
            b.append(String.format("  %-18s %-6s %d  %d%n", n.type(), n.own() ? "own" : "host", n.inode(),
                    n.hostInode()));
        }
        b.append("cgroups:\n");
        for (ProcessIsolation.CgroupMembership c : p.cgroups()) {
            b.append(String.format("  %-18s %s%n", c.hierarchy(), c.path()));
            for (Map.Entry<String, String> limit : c.limits().entrySet()) {
                b.append(String.format("  %-18s   %s = %s%n", "", limit.getKey(), limit.getValue()));
            }
        }
        b.append("capabilities:\n");
        for (Map.Entry<String, Long> set : p.capabilities().entrySet()) {
            b.append(String.format("  %-18s %016x  %s%n", set.getKey(), set.getValue(),
                    Capability.namesOf(set.getValue())));
        }
        b.append(String.format("%-20s %s%n", "no_new_privs", p.noNewPrivs() ? "1" : "0"));
        b.append(String.format("%-20s %s%n", "seccomp", switch (p.seccomp()) {
            case DISABLED -> "disabled";
            case STRICT -> "strict";
            case FILTER -> "filter (" + p.seccompFilters() + (p.seccompFilters() == 1 ? " filter)" : " filters)");
        }));
        b.append(String.format("%-20s %s%n", "lsm label",
                p.lsmLabel().orElse("none (no LSM labels processes on this host)")));
        return b.toString();
    }
}
