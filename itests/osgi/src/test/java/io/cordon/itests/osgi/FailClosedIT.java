package io.cordon.itests.osgi;

import static io.cordon.itests.osgi.Support.awaitStages;
import static io.cordon.itests.osgi.Support.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.cordon.api.Availability;
import io.cordon.api.ChildProcess;
import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Acceptance: a stage that throws in prepare, contribute or attach fails the launch with an error
 * naming the stage, and every stage prepared before it is released; nothing is left on the host.
 *
 * <p>The vendor stage (phase system) fails on request. Two witness stages registered by the test
 * record what the orchestrator does with them: one runs first (namespaces phase), one after the
 * vendor (seccomp phase). Each also notes whether the vendor's prepare marker is in the state
 * directory, which shows that the vendor's own prepare and release ran and in which order.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FailClosedIT {
    /** What the vendor stage leaves in the state directory between its prepare and its release. */
    private static final String VENDOR_PREPARED = "vendor-prepared";

    @Inject
    private BundleContext context;

    @Inject
    private ContainerRuntime runtime;

    private Bundle vendor;
    private final Witness early = new Witness("w-early", Phase.NAMESPACES);
    private final Witness late = new Witness("w-late", Phase.SECCOMP);
    private final List<ServiceRegistration<IsolationStage>> witnesses = new ArrayList<>();

    @Configuration
    public Option[] config() {
        return CordonOptions.runtime(getClass().getSimpleName());
    }

    @Before
    public void installVendorStageAndWitnesses() throws Exception {
        vendor = context.installBundle(CordonOptions.fileUrl(CordonOptions.vendorStageJar()));
        vendor.start();
        witnesses.add(register(early, -1000));
        witnesses.add(register(late, 1000));
        awaitStages(runtime, "the skeleton, vendor and witness stages", s -> s.containsAll(List.of("pidns",
                "mountns", "utsns", "ipcns", "vendor", "w-early", "w-late")));
    }

    @After
    public void removeThem() throws Exception {
        for (ServiceRegistration<IsolationStage> r : witnesses) {
            r.unregister();
        }
        witnesses.clear();
        if (vendor != null) {
            vendor.uninstall();
        }
        awaitStages(runtime, "the test's stages to leave", s -> Collections.disjoint(s, Set.of("vendor", "w-early",
                "w-late")));
    }

    private ServiceRegistration<IsolationStage> register(Witness w, int order) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(IsolationStage.ORDER, order);
        return context.registerService(IsolationStage.class, w, props);
    }

    private static ContainerSpec spec(String failIn) {
        ContainerSpec.Builder b = ContainerSpec.builder().option("vendor.marker", "x").command("true");
        if (failIn != null) {
            b.option("vendor.fail", failIn);
        }
        return b.build();
    }

    /** Runs a launch whose vendor stage throws in {@code step}; checks the error and the host. */
    private String launchFailingIn(String step) {
        ContainerSpec spec = spec(step);
        HostState before = HostState.now();
        Support.Output o = run(runtime, spec);
        HostState after = HostState.now();
        assertEquals("exit code when the vendor stage throws in " + step + ": " + o, 125, o.result().exitCode());
        assertNotNull("a failed launch says why: " + o, o.result().error());
        assertTrue("the error names the stage: " + o, o.result().error().contains("vendor"));
        assertTrue("the error names the step: " + o, o.result().error().contains(step));
        assertEquals("the command never ran: " + o, "", o.out());
        before.assertNothingLeftBy(spec.id(), after);
        return spec.id();
    }

    @Test
    public void controlNothingFailsEveryStageRunsAndIsReleased() {
        ContainerSpec spec = spec(null);
        HostState before = HostState.now();
        Support.Output o = run(runtime, spec);
        HostState after = HostState.now();
        assertEquals("the launch without vendor.fail: " + o, 0, o.result().exitCode());
        before.assertNothingLeftBy(spec.id(), after);
        String id = spec.id();
        assertEquals(List.of("open", "prepare", "contribute", "attach", "release"), early.events(id));
        assertEquals("the late witness sees the vendor's prepare marker until the vendor is released",
                List.of("open", "prepare vendor-prepared", "contribute", "attach", "release vendor-prepared"),
                late.events(id));
        assertTrue("the child existed at attach", early.childAliveAtAttach(id));
        assertFalse("the container's process is gone", Files.exists(Path.of("/proc", "" + early.childPid(id))));
    }

    @Test
    public void throwingInPrepareReleasesTheStagesPreparedBefore() {
        String id = launchFailingIn("prepare");
        assertEquals("the early witness is prepared and released; the vendor's marker was never made",
                List.of("open", "prepare", "release"), early.events(id));
        assertEquals("the late witness is never prepared, so never released", List.of("open"), late.events(id));
    }

    @Test
    public void throwingInContributeReleasesEveryPreparedStageInReverseOrder() {
        String id = launchFailingIn("contribute");
        assertEquals("the early witness is released after the vendor (its marker is gone by then)",
                List.of("open", "prepare", "contribute", "release"), early.events(id));
        assertEquals("the late witness is prepared after the vendor and released before it",
                List.of("open", "prepare vendor-prepared", "release vendor-prepared"), late.events(id));
    }

    @Test
    public void throwingInAttachKillsTheChildAndReleasesEveryStage() {
        String id = launchFailingIn("attach");
        assertEquals(List.of("open", "prepare", "contribute", "attach", "release"), early.events(id));
        assertEquals("the late witness is not attached but released",
                List.of("open", "prepare vendor-prepared", "contribute", "release vendor-prepared"), late.events(id));
        assertTrue("the child existed at attach", early.childAliveAtAttach(id));
        assertFalse("the child (host pid " + early.childPid(id) + ") is gone after the failed attach",
                Files.exists(Path.of("/proc", "" + early.childPid(id))));
    }

    @Test
    public void withoutTheSeccompBundleALaunchThatAsksForAProfileIsRefusedNamingSeccomp() throws Exception {
        String profile = Support.unameDenyingProfile().toString();
        refusedWhileStopped("io.cordon.stage.seccomp", "seccomp", "seccomp",
                () -> Support.securityOpt(ContainerSpec.builder(), "seccomp=" + profile).command("true").build(),
                "run", "--security-opt", "seccomp=" + profile, "--", "true");
    }

    @Test
    public void withoutTheCapsBundleALaunchWithCapDropIsRefusedNamingIt() throws Exception {
        refusedWhileStopped("io.cordon.stage.caps", "caps", "--cap-drop NET_RAW",
                () -> Support.capDrop(ContainerSpec.builder(), "NET_RAW").command("true").build(),
                "run", "--cap-drop", "NET_RAW", "--", "true");
    }

    /**
     * Stops the bundle of {@code stage}; then a launch of {@code spec} is refused before any stage is opened, with
     * an error containing {@code named}, leaving nothing behind, and so is the same launch through the command
     * line ({@code cliArgs}). Once the bundle is started again the same launch runs.
     */
    private void refusedWhileStopped(String bsn, String stage, String named, Supplier<ContainerSpec> spec,
            String... cliArgs) throws Exception {
        Bundle bundle = Support.bundle(context, bsn);
        assertEquals(bsn + " is active", Bundle.ACTIVE, bundle.getState());
        ContainerSpec control = spec.get();
        Support.Output c = run(runtime, control);
        assertEquals("with " + stage + " the launch runs: " + c, 0, c.result().exitCode());
        bundle.stop();
        try {
            awaitStages(runtime, stage + " to leave", s -> !s.contains(stage));
            ContainerSpec refused = spec.get();
            HostState before = HostState.now();
            Support.Output o = run(runtime, refused);
            HostState after = HostState.now();
            assertEquals("exit code without " + stage + ": " + o, 125, o.result().exitCode());
            assertNotNull("a refusal says why: " + o, o.result().error());
            assertTrue("the refusal names " + named + ": " + o, o.result().error().contains(named));
            assertEquals("the command never ran: " + o, "", o.out());
            before.assertNothingLeftBy(refused.id(), after);
            assertEquals("refused before any stage was opened", List.of(), early.events(refused.id()));
            assertEquals("refused before any stage was opened", List.of(), late.events(refused.id()));

            Support.CliResult cli = Support.cli(context, cliArgs);
            assertEquals("cordon " + String.join(" ", cliArgs) + " without " + stage + ": " + cli, 125,
                    cli.exitCode());
            assertTrue("cordon " + String.join(" ", cliArgs) + " says on one line why it refused: " + cli,
                    cli.err().startsWith("cordon: refusing to launch: ") && cli.err().contains(named)
                            && cli.err().strip().lines().count() == 1);
        } finally {
            bundle.start();
        }
        awaitStages(runtime, stage + " to come back", s -> s.contains(stage));
        ContainerSpec again = spec.get();
        Support.Output o = run(runtime, again);
        assertEquals("with " + stage + " back the launch runs again: " + o, 0, o.result().exitCode());
    }

    /** A stage that handles nothing and records, per container, the steps the orchestrator ran. */
    static final class Witness implements IsolationStage {
        private final String name;
        private final Phase phase;
        private final Map<String, List<String>> events = new ConcurrentHashMap<>();
        private final Map<String, Integer> childPids = new ConcurrentHashMap<>();
        private final Map<String, Boolean> childAlive = new ConcurrentHashMap<>();

        Witness(String name, Phase phase) {
            this.name = name;
            this.phase = phase;
        }

        List<String> events(String containerId) {
            return events.getOrDefault(containerId, List.of());
        }

        int childPid(String containerId) {
            Integer pid = childPids.get(containerId);
            assertNotNull(name + " was not attached to " + containerId, pid);
            return pid;
        }

        boolean childAliveAtAttach(String containerId) {
            return childAlive.getOrDefault(containerId, false);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Phase phase() {
            return phase;
        }

        @Override
        public Set<String> handles() {
            return Set.of();
        }

        @Override
        public Availability probe() {
            return Availability.available("test witness");
        }

        @Override
        public StageRun open(StageContext launch) {
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            events.put(launch.containerId(), log);
            log.add("open");
            return new StageRun() {
                private String vendorMarker() {
                    return Files.exists(launch.stateDirectory().resolve(VENDOR_PREPARED)) ? " " + VENDOR_PREPARED
                            : "";
                }

                @Override
                public void prepare() {
                    log.add("prepare" + vendorMarker());
                }

                @Override
                public void contribute(PlanBuilder plan) {
                    log.add("contribute");
                }

                @Override
                public void attach(ChildProcess child) {
                    childPids.put(launch.containerId(), child.pid());
                    childAlive.put(launch.containerId(), child.pid() > 0 && Files.exists(Path.of("/proc",
                            "" + child.pid())));
                    log.add("attach");
                }

                @Override
                public void release() {
                    log.add("release" + vendorMarker());
                }
            };
        }
    }
}
