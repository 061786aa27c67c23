package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The AppArmor stage on a host whose kernel cannot confine (this project's build VM has no AppArmor compiled
 * in): the stage list says why, a launch that asks for a profile is refused on one line rather than run less
 * isolated (fail closed), and a launch that asks for nothing runs as before and leaves nothing behind.
 *
 * <p>The host decides which case applies; every case asserts. On a host where AppArmor is active the same
 * commands must confine instead, which {@link #onAnAppArmorHostTheDefaultProfileConfines} checks; the
 * confinement itself is proven under a real AppArmor kernel by itests/vm's AppArmorVmIT.
 */
class AppArmorUnavailableIT {
    enum HostAppArmor {
        /** Not compiled into the kernel: no /sys/module/apparmor (this VM). */
        ABSENT,
        /** Built in but not confining: disabled, another major LSM, or securityfs not mounted. */
        INACTIVE,
        /** The active LSM with its policy interface. */
        ACTIVE
    }

    static HostAppArmor host() {
        if (!Files.isDirectory(Path.of("/sys/module/apparmor"))) {
            return HostAppArmor.ABSENT;
        }
        try {
            boolean listed = List.of(Files.readString(Path.of("/sys/kernel/security/lsm")).strip().split(","))
                    .contains("apparmor");
            return listed && Files.isDirectory(Path.of("/sys/kernel/security/apparmor")) ? HostAppArmor.ACTIVE
                    : HostAppArmor.INACTIVE;
        } catch (IOException e) {
            return HostAppArmor.INACTIVE;
        }
    }

    /** The apparmor row of {@code cordon stages}. */
    static String stagesRow() {
        Cordon.Result r = Cordon.run("stages");
        assertEquals(0, r.code(), r.err());
        return r.lines().stream().filter(l -> l.startsWith("apparmor ")).findFirst()
                .orElseThrow(() -> new AssertionError("no apparmor stage in cordon stages:\n" + r.out()));
    }

    @Test
    void theStageListSaysWhyAppArmorCannotConfineHere() {
        String row = stagesRow();
        assertTrue(row.matches("apparmor\\s+lsm_label\\s+10\\s+io\\.cordon\\.stage\\.apparmor\\s+apparmor\\s+.*"),
                row);
        switch (host()) {
            case ABSENT -> assertTrue(row.endsWith(
                    " unavailable: AppArmor is not in this kernel (no /sys/module/apparmor)"), row);
            case INACTIVE -> assertTrue(row.matches(".* unavailable: (AppArmor is built in but not (enabled|an active"
                    + " LSM) \\(.*\\)|securityfs is not mounted at /sys/kernel/security \\(mount -t securityfs"
                    + " securityfs /sys/kernel/security\\))"), row);
            case ACTIVE -> assertTrue(row.matches(".* available \\(enforcing \\(default profile cordon-default.*"),
                    row);
        }
    }

    @Test
    void askingForAProfileWhereAppArmorCannotConfineIsRefused() {
        if (host() == HostAppArmor.ACTIVE) {
            onAnAppArmorHostTheDefaultProfileConfines();
            return;
        }
        Set<String> mountsBefore = Cordon.mounts();
        for (String opt : List.of("apparmor=cordon-default", "apparmor:my-profile", "apparmor=unconfined")) {
            Cordon.Result r = Cordon.run("run", "--security-opt", opt, "--", "sh", "-c", "echo ran");
            assertEquals(125, r.code(), opt + ": " + r.err());
            assertEquals("", r.out(), "the container never started");
            List<String> err = r.err().lines().toList();
            assertEquals(1, err.size(), "one line: " + r.err());
            String reason = host() == HostAppArmor.ABSENT
                    ? "AppArmor is not in this kernel (no /sys/module/apparmor)" : "";
            assertTrue(err.get(0).startsWith("cordon: refusing to launch: --security-opt " + opt
                    + " needs stage apparmor, which is unavailable: " + reason), err.get(0));
        }
        assertEquals(List.of(), Cordon.stateEntries(), "a refused launch leaves no state");
        Cordon.assertNoNewMounts(mountsBefore, "refused AppArmor launches");
    }

    @Test
    void askingForNothingRunsWithoutAnExecLabel() {
        Cordon.Result r = Cordon.sh("echo ok");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("ok"), r.lines());
        Cordon.Result plan = Cordon.run("run", "--dry-run", "--", "true");
        assertEquals(0, plan.code(), plan.err());
        boolean label = plan.out().contains("attr/apparmor/exec");
        assertEquals(host() == HostAppArmor.ACTIVE, label,
                "the plan carries the default profile's exec label exactly where AppArmor is active:\n" + plan.out());
        if (host() == HostAppArmor.ABSENT) {
            assertFalse(Files.exists(Path.of("/var/cache/cordon/apparmor")),
                    "nothing is rendered or compiled where AppArmor cannot be used");
        }
    }

    /** Where AppArmor is active, the same launch runs under cordon's default profile. */
    void onAnAppArmorHostTheDefaultProfileConfines() {
        Cordon.Result r = Cordon.run("run", "--security-opt", "apparmor=cordon-default", "--", "cat",
                "/proc/self/attr/current");
        assertEquals(0, r.code(), r.err());
        assertEquals("cordon-default (enforce)", r.out().strip());
        Cordon.Result none = Cordon.run("run", "--security-opt", "apparmor=unconfined", "--", "cat",
                "/proc/self/attr/current");
        assertEquals(0, none.code(), none.err());
        assertEquals("unconfined", none.out().strip());
    }
}
