package io.cordon.cli.internal;

import io.cordon.api.CapabilityRequest;
import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.RunResult;
import io.cordon.api.SeccompProfile;
import io.cordon.api.StageInfo;
import io.cordon.cli.ClientContext;
import io.cordon.api.Stdio;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
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
    /** Set when the command came from a client of the resident runtime: its launcher clones the container. */
    private final ClientContext client;

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

    @Option(names = {"-d", "--detach"}, description = "In cordon shell: start the container in the background and"
            + " print its id (its stdio is /dev/null; see cordon:ps, cordon:kill).")
    boolean detach;

    @Option(names = "--rm", description = "Accepted for Docker compatibility: cordon always removes a run container when it exits.")
    boolean rm;

    @Option(names = "--dry-run", description = "Print the plan that would run, each op with its phase and stage; start nothing.")
    boolean dryRun;

    @Option(names = "--opt", paramLabel = "KEY=VALUE", description = "A requirement for a vendor stage; refused if no stage handles it.")
    List<String> opts = new ArrayList<>();

    @Option(names = "--memory", paramLabel = "BYTES", description = "Memory limit (e.g. 512m).")
    String memory;
    @Option(names = "--memory-reservation", paramLabel = "BYTES", description = "Memory soft limit.")
    String memoryReservation;
    @Option(names = "--memory-swap", paramLabel = "BYTES", description = "Memory plus swap limit (-1: unlimited).")
    String memorySwap;
    @Option(names = "--cpus", paramLabel = "N", description = "Number of CPUs (e.g. 1.5).")
    String cpus;
    @Option(names = {"--cpu-shares", "-c"}, paramLabel = "N", description = "Relative CPU weight.")
    String cpuShares;
    @Option(names = "--cpuset-cpus", paramLabel = "LIST", description = "CPUs the container may use (e.g. 0-1).")
    String cpusetCpus;
    @Option(names = "--pids-limit", paramLabel = "N", description = "Maximum number of processes.")
    String pidsLimit;
    @Option(names = "--blkio-weight", paramLabel = "N", description = "Block I/O weight (10-1000).")
    String blkioWeight;
    @Option(names = "--device-read-bps", paramLabel = "DEV:RATE", description = "Read rate limit for a device.")
    List<String> deviceReadBps = new ArrayList<>();
    @Option(names = "--device-write-bps", paramLabel = "DEV:RATE", description = "Write rate limit for a device.")
    List<String> deviceWriteBps = new ArrayList<>();
    @Option(names = "--device", paramLabel = "HOST[:CONTAINER[:PERMS]]", description = "Give the container a host device.")
    List<String> devices = new ArrayList<>();
    @Option(names = "--cgroup-parent", paramLabel = "PATH", description = "Parent cgroup (default cordon).")
    String cgroupParent;
    @Option(names = "--cap-add", paramLabel = "CAP", description = "Add a capability (or ALL).")
    List<String> capAdd = new ArrayList<>();
    @Option(names = "--cap-drop", paramLabel = "CAP", description = "Drop a capability (or ALL).")
    List<String> capDrop = new ArrayList<>();
    @Option(names = "--privileged", description = "Keep every capability (the dry run warns about it).")
    boolean privileged;
    @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "uid[:gid] or name[:group] inside.")
    String user;
    @Option(names = "--group-add", paramLabel = "GROUP", description = "Additional group.")
    List<String> groupAdd = new ArrayList<>();
    @Option(names = "--security-opt", paramLabel = "OPT",
            description = "seccomp=PATH|unconfined, apparmor=PROFILE|unconfined, label=KEY:VALUE|disable,"
                    + " no-new-privileges[=true|false]; of each the last one given wins.")
    List<String> securityOpts = new ArrayList<>();
    @Option(names = "--ulimit", paramLabel = "NAME=SOFT[:HARD]", description = "Resource limit (e.g. nofile=1024:2048).")
    List<String> ulimits = new ArrayList<>();
    @Option(names = {"--network", "--net"}, paramLabel = "MODE", description = "none, host, bridge, ns:PATH, container:ID or a CNI network.")
    String network;
    @Option(names = {"-p", "--publish"}, paramLabel = "HOST:CONTAINER[/PROTO]", description = "Publish a port.")
    List<String> publish = new ArrayList<>();

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "The command and its arguments.")
    List<String> command = new ArrayList<>();

    RunCommand(ContainerRuntime runtime, CordonCommandLine.Output io, boolean forwardSignals, boolean dryRun,
            ClientContext client) {
        this.runtime = runtime;
        this.client = client;
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
                io.out().printf("  %-10s %-12s %4d  %s%n", s.name(), s.phase().name().toLowerCase(), s.order(),
                        s.availability());
            }
            if (!plan.unshared().keySet().containsAll(EnumSet.of(Namespace.PID, Namespace.MOUNT))) {
                io.out().println("WARNING: no new pid or mount namespace: the container will see the host's"
                        + " processes or files");
            }
            if (plan.entries().stream().noneMatch(e -> e.op() instanceof Op.Seccomp)) {
                boolean unconfined = spec.seccomp().kind() == SeccompProfile.Kind.UNCONFINED;
                io.out().println("WARNING: no seccomp filter: the container may make any system call ("
                        + (unconfined ? spec.seccomp().source().orElse("seccomp unconfined")
                                : "no seccomp stage is installed") + ")");
            }
            if (spec.capabilities().privileged()) {
                io.out().println("WARNING: --privileged: the container keeps every capability cordon holds;"
                        + " root in the container is root on the host");
            } else if (plan.entries().stream().noneMatch(e -> e.op() instanceof Op.CapSet)) {
                io.out().println("WARNING: no capabilities stage: root in the container keeps every capability"
                        + " of root on the host");
            }
            io.out().print(plan.render());
            return 0;
        }
        if (detach) {
            return detached(spec);
        }
        try (SignalForwarding forwarding = forwardSignals ? SignalForwarding.install(runtime, spec.id()) : null) {
            Stdio stdio = interactive ? Stdio.inherit()
                    : new Stdio(Stdio.Redirect.NULL, Stdio.Redirect.INHERIT, Stdio.Redirect.INHERIT);
            RunResult r = runtime.run(spec, client == null ? stdio : stdio.through(client.launcher()));
            if (r.error() != null) {
                io.err().println("cordon: " + r.error());
            }
            r.notes().forEach(n -> io.err().println("cordon: " + n));
            return r.exitCode();
        }
    }

    /**
     * Launch on a thread of the runtime and return once the container runs (print its id) or the launch
     * failed (print why), so a refusal is still seen where it was asked for. Only the long-lived shell
     * runtime can do this: a one-shot CLI process stops its runtime, and so its containers, when it exits.
     */
    private int detached(ContainerSpec spec) {
        if (forwardSignals) {
            throw new CordonException("-d: a detached container needs a runtime that stays up; use it in cordon shell");
        }
        if (interactive) {
            throw new CordonException("-d and -i exclude each other: a detached container has no stdin");
        }
        java.util.concurrent.CompletableFuture<RunResult> result = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(runtime.run(spec, new Stdio(Stdio.Redirect.NULL, Stdio.Redirect.NULL,
                        Stdio.Redirect.NULL)));
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        }, "cordon-detached-" + spec.id().substring(0, 12));
        t.setDaemon(true);
        t.start();
        while (true) {
            if (result.isDone()) {
                RunResult r = result.join();
                if (r.error() != null) {
                    io.err().println("cordon: " + r.error());
                }
                r.notes().forEach(n -> io.err().println("cordon: " + n));
                return r.exitCode();
            }
            if (runtime.containers().stream().anyMatch(c -> c.id().equals(spec.id()))) {
                io.out().println(spec.id());
                return 0;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 125;
            }
        }
    }

    ContainerSpec spec() {
        ContainerSpec.Builder b = ContainerSpec.builder().command(command).workdir(workdir).hostname(hostname)
                .readOnly(readOnly).interactive(interactive);
        if (rootfs != null) {
            b.rootfs((client == null ? rootfs.toAbsolutePath() : client.cwd().resolve(rootfs)).normalize());
        }
        env.forEach(b::env);
        for (String v : volumes) {
            b.volume(parseVolume(v));
        }
        settings(b);
        b.securityOpts(securityOpts);
        b.capabilities(CapabilityRequest.parse(privileged, capAdd, capDrop));
        for (String o : opts) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new CordonException("--opt " + o + ": expected KEY=VALUE");
            }
            b.option(o.substring(0, eq), o.substring(eq + 1));
        }
        return b.build();
    }

    /**
     * The other isolation settings go to the spec as given; the stage that handles each one parses and checks
     * it. The security options and capabilities are typed fields the spec decides (see {@link #spec()}).
     */
    private void settings(ContainerSpec.Builder b) {
        one(b, "memory", memory);
        one(b, "memory-reservation", memoryReservation);
        one(b, "memory-swap", memorySwap);
        one(b, "cpus", cpus);
        one(b, "cpu-shares", cpuShares);
        one(b, "cpuset-cpus", cpusetCpus);
        one(b, "pids-limit", pidsLimit);
        one(b, "blkio-weight", blkioWeight);
        one(b, "cgroup-parent", cgroupParent);
        one(b, "user", user);
        one(b, "network", network);
        many(b, "device-read-bps", deviceReadBps);
        many(b, "device-write-bps", deviceWriteBps);
        many(b, "device", devices);
        many(b, "group-add", groupAdd);
        many(b, "ulimit", ulimits);
        many(b, "publish", publish);
    }

    private static void one(ContainerSpec.Builder b, String key, String value) {
        if (value != null) {
            b.setting(key, value);
        }
    }

    private static void many(ContainerSpec.Builder b, String key, List<String> values) {
        values.forEach(v -> b.setting(key, v));
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
