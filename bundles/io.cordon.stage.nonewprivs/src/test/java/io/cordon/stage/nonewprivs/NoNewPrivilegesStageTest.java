package io.cordon.stage.nonewprivs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import java.util.List;
import org.junit.jupiter.api.Test;

class NoNewPrivilegesStageTest {

    static ContainerSpec spec(String... securityOpts) {
        ContainerSpec.Builder b = ContainerSpec.builder().command("true");
        for (String o : securityOpts) {
            b.setting(ContainerSpec.SECURITY_OPT, o);
        }
        return b.build();
    }

    @Test
    void formsDockerAccepts() {
        for (String on : List.of("no-new-privileges", "no-new-privileges=true", "no-new-privileges:true")) {
            assertTrue(NoNewPrivilegesStage.requested(spec(on)), on);
        }
        assertFalse(NoNewPrivilegesStage.requested(spec("no-new-privileges=false")));
        assertFalse(NoNewPrivilegesStage.requested(spec()));
    }

    @Test
    void lastWinsAndOtherKindsAreIgnored() {
        assertFalse(NoNewPrivilegesStage.requested(spec("no-new-privileges", "seccomp=unconfined",
                "no-new-privileges:false")));
        assertTrue(NoNewPrivilegesStage.requested(spec("no-new-privileges=false", "apparmor=x", "no-new-privileges")));
    }

    @Test
    void badValueIsOneLineError() {
        CordonException e = assertThrows(CordonException.class,
                () -> NoNewPrivilegesStage.requested(spec("no-new-privileges=maybe")));
        assertEquals("--security-opt no-new-privileges=maybe: expected no-new-privileges, no-new-privileges=true"
                + " or no-new-privileges=false", e.getMessage());
    }

    @Test
    void theRequirementKeyIsWhatTheSpecAsksFor() {
        assertTrue(spec("no-new-privileges=true").requirements().containsKey(NoNewPrivilegesStage.KEY));
        assertTrue(new NoNewPrivilegesStage().handles().contains(NoNewPrivilegesStage.KEY));
    }
}
