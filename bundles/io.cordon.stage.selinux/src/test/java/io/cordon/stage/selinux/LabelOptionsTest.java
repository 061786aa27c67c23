package io.cordon.stage.selinux;

import static io.cordon.stage.selinux.FakeSelinux.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.CordonException;
import java.util.List;
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
        assertEquals(Optional.of("s0-s0:c0,c5.c9"), o.level());
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
        assertEquals(List.of("label=type:a_t", "label=level:s0:c1,c2", "label:type:b_t", "label=level:s0:c3,c4"),
                o.flags(), "only the label flags");
    }

    @Test
    void disableAsksForNoLabel() {
        for (String flag : new String[] {"label=disable", "label:disable"}) {
            LabelOptions o = LabelOptions.of(spec(flag));
            assertTrue(o.disabled(), flag);
            assertFalse(o.asked(), flag);
            assertEquals(Optional.of(flag), o.disabledBy());
        }
        assertFalse(LabelOptions.of(spec()).disabled());
        assertFalse(LabelOptions.of(spec()).asked());
        assertFalse(LabelOptions.of(spec("apparmor=unconfined")).asked());
    }

    @Test
    void disableWithALabelIsRefused() {
        CordonException e = assertThrows(CordonException.class,
                () -> LabelOptions.of(spec("label=type:a_t", "label=disable")));
        assertEquals("--security-opt label=disable turns labelling off, yet --security-opt label=type:a_t asks for"
                + " a label: give one or the other", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "label|--security-opt label: expected label=KEY:VALUE with KEY one of user, role, type, level or filetype"
                + " (e.g. label=type:container_t), or label=disable",
        "label=|--security-opt label=: expected label=KEY:VALUE with KEY one of user, role, type, level or filetype"
                + " (e.g. label=type:container_t), or label=disable",
        "label=type|--security-opt label=type: expected label=KEY:VALUE with KEY one of user, role, type, level or"
                + " filetype (e.g. label=type:container_t), or label=disable",
        "label=type=container_t|--security-opt label=type=container_t: expected label=KEY:VALUE with KEY one of"
                + " user, role, type, level or filetype (e.g. label=type:container_t), or label=disable",
        "label=kind:x|--security-opt label=kind:x: unknown label option 'kind'; use user, role, type, level or"
                + " filetype followed by ':' and a value, or label=disable",
        "label=nested|--security-opt label=nested: expected label=KEY:VALUE with KEY one of user, role, type, level"
                + " or filetype (e.g. label=type:container_t), or label=disable",
        "label=type:|--security-opt label=type:: type needs a value, e.g. label=type:container_t",
        "label=level:|--security-opt label=level:: level needs a value, e.g. label=level:s0:c1,c2",
        "label=type:a b_t|--security-opt label=type:a b_t: 'a b_t' is not an SELinux type (letters, digits, '_',"
                + " '.' and '-')",
        "label=type:x\"_t|--security-opt label=type:x\"_t: 'x\"_t' is not an SELinux type (letters, digits, '_',"
                + " '.' and '-')",
        "label=level:s0 c1|--security-opt label=level:s0 c1: 's0 c1' is not an SELinux level (e.g. s0 or"
                + " s0:c1,c2)",
        "selinux=type:x_t|--security-opt selinux=type:x_t: SELinux options are written label=KEY:VALUE, e.g."
                + " --security-opt label=type:container_t"})
    void badFormsAreOneLineErrorsSayingWhatToWrite(String flag, String message) {
        CordonException e = assertThrows(CordonException.class, () -> LabelOptions.of(spec(flag)));
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void theRequirementKeyIsWhatTheStageHandles() {
        assertTrue(spec("label=type:x_t").requirements().containsKey(LabelOptions.KIND));
        assertTrue(spec("label:disable").requirements().containsKey(LabelOptions.KIND));
        assertTrue(new SelinuxStage().handles().contains(LabelOptions.KIND));
    }
}
