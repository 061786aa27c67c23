package io.cordon.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.AppArmorProfile;
import io.cordon.api.Capability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The run flags reach the spec's typed fields through its one parser, in the order given. */
class RunCommandSpecTest {

    static ContainerSpec spec(String... args) {
        RunCommand run = new RunCommand(null, null, false, false, null);
        new CommandLine(run).parseArgs(args);
        return run.spec();
    }

    @Test
    void securityOptionsInTheOrderGivenTheLastWinning() {
        ContainerSpec s = spec("--security-opt", "no-new-privileges", "--security-opt", "apparmor=a",
                "--security-opt", "no-new-privileges:false", "--security-opt", "apparmor:b", "--", "true");
        assertFalse(s.noNewPrivileges().on());
        assertTrue(s.noNewPrivileges().asked());
        assertEquals(AppArmorProfile.named("b", "--security-opt apparmor:b"), s.appArmor());
        assertTrue(s.settings().isEmpty(), "typed fields only: " + s.settings());
    }

    @Test
    void capabilityFlagsGiveTheResultingSet() {
        ContainerSpec s = spec("--cap-drop", "ALL", "--cap-add", "net_admin", "--", "true");
        assertEquals(Set.of(Capability.NET_ADMIN), s.capabilities().resulting());
        assertTrue(spec("--privileged", "--", "true").capabilities().privileged());
        assertEquals(Capability.DOCKER_DEFAULT, spec("--", "true").capabilities().resulting());
    }

    @Test
    void aMalformedValueFailsTheSpecInOneLine() {
        CordonException e = assertThrows(CordonException.class,
                () -> spec("--security-opt", "seccomp=", "--", "true"));
        assertTrue(e.getMessage().startsWith("--security-opt seccomp=: expected"), e.getMessage());
        assertThrows(CordonException.class, () -> spec("--cap-add", "fly", "--", "true"));
    }
}
