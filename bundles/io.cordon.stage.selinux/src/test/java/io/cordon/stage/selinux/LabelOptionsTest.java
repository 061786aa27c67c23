package io.cordon.stage.selinux;

import static io.cordon.stage.selinux.FakeSelinux.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LabelOptionsTest {

    static final SecurityContext LXC_PROCESS = SecurityContext.parse("system_u:system_r:container_t:s0");
    static final SecurityContext LXC_FILE = SecurityContext.parse("system_u:object_r:container_file_t:s0");

    @ParameterizedTest
    @CsvSource({
        "label=user:staff_u,       staff_u:system_r:container_t:s0",
        "label:user:staff_u,       staff_u:system_r:container_t:s0",
        "label=role:object_r,      system_u:object_r:container_t:s0",
        "label=type:cordon_test_t, system_u:system_r:cordon_test_t:s0",
        "label:type:cordon_test_t, system_u:system_r:cordon_test_t:s0",
        "label=level:s0:c1.c3,     system_u:system_r:container_t:s0:c1.c3",
        "label=filetype:x_file_t,  system_u:system_r:container_t:s0"})
    void eachKeySetsItsPartOfTheProcessLabel(String flag, String process) {
        LabelOptions o = LabelOptions.of(spec(flag));
        assertTrue(o.asked(), flag);
        assertFalse(o.disabled());
        assertEquals(process, o.process(LXC_PROCESS).toString());
    }

    @Test
    void levelsWithCommasAndRangesSurviveParsing() {
        LabelOptions o = LabelOptions.of(spec("label=level:s0-s0:c0,c5.c9"));
        assertEquals(Optional.of("s0-s0:c0,c5.c9"), o.label().level());
        assertEquals("system_u:system_r:container_t:s0-s0:c0,c5.c9", o.process(LXC_PROCESS).toString());
    }

    @Test
    void filetypeUserAndLevelShapeTheMountLabelRoleAndTypeDoNot() {
        LabelOptions o = LabelOptions.of(spec("label=type:cordon_test_t", "label=filetype:cordon_test_file_t",
                "label=user:staff_u", "label=role:staff_r", "label=level:s0:c1,c2"));
        SecurityContext process = o.process(LXC_PROCESS);
        assertEquals("staff_u:staff_r:cordon_test_t:s0:c1,c2", process.toString());
        assertEquals("staff_u:object_r:cordon_test_file_t:s0:c1,c2", o.mount(LXC_FILE, process).toString());
    }

    @Test
    void theMountLabelTakesTheProcessLevel() {
        LabelOptions o = LabelOptions.of(spec("label=type:cordon_test_t"));
        SecurityContext process = o.process(LXC_PROCESS.withLevel(Optional.of("s0:c7,c9")));
        assertEquals("system_u:object_r:container_file_t:s0:c7,c9", o.mount(LXC_FILE, process).toString());
        SecurityContext noLevel = SecurityContext.parse("u:r:t");
        assertEquals("system_u:object_r:tmpfs_t", o.mount(SelinuxRun.TMPFS_FILE, noLevel).toString());
    }

    @Test
    void repeatedFlagsCombineAndTheLastOfEachKeyWins() {
        LabelOptions o = LabelOptions.of(spec("label=type:a_t", "label=level:s0:c1,c2", "seccomp=unconfined",
                "label:type:b_t", "no-new-privileges", "label=level:s0:c3,c4"));
        assertEquals("system_u:system_r:b_t:s0:c3,c4", o.process(LXC_PROCESS).toString());
    }

    @Test
    void disableAsksForNoLabel() {
        for (String flag : new String[] {"label=disable", "label:disable"}) {
            LabelOptions o = LabelOptions.of(spec(flag));
            assertTrue(o.disabled(), flag);
            assertFalse(o.asked(), flag);
            assertEquals(Optional.of("--security-opt " + flag), o.label().disabledBy());
        }
        assertFalse(LabelOptions.of(spec()).disabled());
        assertFalse(LabelOptions.of(spec()).asked());
        assertFalse(LabelOptions.of(spec("apparmor=unconfined")).asked());
    }

    @Test
    void disableWithALabelTurnsLabellingOffAsInDocker() {
        LabelOptions o = LabelOptions.of(spec("label=type:a_t", "label=disable"));
        assertTrue(o.disabled());
        assertFalse(o.asked(), "the parts are unused once labelling is off");
    }

    @Test
    void theRequirementKeyIsWhatTheStageHandles() {
        assertTrue(spec("label=type:x_t").requirements().containsKey(LabelOptions.KIND));
        assertTrue(spec("label:disable").requirements().containsKey(LabelOptions.KIND));
        assertTrue(new SelinuxStage().handles().contains(LabelOptions.KIND));
    }
}
