package io.cordon.itests.osgi;

import static io.cordon.itests.osgi.Support.awaitStages;
import static io.cordon.itests.osgi.Support.gogo;
import static io.cordon.itests.osgi.Support.run;
import static io.cordon.itests.osgi.Support.runOk;
import static io.cordon.itests.osgi.Support.shortId;
import static io.cordon.itests.osgi.Support.stagesListed;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import java.util.List;
import java.util.Set;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Stages are live: stop the utsns bundle and the next container shares the host's hostname (and a
 * --hostname is refused, fail closed); start it again and the next container has its own again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class LiveStagesIT {
    private static final List<String> SKELETON_STAGES = List.of("pidns", "mountns", "utsns", "ipcns");

    @Inject
    private BundleContext context;

    @Inject
    private ContainerRuntime runtime;

    @Configuration
    public Option[] config() {
        return CordonOptions.runtime(getClass().getSimpleName());
    }

    private static ContainerSpec hostname() {
        return ContainerSpec.builder().command("hostname").build();
    }

    private Set<String> stagesShownByGogo() throws Exception {
        Support.GogoResult r = gogo(context, "cordon:stages");
        assertEquals("cordon:stages printed errors", "", r.err());
        return stagesListed(r.out());
    }

    @Test
    public void stoppingUtsnsTakesEffectAtTheNextLaunchAndStartingItBringsItBack() throws Exception {
        awaitStages(runtime, "the walking-skeleton stages", s -> s.containsAll(SKELETON_STAGES));
        String host = Support.hostHostname();

        ContainerSpec first = hostname();
        assertNotEquals("the host's hostname cannot tell the two cases apart", host, shortId(first));
        assertEquals("with utsns the container's hostname is its short id",
                shortId(first), runOk(runtime, first).out().trim());
        Set<String> listed = stagesShownByGogo();
        assertTrue("cordon:stages lists every skeleton stage: " + listed, listed.containsAll(SKELETON_STAGES));

        Bundle utsns = Support.bundle(context, "io.cordon.stage.utsns");
        assertEquals("io.cordon.stage.utsns is active", Bundle.ACTIVE, utsns.getState());
        utsns.stop();
        try {
            awaitStages(runtime, "utsns to leave", s -> !s.contains("utsns"));
            assertEquals("without utsns the container shares the host's hostname",
                    host, runOk(runtime, hostname()).out().trim());

            listed = stagesShownByGogo();
            assertFalse("cordon:stages still lists utsns after its bundle stopped: " + listed,
                    listed.contains("utsns"));
            assertTrue("cordon:stages lists the other stages: " + listed, listed.containsAll(List.of("pidns",
                    "mountns", "ipcns")));

            ContainerSpec named = ContainerSpec.builder().hostname("x").command("hostname").build();
            Support.Output refused = run(runtime, named);
            assertEquals("--hostname without utsns must be refused: " + refused, 125, refused.result().exitCode());
            assertNotNull("a refusal says why: " + refused, refused.result().error());
            assertTrue("the refusal names what is missing: " + refused, refused.result().error().contains("hostname"));
            assertEquals("nothing ran: " + refused, "", refused.out());
        } finally {
            utsns.start();
        }

        awaitStages(runtime, "utsns to come back", s -> s.contains("utsns"));
        ContainerSpec again = hostname();
        assertEquals("utsns is back: the container's hostname is its short id again",
                shortId(again), runOk(runtime, again).out().trim());
        assertEquals("--hostname works again", "x",
                runOk(runtime, ContainerSpec.builder().hostname("x").command("hostname").build()).out().trim());
        assertTrue("cordon:stages lists utsns again", stagesShownByGogo().contains("utsns"));
    }

    /** A container that reports its seccomp mode and whether uname(2) works: "Seccomp: N" then "uname=OUTPUT". */
    private static ContainerSpec seccompProbe(String profile) {
        ContainerSpec.Builder b = ContainerSpec.builder();
        if (profile != null) {
            Support.securityOpt(b, "seccomp=" + profile);
        }
        return b.command("sh", "-c", "grep Seccomp: /proc/self/status | tr -s ' \\t' ' '; echo \"uname=$(uname -n 2>&1)\"")
                .build();
    }

    @Test
    public void stoppingSeccompDropsTheFilterAndRefusesAProfileAndStartingItBringsBothBack() throws Exception {
        awaitStages(runtime, "the seccomp stage", s -> s.contains("seccomp"));
        String profile = Support.unameDenyingProfile().toString();
        ContainerSpec plain = seccompProbe(null);
        assertEquals("with seccomp a container runs under the default filter",
                "Seccomp: 2\nuname=" + shortId(plain) + "\n", runOk(runtime, plain).out());
        assertEquals("with seccomp a container runs under the profile it asks for",
                "Seccomp: 2\nuname=uname: cannot get system name: Operation not permitted\n",
                runOk(runtime, seccompProbe(profile)).out());

        Bundle seccomp = Support.bundle(context, "io.cordon.stage.seccomp");
        seccomp.stop();
        try {
            awaitStages(runtime, "seccomp to leave", s -> !s.contains("seccomp"));
            ContainerSpec unfiltered = seccompProbe(null);
            assertEquals("without seccomp a container runs with no filter",
                    "Seccomp: 0\nuname=" + shortId(unfiltered) + "\n", runOk(runtime, unfiltered).out());
            assertFalse("cordon:stages still lists seccomp after its bundle stopped",
                    stagesShownByGogo().contains("seccomp"));

            Support.Output refused = run(runtime, seccompProbe(profile));
            assertEquals("--security-opt seccomp=PROFILE without seccomp must be refused: " + refused, 125,
                    refused.result().exitCode());
            assertNotNull("a refusal says why: " + refused, refused.result().error());
            assertTrue("the refusal names seccomp: " + refused, refused.result().error().contains("seccomp"));
            assertEquals("nothing ran: " + refused, "", refused.out());
        } finally {
            seccomp.start();
        }

        awaitStages(runtime, "seccomp to come back", s -> s.contains("seccomp"));
        ContainerSpec again = seccompProbe(null);
        assertEquals("seccomp is back: the default filter again",
                "Seccomp: 2\nuname=" + shortId(again) + "\n", runOk(runtime, again).out());
        assertEquals("seccomp is back: the profile works again",
                "Seccomp: 2\nuname=uname: cannot get system name: Operation not permitted\n",
                runOk(runtime, seccompProbe(profile)).out());
    }

    /** The effective capabilities of a container, optionally with --cap-drop. */
    private String effectiveCapabilities(String capDrop) {
        ContainerSpec.Builder b = ContainerSpec.builder();
        if (capDrop != null) {
            Support.capDrop(b, capDrop);
        }
        return Support.effectiveCapabilities(runOk(runtime, b.command("cat", "/proc/self/status").build()).out());
    }

    @Test
    public void stoppingCapsLeavesRootItsCapabilitiesAndRefusesCapDropAndStartingItBringsBothBack()
            throws Exception {
        awaitStages(runtime, "the caps stage", s -> s.contains("caps"));
        String host = Support.effectiveCapabilities(java.nio.file.Files.readString(java.nio.file.Path.of(
                "/proc/self/status")));
        long netRaw = 1L << 13; // CAP_NET_RAW
        String defaults = effectiveCapabilities(null);
        assertNotEquals("with caps a container gets Docker's default set, not the host's " + host, host, defaults);
        assertEquals("with caps, --cap-drop NET_RAW takes CAP_NET_RAW (bit 13) from the default set",
                Long.toHexString(Long.parseLong(defaults, 16) & ~netRaw),
                Long.toHexString(Long.parseLong(effectiveCapabilities("NET_RAW"), 16)));

        Bundle caps = Support.bundle(context, "io.cordon.stage.caps");
        caps.stop();
        try {
            awaitStages(runtime, "caps to leave", s -> !s.contains("caps"));
            assertEquals("without caps root in the container keeps the capabilities it has on the host", host,
                    effectiveCapabilities(null));

            ContainerSpec dropping = Support.capDrop(ContainerSpec.builder(), "NET_RAW").command("true").build();
            Support.Output refused = run(runtime, dropping);
            assertEquals("--cap-drop without caps must be refused: " + refused, 125, refused.result().exitCode());
            assertNotNull("a refusal says why: " + refused, refused.result().error());
            assertTrue("the refusal names --cap-drop: " + refused,
                    refused.result().error().contains("--cap-drop NET_RAW"));
        } finally {
            caps.start();
        }

        awaitStages(runtime, "caps to come back", s -> s.contains("caps"));
        assertEquals("caps is back: the default set again", defaults, effectiveCapabilities(null));
        assertEquals("caps is back: --cap-drop works again", Long.toHexString(Long.parseLong(defaults, 16) & ~netRaw),
                Long.toHexString(Long.parseLong(effectiveCapabilities("NET_RAW"), 16)));
    }
}
