package io.cordon.orchestrator;

import io.cordon.api.ChildProcess;
import io.cordon.api.ContainerInfo;
import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.IsolationStage;
import io.cordon.api.RunResult;
import io.cordon.api.StageException;
import io.cordon.api.StageInfo;
import io.cordon.api.StageRun;
import io.cordon.api.Stdio;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.PlanEntry;
import io.cordon.api.plan.Phase;
import io.cordon.linux.LauncherProcess;
import io.cordon.linux.LauncherSpawner;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Runs the launch pipeline. It tracks every {@link IsolationStage} service
 * (dynamic, greedy, multiple) and keeps them as one sorted, immutable list in a
 * volatile field that DS replaces on each change; a launch reads that field once,
 * so a stage that leaves mid-launch does not disturb it and the next launch sees
 * the new set.
 */
@Component(service = ContainerRuntime.class)
public class Orchestrator implements ContainerRuntime {
    static final String ORCHESTRATOR = "orchestrator";
    private static final Logger LOG = Logger.getLogger(Orchestrator.class.getName());

    private volatile List<RegisteredStage> stages = List.of();
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    /** Launches between their start and their last release; guarded by itself. */
    private final int[] inFlight = {0};
    private boolean stopping;
    private final LauncherSpawner launcher;
    private final StateStore state;

    private record Running(ContainerInfo info, LauncherProcess child, Pipeline pipeline) {
    }

    @org.osgi.service.component.annotations.Activate
    public Orchestrator(@Reference LauncherSpawner launcher) {
        this(launcher, Path.of(System.getProperty("cordon.root", "/run/cordon")));
    }

    public Orchestrator(LauncherSpawner launcher, Path stateRoot) {
        this.launcher = launcher;
        this.state = new StateStore(stateRoot);
    }

    @Reference(service = IsolationStage.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    synchronized void addStage(ServiceReference<IsolationStage> ref, IsolationStage stage) {
        Object order = ref.getProperty(IsolationStage.ORDER);
        int o = order instanceof Number n ? n.intValue() : order != null ? Integer.parseInt(order.toString()) : 0;
        String bundle = ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName();
        long id = (Long) ref.getProperty(Constants.SERVICE_ID);
        addStage(new RegisteredStage(stage, o, bundle, id));
    }

    void removeStage(ServiceReference<IsolationStage> ref, IsolationStage stage) {
        removeStage((Long) ref.getProperty(Constants.SERVICE_ID));
    }

    synchronized void removeStage(long id) {
        List<RegisteredStage> next = new ArrayList<>(stages);
        next.removeIf(s -> s.serviceId() == id);
        stages = List.copyOf(next);
    }

    /** Also used directly by unit tests that run the pipeline without a framework. */
    synchronized void addStage(RegisteredStage stage) {
        List<RegisteredStage> next = new ArrayList<>(stages);
        next.add(stage);
        next.sort(RegisteredStage.PIPELINE_ORDER);
        stages = List.copyOf(next);
    }

    @Override
    public List<StageInfo> stages() {
        List<StageInfo> out = new ArrayList<>();
        for (RegisteredStage s : stages) {
            out.add(new StageInfo(s.stage().name(), s.stage().phase(), s.order(), StageSelection.handles(s),
                    StageSelection.probe(s), s.bundle()));
        }
        return out;
    }

    @Override
    public List<ContainerInfo> containers() {
        List<ContainerInfo> out = new ArrayList<>();
        running.values().forEach(r -> out.add(r.info()));
        out.sort((a, b) -> a.created().compareTo(b.created()));
        return out;
    }

    @Override
    public void kill(String id, int signal) {
        find(id).child().signal(signal);
    }

    @Override
    public int pidOf(String id) {
        return find(id).info().pid();
    }

    @Override
    public Map<String, Map<String, String>> stats(String id) {
        return find(id).pipeline().stats();
    }

    private Running find(String id) {
        List<Running> matches = running.entrySet().stream().filter(e -> e.getKey().startsWith(id))
                .map(Map.Entry::getValue).toList();
        if (matches.isEmpty()) {
            throw new CordonException("no running container with id " + id + " (see cordon ps)");
        }
        if (matches.size() > 1) {
            throw new CordonException("id prefix " + id + " matches " + matches.size() + " containers: give more digits");
        }
        return matches.get(0);
    }

    /**
     * A running container other than {@code self}: one this runtime runs, or one another cordon process
     * runs, found through its state directory. A state whose process is gone, or whose pid now belongs to
     * a process that is not a cordon launcher's child (pid reuse after a crash), does not count.
     */
    ContainerInfo runningContainer(String self, String idOrPrefix) {
        if (idOrPrefix.isEmpty() || !idOrPrefix.matches("[0-9a-f]{1,64}")) {
            throw new CordonException("'" + idOrPrefix + "' is not a container id (hex digits, see cordon ps)");
        }
        Map<String, ContainerInfo> found = new java.util.TreeMap<>();
        running.forEach((id, r) -> {
            if (id.startsWith(idOrPrefix) && !id.equals(self)) {
                found.put(id, r.info());
            }
        });
        for (String id : state.ids()) {
            if (!id.startsWith(idOrPrefix) || id.equals(self) || found.containsKey(id)) {
                continue;
            }
            state.read(id).filter(s -> s.status().equals("running") && StateStore.isLaunchedChild(s.pid()))
                    .ifPresent(s -> found.put(id, new ContainerInfo(id, s.pid(), s.command(),
                            Instant.parse(s.created()), s.stages())));
        }
        if (found.isEmpty()) {
            throw new CordonException("no running container with id " + idOrPrefix);
        }
        if (found.size() > 1) {
            throw new CordonException("id prefix " + idOrPrefix + " matches " + found.size()
                    + " containers: give more digits");
        }
        return found.values().iterator().next();
    }

    @Override
    public io.cordon.api.ProcessIsolation kernelView(int pid) {
        return io.cordon.linux.ProcessIsolationReader.of(pid);
    }

    @Override
    public ChildPlan explain(ContainerSpec spec) {
        RuntimeStageContext launch = new RuntimeStageContext(spec.id(), spec, state.directoryOf(spec.id()), true, this::runningContainer);
        Pipeline p = new Pipeline(launch, StageSelection.select(stages, spec));
        try {
            p.open();
            p.prepare();
            return p.contribute();
        } finally {
            p.release();
        }
    }

    @Override
    public RunResult run(ContainerSpec spec, Stdio stdio) {
        synchronized (inFlight) {
            if (stopping) {
                return new RunResult(spec.id(), 125, 0, "the runtime is shutting down; launch refused");
            }
            inFlight[0]++;
        }
        try {
            return launch(spec, stdio);
        } finally {
            synchronized (inFlight) {
                inFlight[0]--;
                inFlight.notifyAll();
            }
        }
    }

    /**
     * When the framework stops (shell exit, bundle stop) with containers still
     * running, kill them and wait until their launches have released everything
     * (cgroups, network, state), so nothing of theirs outlives the runtime.
     */
    @org.osgi.service.component.annotations.Deactivate
    void deactivate() {
        synchronized (inFlight) {
            stopping = true;
        }
        running.values().forEach(r -> r.child().signal(9));
        long deadline = System.currentTimeMillis() + 15_000;
        synchronized (inFlight) {
            while (inFlight[0] > 0 && System.currentTimeMillis() < deadline) {
                try {
                    inFlight.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                running.values().forEach(r -> r.child().signal(9));
            }
        }
    }

    private RunResult launch(ContainerSpec spec, Stdio stdio) {
        RuntimeStageContext launch = new RuntimeStageContext(spec.id(), spec, state.directoryOf(spec.id()), false, this::runningContainer);
        Pipeline p;
        try {
            p = new Pipeline(launch, StageSelection.select(stages, spec));
            p.open();
        } catch (CordonException e) {
            return new RunResult(spec.id(), e.exitCode(), 0, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "launch " + spec.id() + " failed before prepare", e);
            return new RunResult(spec.id(), 125, 0, "internal error: " + e);
        }
        LauncherProcess child = null;
        boolean stateCreated = false;
        try {
            state.create(spec.id());
            stateCreated = true;
            p.prepare();
            ChildPlan plan = p.contribute();
            child = launcher.spawn(plan, stdio);
            ContainerInfo info = new ContainerInfo(spec.id(), child.pid(), spec.command(), Instant.now(),
                    p.stageNames());
            running.put(spec.id(), new Running(info, child, p));
            state.write(new StateStore.State("1.0.2", spec.id(), "created", child.pid(), "",
                    info.created().toString(), spec.command(), p.stageNames()));
            p.attach(child);
            child.go();
            LauncherProcess.ExecOutcome exec = child.awaitExec();
            if (!exec.ok()) {
                LauncherProcess.ExitStatus exit = child.awaitExit();
                RunResult failed = failedExec(spec, plan, exec, exit);
                // A refused exec can be a stage's doing (an LSM domain transition the policy forbids, a
                // seccomp profile without execve), so the stages get to explain it as they do an exit.
                return new RunResult(failed.containerId(), failed.exitCode(), failed.signal(), failed.error(),
                        p.explainExit(new LauncherProcess.ExitStatus(failed.exitCode(), 0)));
            }
            state.write(new StateStore.State("1.0.2", spec.id(), "running", child.pid(), "",
                    info.created().toString(), spec.command(), p.stageNames()));
            LauncherProcess.ExitStatus exit = child.awaitExit();
            return new RunResult(spec.id(), exit.code(), exit.signal(), null, p.explainExit(exit));
        } catch (CordonException e) {
            return new RunResult(spec.id(), e.exitCode(), 0, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "launch " + spec.id() + " failed", e);
            return new RunResult(spec.id(), 125, 0, "internal error: " + e);
        } finally {
            running.remove(spec.id());
            if (child != null) {
                child.close();
            }
            p.release();
            if (stateCreated) {
                try {
                    state.delete(spec.id());
                } catch (java.io.IOException e) {
                    LOG.log(Level.WARNING, "cannot remove the state directory of " + spec.id(), e);
                }
            }
        }
    }

    /** Docker's convention: 127 command not found, 126 not executable, 125 anything else before exec. */
    private static RunResult failedExec(ContainerSpec spec, ChildPlan plan, LauncherProcess.ExecOutcome exec,
            LauncherProcess.ExitStatus exit) {
        int idx = exec.opIndex();
        if (idx >= 0 && idx < plan.entries().size()) {
            PlanEntry e = plan.entries().get(idx);
            if (e.op() instanceof Op.Exec x) {
                String file = x.file();
                if (exec.errno() == 2) {
                    return new RunResult(spec.id(), 127, 0, "cannot run \"" + file + "\": "
                            + (file.contains("/") ? "no such file or directory" : "executable file not found in $PATH"));
                }
                return new RunResult(spec.id(), 126, 0, "cannot run \"" + file + "\": " + exec.message());
            }
            return new RunResult(spec.id(), 125, 0, "stage " + e.stage() + " failed in the child at op " + idx
                    + " (" + e.phase().name().toLowerCase() + "): " + exec.message());
        }
        return new RunResult(spec.id(), exit.code() == 0 ? 125 : exit.code(), 0, exec.message());
    }

    /** One launch's stage runs, in pipeline order. */
    private static final class Pipeline {
        private final RuntimeStageContext launch;
        private final List<RegisteredStage> chosen;
        private final List<StageRun> runs = new ArrayList<>();
        private final List<StageRun> prepared = new ArrayList<>();

        Pipeline(RuntimeStageContext launch, List<RegisteredStage> chosen) {
            this.launch = launch;
            this.chosen = chosen;
        }

        List<String> stageNames() {
            return chosen.stream().map(s -> s.stage().name()).toList();
        }

        void open() {
            for (RegisteredStage s : chosen) {
                try {
                    runs.add(s.stage().open(launch));
                } catch (CordonException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new StageException(s.stage().name(), "open", e);
                }
            }
        }

        void prepare() {
            for (int i = 0; i < runs.size(); i++) {
                StageRun run = runs.get(i);
                prepared.add(run);
                try {
                    run.prepare();
                } catch (StageException e) {
                    throw e;
                } catch (Exception e) {
                    throw new StageException(chosen.get(i).stage().name(), "prepare", e);
                }
            }
        }

        ChildPlan contribute() {
            ChildPlan.Builder builder = ChildPlan.builder();
            for (int i = 0; i < runs.size(); i++) {
                String name = chosen.get(i).stage().name();
                try {
                    runs.get(i).contribute(builder.forStage(name));
                } catch (StageException e) {
                    throw e;
                } catch (Exception e) {
                    throw new StageException(name, "contribute", e);
                }
            }
            ContainerSpec spec = launch.spec();
            var exec = builder.forStage(ORCHESTRATOR);
            exec.add(Phase.EXEC, new Op.Chdir(spec.workdir()));
            exec.add(Phase.EXEC, new Op.Exec(spec.command().get(0), spec.command(),
                    spec.effectiveEnv(launch.hostname())));
            return builder.build();
        }

        void attach(ChildProcess child) {
            for (int i = 0; i < runs.size(); i++) {
                try {
                    runs.get(i).attach(child);
                } catch (StageException e) {
                    throw e;
                } catch (Exception e) {
                    throw new StageException(chosen.get(i).stage().name(), "attach", e);
                }
            }
        }

        Map<String, Map<String, String>> stats() {
            Map<String, Map<String, String>> out = new java.util.LinkedHashMap<>();
            for (int i = 0; i < runs.size(); i++) {
                try {
                    Map<String, String> s = runs.get(i).stats();
                    if (!s.isEmpty()) {
                        out.put(chosen.get(i).stage().name(), s);
                    }
                } catch (RuntimeException e) {
                    out.put(chosen.get(i).stage().name(), Map.of("error", String.valueOf(e.getMessage())));
                }
            }
            return out;
        }

        /** Each stage's explanation of the exit, last stage first (the innermost cause). */
        List<String> explainExit(LauncherProcess.ExitStatus exit) {
            List<String> notes = new ArrayList<>();
            for (int i = runs.size() - 1; i >= 0; i--) {
                try {
                    runs.get(i).explainExit(exit.code(), exit.signal()).ifPresent(notes::add);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "explainExit failed in " + chosen.get(i).stage().name(), e);
                }
            }
            return notes;
        }

        /** Release every prepared run in reverse order; one failing release does not stop the others. */
        void release() {
            List<StageRun> reverse = new ArrayList<>(prepared);
            Collections.reverse(reverse);
            for (StageRun run : reverse) {
                try {
                    run.release();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "release failed in launch " + launch.containerId(), e);
                }
            }
            prepared.clear();
        }
    }
}
