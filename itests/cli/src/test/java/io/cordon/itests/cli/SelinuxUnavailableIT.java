package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SELinux stage on a host whose kernel has SELinux built in but not active (no selinuxfs): it is listed as
 * unavailable with the reason, a launch that asks for a label is refused in one line and leaves nothing, and a
 * launch that asks for none runs as before. The enforcing case is proven under a second kernel (itests/vm).
 */
class SelinuxUnavailableIT {
    static final String REASON = "SELinux is not active in this kernel (no selinuxfs at /sys/fs/selinux;"
            + " boot with security=selinux selinux=1)";

    @BeforeAll
    static void thisHostHasNoActiveSelinux() {
        assertFalse(Files.isDirectory(Path.of("/sys/fs/selinux")),
                "this test needs a host where SELinux is not active; /sys/fs/selinux exists here");
    }

    @Test
    void stagesListsSelinuxAsUnavailableWithTheReason() {
        Cordon.Result r = Cordon.run("stages");
        assertEquals(0, r.code(), r.err());
        String line = r.lines().stream().filter(l -> l.startsWith("selinux ")).findFirst()
                .orElseThrow(() -> new AssertionError("no selinux stage listed:\n" + r.out()));
        assertTrue(line.matches("selinux\\s+lsm_label\\s+20\\s+io\\.cordon\\.stage\\.selinux\\s+selinux\\s+"
                + "unavailable: .*"), line);
        assertTrue(line.endsWith("unavailable: " + REASON), line);
    }

    @Test
    void aLabelIsRefusedInOneLineAndLeavesNothing() {
        Set<String> mounts = Cordon.mounts();
        for (String label : List.of("label=type:container_t", "label:level:s0:c1,c2", "label=disable")) {
            Cordon.Result r = Cordon.run("run", "--security-opt", label, "--", "true");
            assertEquals(125, r.code(), r.err());
            assertEquals("cordon: refusing to launch: --security-opt " + label + " needs stage selinux, which is"
                    + " unavailable: " + REASON + "\n", r.err());
            assertEquals("", r.out());
        }
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
        Cordon.assertNoNewMounts(mounts, "a refused launch");
    }

    @Test
    void aMalformedLabelIsRefusedToo() {
        // Refused when the spec is built, before any stage is asked: the value itself is wrong.
        Cordon.Result r = Cordon.run("run", "--security-opt", "label=typo", "--", "true");
        assertEquals(125, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("--security-opt label=typo: expected label=KEY:VALUE"), r.err());
    }

    @Test
    void withoutALabelContainersRunAsBefore() {
        Cordon.Result r = Cordon.sh("echo ran; cat /proc/self/attr/current 2>/dev/null; echo end");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("ran", "end"), r.lines(), "no LSM gives the container a context to show");
        Cordon.Result plan = Cordon.run("run", "--dry-run", "--", "true");
        assertEquals(0, plan.code(), plan.err());
        assertFalse(plan.out().contains("attr/exec"), plan.out());
        assertFalse(plan.out().contains("context="), plan.out());
        assertTrue(plan.out().lines().anyMatch(l -> l.matches("\\s+selinux\\s+lsm_label\\s+20\\s+unavailable: .*")),
                plan.out());
    }
}
