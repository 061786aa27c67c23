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
}
