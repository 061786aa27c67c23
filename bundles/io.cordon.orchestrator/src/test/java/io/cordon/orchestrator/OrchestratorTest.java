package io.cordon.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.Availability;
import io.cordon.api.ChildProcess;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.RunResult;
import io.cordon.api.StageRun;
import io.cordon.api.Stdio;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import io.cordon.linux.LauncherProcess;
import io.cordon.linux.LauncherSpawner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline's contract with stages, with a recording launcher in place of the
 * C launcher (the real one is exercised by itests): order, fail closed, release
 * on every failure, the per-launch snapshot.
 */
class OrchestratorTest {
    @TempDir
    Path root;

    final List<String> events = new ArrayList<>();
    final AtomicReference<ChildPlan> launched = new AtomicReference<>();
    /** When non-zero, the child's exec fails with this errno. */
    int execErrno;

    /** Records the plan and pretends the child ran and exited 0. */
    final LauncherSpawner recordingLauncher = new LauncherSpawner() {
        @Override
        public LauncherProcess spawn(ChildPlan plan, Stdio stdio) {
            launched.set(plan);
            events.add("spawn");
            return new LauncherProcess() {
                public int pid() {
                    return 4242;
                }

                public int launcherPid() {
                    return 4241;
                }

                public void go() {
                    events.add("go");
                }

                public ExecOutcome awaitExec() {
                    if (execErrno != 0) {
                        return new ExecOutcome(false, plan.entries().size() - 1, execErrno,
                                "exec \"true\": errno " + execErrno);
                    }
                    return new ExecOutcome(true, -1, 0, "");
                }

                public ExitStatus awaitExit() {
                    return new ExitStatus(0, 0);
                }

                public void signal(int signal) {
                }

                public void close() {
                    events.add("close");
                }
            };
        }

        @Override
        public String executable() {
            return "/bin/false";
        }
    };

    class Stage implements IsolationStage {
        final String name;
        final Phase phase;
        final Set<String> handles;
        Availability availability = Availability.available("");
        String failIn = "";
        Consumer<PlanBuilder> contribution = p -> { };
        Runnable onPrepare = () -> { };
        java.util.function.BiFunction<Integer, Integer, java.util.Optional<String>> explanation =
                (code, signal) -> java.util.Optional.empty();

        Stage(String name, Phase phase, String... handles) {
            this.name = name;
            this.phase = phase;
            this.handles = Set.of(handles);
        }

        public String name() {
            return name;
        }

        public Phase phase() {
            return phase;
        }

        public Set<String> handles() {
            return handles;
        }

        public Availability probe() {
            return availability;
        }

        public StageRun open(StageContext context) {
            return new StageRun() {
                public void prepare() {
                    events.add("prepare " + name);
                    assertTrue(context.dryRun() || Files.isDirectory(context.stateDirectory()),
                            "state dir exists for prepare");
                    onPrepare.run();
                    if (failIn.equals("prepare")) {
                        throw new IllegalStateException("boom in prepare");
                    }
                }

                public void contribute(PlanBuilder plan) {
                    events.add("contribute " + name);
                    if (failIn.equals("contribute")) {
                        throw new IllegalStateException("boom in contribute");
                    }
                    contribution.accept(plan);
                }

                public void attach(ChildProcess child) {
                    events.add("attach " + name + " " + child.pid());
                    if (failIn.equals("attach")) {
                        throw new IllegalStateException("boom in attach");
                    }
                }

                public java.util.Optional<String> explainExit(int exitCode, int signal) {
                    return explanation.apply(exitCode, signal);
                }

                public void release() {
                    events.add("release " + name);
                }
            };
        }
    }

    Orchestrator orchestrator() {
        return new Orchestrator(recordingLauncher, root);
    }

    static ContainerSpec spec() {
        return ContainerSpec.builder().command("true").build();
    }

    @Test
    void runsStagesInPhaseAndOrderAndReleasesInReverse() {
        Orchestrator o = orchestrator();
        Stage late = new Stage("late", Phase.SECCOMP);
        Stage b = new Stage("b", Phase.NAMESPACES);
        Stage a = new Stage("a", Phase.NAMESPACES);
        a.contribution = p -> p.unshare(Namespace.PID).add(Phase.SYSTEM, new Op.SetHostname("x"));
        late.contribution = p -> p.add(Phase.MOUNTS, new Op.Mkdir("/m", 0755));
        o.addStage(new RegisteredStage(late, 0, "t", 1));
        o.addStage(new RegisteredStage(b, 20, "t", 2));
        o.addStage(new RegisteredStage(a, 10, "t", 3));
        RunResult r = o.run(spec(), Stdio.inherit());
        assertNull(r.error());
        assertEquals(List.of("prepare a", "prepare b", "prepare late", "contribute a", "contribute b",
                "contribute late", "spawn", "attach a 4242", "attach b 4242", "attach late 4242", "go", "close",
                "release late", "release b", "release a"), events);
        ChildPlan plan = launched.get();
        // Ops sorted by phase: late's MOUNTS op comes before a's SYSTEM op; exec is last.
        assertEquals("mkdir /m mode 755", plan.entries().get(0).op().describe());
        assertEquals("late", plan.entries().get(0).stage());
        assertEquals("a", plan.entries().get(1).stage());
        assertTrue(plan.exec().isPresent());
        assertEquals(Namespace.PID.cloneFlag(), plan.cloneFlags());
        assertFalse(Files.exists(root.resolve("containers").resolve(r.containerId())), "state dir removed");
    }

    @Test
    void aFailingStepNamesTheStageAndReleasesEverythingPrepared() {
        for (String step : List.of("prepare", "contribute", "attach")) {
            events.clear();
            Orchestrator o = orchestrator();
            Stage first = new Stage("first", Phase.NAMESPACES);
            Stage bad = new Stage("bad", Phase.MOUNTS);
            Stage after = new Stage("after", Phase.SECCOMP);
            bad.failIn = step;
            o.addStage(new RegisteredStage(first, 0, "t", 1));
            o.addStage(new RegisteredStage(bad, 0, "t", 2));
            o.addStage(new RegisteredStage(after, 0, "t", 3));
            RunResult r = o.run(spec(), Stdio.inherit());
            assertEquals(125, r.exitCode(), step);
            assertTrue(r.error().contains("stage bad failed in " + step), r.error());
            assertFalse(events.contains("go"), "the child must never run: " + events);
            List<String> releases = events.stream().filter(e -> e.startsWith("release")).toList();
            List<String> prepared = events.stream().filter(e -> e.startsWith("prepare")).map(e -> e.substring(8))
                    .toList();
            List<String> expected = new ArrayList<>();
            for (int i = prepared.size() - 1; i >= 0; i--) {
                expected.add("release " + prepared.get(i));
            }
            assertEquals(expected, releases, step + ": every prepared stage released in reverse: " + events);
            assertTrue(prepared.contains("bad"), step);
            if (step.equals("attach")) {
                assertTrue(events.contains("close"), "the child is killed: " + events);
            }
            assertFalse(Files.exists(root.resolve("containers").resolve(r.containerId())), "state dir removed");
        }
    }

    @Test
    void failClosedWhenNothingHandlesARequirement() {
        Orchestrator o = orchestrator();
        o.addStage(new RegisteredStage(new Stage("pidns", Phase.NAMESPACES), 0, "t", 1));
        ContainerSpec spec = ContainerSpec.builder().command("true").hostname("web").build();
        RunResult r = o.run(spec, Stdio.inherit());
        assertEquals(125, r.exitCode());
        assertTrue(r.error().contains("--hostname web") && r.error().contains("no installed stage handles"),
                r.error());
        assertTrue(events.isEmpty(), "nothing prepared or launched: " + events);
        assertThrows(CordonException.class, () -> o.explain(spec));
    }

    @Test
    void failClosedWhenTheHandlingStageIsUnavailable() {
        Orchestrator o = orchestrator();
        Stage lsm = new Stage("apparmor", Phase.LSM_LABEL, "opt:apparmor");
        lsm.availability = Availability.unavailable("AppArmor is not enabled in this kernel");
        o.addStage(new RegisteredStage(lsm, 0, "t", 1));
        RunResult r = o.run(ContainerSpec.builder().command("true").option("apparmor", "p").build(), Stdio.inherit());
        assertEquals(125, r.exitCode());
        assertTrue(r.error().contains("apparmor") && r.error().contains("AppArmor is not enabled in this kernel"),
                r.error());
        // Not asked for: the unavailable stage is left out and the launch goes on.
        assertNull(o.run(spec(), Stdio.inherit()).error());
        assertFalse(events.contains("prepare apparmor"));
    }

    @Test
    void stagesExplainARefusedExec() {
        Orchestrator o = orchestrator();
        Stage lsm = new Stage("selinux", Phase.LSM_LABEL);
        lsm.explanation = (code, signal) -> java.util.Optional.of("exit " + code + " signal " + signal);
        o.addStage(new RegisteredStage(lsm, 0, "t", 1));
        execErrno = 1;
        RunResult r = o.run(spec(), Stdio.inherit());
        assertEquals(126, r.exitCode());
        assertEquals("cannot run \"true\": exec \"true\": errno 1", r.error());
        assertEquals(List.of("exit 126 signal 0"), r.notes());
        assertTrue(events.contains("release selinux"));
    }

    @Test
    void aStageLeavingMidLaunchDoesNotDisturbIt() {
        Orchestrator o = orchestrator();
        Stage stays = new Stage("stays", Phase.NAMESPACES);
        Stage leaves = new Stage("leaves", Phase.MOUNTS);
        RegisteredStage leavingReg = new RegisteredStage(leaves, 0, "t", 2);
        o.addStage(new RegisteredStage(stays, 0, "t", 1));
        o.addStage(leavingReg);
        stays.onPrepare = () -> o.removeStage(2L);
        assertNull(o.run(spec(), Stdio.inherit()).error());
        assertTrue(events.contains("contribute leaves") && events.contains("release leaves"),
                "the launch keeps its snapshot: " + events);
        events.clear();
        stays.onPrepare = () -> { };
        assertNull(o.run(spec(), Stdio.inherit()).error());
        assertFalse(events.contains("prepare leaves"), "the next launch sees the new set: " + events);
    }

    @Test
    void explainCreatesNothing() {
        Orchestrator o = orchestrator();
        Stage a = new Stage("a", Phase.NAMESPACES);
        a.contribution = p -> p.unshare(Namespace.UTS);
        o.addStage(new RegisteredStage(a, 0, "t", 1));
        ChildPlan plan = o.explain(spec());
        assertTrue(plan.render().contains("new uts"), plan.render());
        assertNull(launched.get());
        assertFalse(Files.exists(root.resolve("containers")) && root.resolve("containers").toFile().list().length > 0);
    }

    @Test
    void aStageWhoseProbeThrowsIsUnavailableNotFatal() {
        Orchestrator o = orchestrator();
        Stage broken = new Stage("broken", Phase.NAMESPACES, "opt:x") {
            @Override
            public Availability probe() {
                throw new IllegalStateException("probe exploded");
            }
        };
        o.addStage(new RegisteredStage(broken, 0, "t", 1));
        assertNull(o.run(spec(), Stdio.inherit()).error());
        assertFalse(o.stages().get(0).availability().available());
        RunResult r = o.run(ContainerSpec.builder().command("true").option("x", "1").build(), Stdio.inherit());
        assertEquals(125, r.exitCode());
        assertTrue(r.error().contains("probe exploded"), r.error());
    }
    @Test
    void aSharedNamespaceShowsInTheRenderedPlanUnlessAStageCreatesOne() {
        Orchestrator o = orchestrator();
        Stage net = new Stage("net", Phase.NAMESPACES);
        net.contribution = p -> p.share(Namespace.NET);
        o.addStage(new RegisteredStage(net, 0, "t", 1));
        ChildPlan plan = o.explain(spec());
        assertEquals(Namespace.NET, plan.shared().keySet().iterator().next());
        assertTrue(plan.render().contains("host net    (shared with the host) by net"), plan.render());
        Stage creates = new Stage("creates", Phase.NAMESPACES);
        creates.contribution = p -> p.unshare(Namespace.NET);
        o.addStage(new RegisteredStage(creates, 1, "t", 2));
        assertTrue(o.explain(spec()).shared().isEmpty());
    }

    @Test
    void runningContainerIsFoundThroughTheStateDirectoryOfAnyCordonProcess() throws Exception {
        Orchestrator o = orchestrator();
        StateStore store = new StateStore(root);
        String other = "ab".repeat(32);
        String self = "cd".repeat(32);
        store.create(other);
        // This JVM's pid is alive but not a cordon launcher's child: a stale state must not count.
        int me = (int) ProcessHandle.current().pid();
        store.write(new StateStore.State("1.0.2", other, "running", me, "", java.time.Instant.now().toString(),
                List.of("sh"), List.of("netns")));
        CordonException stale = assertThrows(CordonException.class, () -> o.runningContainer(self, "abab"));
        assertTrue(stale.getMessage().contains("no running container with id abab"), stale.getMessage());
        assertThrows(CordonException.class, () -> o.runningContainer(self, "not-hex"));
        assertThrows(CordonException.class, () -> o.runningContainer(other, other), "never the asking launch");
    }
}
