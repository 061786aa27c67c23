package io.cordon.itest.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.itest.vm.GuestVm.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 7: the AppArmor stage under a kernel where AppArmor is the active LSM, which this build host's kernel
 * is not. One guest boot and one cordon runtime for all of it ({@code apparmor-guest.sh} beside this class feeds
 * {@code bin/cordon shell} a Gogo script of {@code cordon:run} lines: a JVM starts ~40x slower under emulation).
 * Each container reports what it could do in lines "AA CASE CHECK RESULT", where RESULT is what it read, "ok",
 * or the errno name of the failure; the guest's own shell adds "HOST CHECK VALUE" lines.
 *
 * <p>The runtime comes from {@code features/full/target/full.jar}, built on the host by this module's dependency
 * on the feature (the guest never builds).
 */
class AppArmorVmIT {
    static final Duration TIMEOUT = Duration.ofMinutes(10);
    static GuestVm.Result guest;
    static final Map<String, String> AA = new LinkedHashMap<>();
    static final Map<String, String> HOST = new LinkedHashMap<>();
    static final Pattern AA_LINE = Pattern.compile("(?:cordon> )*AA (\\S+) (\\S+) (.*)");
    static final Pattern HOST_LINE = Pattern.compile("HOST (\\S+) (.*)");

    @BeforeAll
    static void runEveryContainerInOneGuest() throws IOException {
        assertTrue(Files.isRegularFile(GuestVm.HOME.resolve("features/full/target/full.jar")),
                "build the runtime on the host first (mvn -pl itests/vm -am verify does)");
        String script;
        try (InputStream in = AppArmorVmIT.class.getResourceAsStream("apparmor-guest.sh")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // The guest starts in this JVM's working directory (the module); bin/cordon is at the repository root.
        guest = GuestVm.run(Mode.APPARMOR, "cd '" + GuestVm.HOME + "' || exit 1\n" + script, TIMEOUT);
        for (String line : guest.lines()) {
            // A container's first line may follow the shell's prompt, which Gogo prints without a newline.
            Matcher aa = AA_LINE.matcher(line.strip());
            Matcher host = HOST_LINE.matcher(line.strip());
            if (aa.matches()) {
                AA.put(aa.group(1) + " " + aa.group(2), aa.group(3));
            } else if (host.matches()) {
                HOST.put(host.group(1), host.group(2));
            }
        }
        // The script's exit status is its last echo's; the shell's own status is the line it printed.
        assertEquals("0", HOST.get("shell-exit"), "bin/cordon shell exit status in:\n" + guest.output());
    }

    private static void assertAa(String expected, String caseAndCheck) {
        assertEquals(expected, AA.get(caseAndCheck), caseAndCheck + " in:\n" + guest.output());
    }

    @Test
    void theStageIsAvailableAndLoadsItsDefaultProfileOnce() {
        assertTrue(guest.output().matches("(?s).*\napparmor +lsm_label +10 +io\\.cordon\\.stage\\.apparmor +apparmor"
                + " +available \\(enforcing \\(default profile cordon-default, loaded at the first launch\\)\\)\n.*"),
                guest.output());
        assertEquals(1, guest.output().split("INFO: loaded AppArmor profile cordon-default ", -1).length - 1,
                "loaded by the first launch, found current by every later one:\n" + guest.output());
        assertTrue(HOST.get("profiles").contains("cordon-default (enforce);"), guest.output());
    }

    @Test
    void cordonRecordsTheTextItLoadedAndCachesTheCompiledPolicy() {
        String recorded = HOST.get("recorded-sha256");
        assertTrue(recorded != null && recorded.matches("[0-9a-f]{64}"), guest.output());
        assertEquals(recorded, HOST.get("source-sha256"), "the hash is of the rendered source that was loaded");
        assertEquals("1", HOST.get("compiled-cache"), "apparmor_parser -W wrote cordon's own cache");
        assertEquals("0", HOST.get("containers-left"), "every launch released its state");
    }

    @Test
    void byDefaultAContainerRunsUnderCordonDefault() {
        assertAa("cordon-default (enforce)", "default attr");
        assertAa("ok", "default read-group");
        assertAa("cordon-default (enforce)", "default-nnp attr");
    }

    @Test
    void theSysRqTriggerIsOutOfReach() {
        // A write is stopped first by the read-only bind the mount stage puts on /proc/sysrq-trigger: the kernel
        // checks the mount before it asks the LSM. The profile's own deny rule shows on a read, which AppArmor
        // refuses while an unconfined container gets as far as the file (EIO: it has no read method).
        assertAa("EROFS", "default sysrq-write");
        assertAa("EACCES", "default sysrq-read");
        assertAa("EIO", "unconfined sysrq-read");
    }

    @Test
    void mountIsDeniedByTheProfileEvenWithSysAdmin() {
        assertAa("cordon-default (enforce)", "default-sys-admin attr");
        // EACCES is AppArmor's answer; a missing capability or seccomp would have given EPERM, and the same
        // container unconfined mounts.
        assertAa("EACCES", "default-sys-admin mount");
        assertAa("ok", "unconfined mount");
    }

    @Test
    void aCustomProfileDeniesWhatItSaysAndNothingElse() {
        assertEquals("loaded", HOST.get("test-profile"), guest.output());
        assertAa("cordon-test-deny (enforce)", "custom attr");
        assertAa("EACCES", "custom read-group");
        assertAa("ok", "custom read-passwd");
    }

    @Test
    void unconfinedRunsWithoutAProfile() {
        assertAa("unconfined", "unconfined attr");
        assertAa("ok", "unconfined read-group");
    }

    @Test
    void aProfileThatIsNotLoadedIsRefusedOnOneLine() {
        assertTrue(guest.output().contains("cordon: stage apparmor failed in prepare: apparmor profile"
                + " 'cordon-not-loaded' is not loaded (load it with apparmor_parser -r FILE, then retry)\n"),
                guest.output());
        assertFalse(guest.output().contains("AA not-loaded ran"),
                "the container must not start:\n" + guest.output());
    }

    @Test
    void theHostCanStillSignalAConfinedContainer() {
        // The profile lets unconfined processes signal in (cordon's launcher forwards signals, cordon kill).
        assertEquals("sent", HOST.get("signal"), guest.output());
        assertAa("143", "signal exit");
    }
}
