package io.cordon.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cordon.api.Availability;
import io.cordon.api.StageInfo;
import io.cordon.api.plan.Phase;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StagesCommandTest {
    private static StageInfo stage(String name, Phase phase, Availability a) {
        return new StageInfo(name, phase, 10, Set.of(name), a, "io.cordon.stage." + name);
    }

    @Test
    void namesTheActiveLsmAndWhyTheOthersAreNot() {
        List<StageInfo> stages = List.of(stage("pidns", Phase.NAMESPACES, Availability.available("")),
                stage("apparmor", Phase.LSM_LABEL, Availability.available("enforcing")),
                stage("selinux", Phase.LSM_LABEL, Availability.unavailable("SELinux is not active")));
        assertEquals("LSM: apparmor active; selinux unavailable: SELinux is not active",
                StagesCommand.lsmSummary(stages));
    }

    @Test
    void saysWhenNoLsmIsActiveOrInstalled() {
        assertEquals("LSM: none active; apparmor unavailable: not in this kernel", StagesCommand.lsmSummary(
                List.of(stage("apparmor", Phase.LSM_LABEL, Availability.unavailable("not in this kernel")))));
        assertEquals("LSM: none installed (no apparmor or selinux stage; launches asking for one are refused)",
                StagesCommand.lsmSummary(List.of(stage("pidns", Phase.NAMESPACES, Availability.available("")))));
    }
}
