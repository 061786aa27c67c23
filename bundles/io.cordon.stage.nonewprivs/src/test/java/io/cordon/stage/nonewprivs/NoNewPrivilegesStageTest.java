package io.cordon.stage.nonewprivs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.StageContext;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NoNewPrivilegesStageTest {

    static List<PlanEntry> plan(String... securityOpts) throws Exception {
        ContainerSpec spec = ContainerSpec.builder().command("true").securityOpts(List.of(securityOpts)).build();
        ChildPlan.Builder b = ChildPlan.builder();
        new NoNewPrivilegesStage().open(StageContext.of(spec, Path.of("/nonexistent"), true))
                .contribute(b.forStage("nonewprivs"));
        return b.build().entries();
    }

    @Test
    void onSetsNoNewPrivsInItsPhase() throws Exception {
        for (String on : List.of("no-new-privileges", "no-new-privileges=true", "no-new-privileges:true")) {
            List<PlanEntry> entries = plan(on);
            assertEquals(1, entries.size(), on);
            assertEquals(Phase.NO_NEW_PRIVS, entries.get(0).phase());
            assertEquals(new Op.NoNewPrivs(), entries.get(0).op());
        }
    }

    @Test
    void offOrNotAskedContributesNothing() throws Exception {
        assertEquals(List.of(), plan("no-new-privileges=false"));
        assertEquals(List.of(), plan());
    }

    @Test
    void theLastValueWins() throws Exception {
        assertEquals(List.of(), plan("no-new-privileges", "seccomp=unconfined", "no-new-privileges:false"));
        assertEquals(1, plan("no-new-privileges=false", "apparmor=x", "no-new-privileges").size());
    }

    @Test
    void theRequirementKeyIsWhatTheSpecAsksFor() {
        assertTrue(ContainerSpec.builder().command("true").securityOpts(List.of("no-new-privileges=false")).build()
                .requirements().containsKey(NoNewPrivilegesStage.KEY));
        assertTrue(new NoNewPrivilegesStage().handles().contains(NoNewPrivilegesStage.KEY));
    }
}
