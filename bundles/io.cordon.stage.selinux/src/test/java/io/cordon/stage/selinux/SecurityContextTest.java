package io.cordon.stage.selinux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SecurityContextTest {

    @Test
    void aLevelKeepsItsColonsAndRange() {
        SecurityContext c = SecurityContext.parse("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023");
        assertEquals("unconfined_u", c.user());
        assertEquals("unconfined_r", c.role());
        assertEquals("unconfined_t", c.type());
        assertEquals(Optional.of("s0-s0:c0.c1023"), c.level());
        assertEquals(Optional.of("s0"), c.sensitivity());
        assertEquals("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", c.toString());
    }

    @Test
    void theKernelsTrailingNulAndNewlineAreDropped() {
        assertEquals("system_u:system_r:kernel_t:s0",
                SecurityContext.parse("system_u:system_r:kernel_t:s0\0").toString());
        assertEquals("u:r:t", SecurityContext.parse("u:r:t\n").toString());
        assertEquals(Optional.empty(), SecurityContext.parse("u:r:t").sensitivity());
    }

    @Test
    void notAContext() {
        assertThrows(IllegalArgumentException.class, () -> SecurityContext.parse("kernel"));
        assertThrows(IllegalArgumentException.class, () -> SecurityContext.parse("u::t:s0"));
        assertThrows(IllegalArgumentException.class, () -> SecurityContext.parse(""));
    }
}
