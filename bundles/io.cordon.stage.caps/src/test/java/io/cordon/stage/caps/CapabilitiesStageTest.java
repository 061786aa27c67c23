package io.cordon.stage.caps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.Capability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.StageContext;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stage against this host's kernel: one CAPSET op in the capabilities phase. */
class CapabilitiesStageTest {

    @Test
    void probeReportsTheKernelsLastCapability() {
        assertTrue(new CapabilitiesStage().probe().available());
        assertTrue(new CapabilitiesStage().probe().reason().startsWith("cap_last_cap "));
    }

    @Test
    void oneCapsetInTheCapabilitiesPhase() throws Exception {
        ChildPlan.Builder b = ChildPlan.builder();
        new CapabilitiesStage().open(context(ContainerSpec.builder().command("true").build()))
                .contribute(b.forStage("caps"));
        List<PlanEntry> entries = b.build().entries();
        assertEquals(1, entries.size());
        assertEquals(Phase.CAPABILITIES, entries.get(0).phase());
        Op.CapSet c = (Op.CapSet) entries.get(0).op();
        assertEquals(0, c.bounding() & ~Capability.mask(Capability.DOCKER_DEFAULT), "never more than Docker's default");
        assertEquals(c.bounding(), c.effective());
        assertEquals(0, c.ambient());
    }

    static StageContext context(ContainerSpec spec) {
        return StageContext.of(spec, Path.of("/nonexistent"), true);
    }
}
