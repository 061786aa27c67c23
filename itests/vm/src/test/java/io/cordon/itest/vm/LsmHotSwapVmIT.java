package io.cordon.itest.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Swapping LSM bundles in a running runtime, on a host where AppArmor is the LSM (acceptance 3 of issue 7):
 * container A starts under AppArmor; the AppArmor bundle is stopped, and a launch asking for a profile is
 * refused; the SELinux bundle is installed and reported unavailable (this kernel runs AppArmor); AppArmor is
 * reinstalled from its jar and container B is confined again. A keeps its confinement throughout, as seen from
 * outside the container: a watcher in the guest reads A's /proc/PID/attr/current every half second.
 */
class LsmHotSwapVmIT {
    static final String DEFAULT = "cordon-default (enforce)";
    static final String A_LABEL = "/tmp/a-label";

    static GuestSession.Transcript t;

    static String jar(String bundle) {
        Path jar = GuestVm.HOME.resolve("bundles/" + bundle + "/target/" + bundle + "-0.1.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(jar), "not built: " + jar);
        return jar.toUri().toString();
    }

    @BeforeAll
    static void swapInOneRuntime() {
        String apparmor = jar("io.cordon.stage.apparmor");
        String selinux = jar("io.cordon.stage.selinux");
        t = new GuestSession()
                // The outside observer: find A's pid once, then read its label every half second ("gone" once
                // it has exited), so every later look is at the same process.
                .before("(p=; while [ -z \"$p\" ]; do p=$(pgrep -f -x 'sleep 600' | head -1); sleep 0.1; done;"
                        + " while :; do cat /proc/$p/attr/current > " + A_LABEL + ".new 2>/dev/null"
                        + " || echo gone > " + A_LABEL + ".new; mv " + A_LABEL + ".new " + A_LABEL + "; sleep 0.5;"
                        + " done) &")
                .step("initial", "cordon:stages")
                // Start without the SELinux bundle, so that installing it is part of the swap.
                .step("no-selinux", "uninstall io.cordon.stage.selinux", "cordon:stages")
                // -d returns once A is registered, which can be before it has exec'd sleep (the first launch
                // also loads cordon-default): a container waits for the watcher's first look, where a fixed
                // "sleep 6" once ran out on a loaded host.
                .step("a", "cordon:run -d -- sleep 600",
                        "cordon:run -v /tmp:/guest-tmp:ro -- sh -c"
                                + " 'until test -e /guest-tmp/a-label; do sleep 0.1; done'",
                        "cat " + A_LABEL)
                .step("stopped", "stop io.cordon.stage.apparmor", "cordon:stages", "cat " + A_LABEL)
                .step("refused", "cordon:run --security-opt apparmor=cordon-default -- true")
                .step("unlabelled", "cordon:run -- cat /proc/self/attr/current")
                .step("selinux", "start " + selinux, "cordon:stages",
                        "cordon:run --security-opt label=type:container_t -- true")
                .step("reinstalled", "uninstall io.cordon.stage.apparmor", "start " + apparmor, "cordon:stages")
                .step("b", "cordon:run -- cat /proc/self/attr/current")
                .step("a-end", "sleep 1", "cat " + A_LABEL)
                .after("sleep 1; cat /tmp/a-label; echo STATE=$(ls -A /run/cordon/containers 2>/dev/null | wc -l)")
                .run(GuestVm.Mode.APPARMOR, Duration.ofMinutes(8));
    }

    @Test
    void bothLsmStagesStartInstalledAndOnlyAppArmorIsActive() {
        String s = t.step("initial").output();
        assertTrue(s.contains("LSM: apparmor active; selinux unavailable: "), s);
        assertTrue(t.step("no-selinux").output().contains("LSM: apparmor active\n"), t.step("no-selinux").output());
    }

    @Test
    void containerAStartsConfinedAndStaysConfinedThroughTheSwap() {
        assertEquals(0, t.step("a").code(), t.step("a").output());
        assertTrue(java.util.regex.Pattern.compile("(?m)^[0-9a-f]{64}$").matcher(t.step("a").output()).find(),
                "-d prints the container id: " + t.step("a").output());
        for (String step : new String[] {"a", "stopped", "a-end"}) {
            assertTrue(t.step(step).output().contains(DEFAULT), step + ": " + t.step(step).output());
        }
    }

    @Test
    void withTheAppArmorBundleStoppedAProfileIsRefusedAndNothingIsLabelled() {
        assertTrue(t.step("stopped").output().contains("LSM: none installed"), t.step("stopped").output());
        GuestSession.Step refused = t.step("refused");
        assertEquals(125, refused.code(), refused.output());
        assertTrue(refused.output().contains("cordon: refusing to launch: --security-opt apparmor=cordon-default"
                + " asks for 'apparmor' but no installed stage handles it"), refused.output());
        assertTrue(t.step("unlabelled").output().contains("unconfined"), t.step("unlabelled").output());
    }

    @Test
    void theSelinuxBundleInstalledLiveIsReportedUnavailableAndRefusesLabels() {
        GuestSession.Step s = t.step("selinux");
        assertTrue(s.output().contains("selinux unavailable: "), s.output());
        assertEquals(125, s.code(), s.output());
        assertTrue(s.output().contains("--security-opt label=type:container_t needs stage selinux, which is"
                + " unavailable: "), s.output());
    }

    @Test
    void afterReinstallingAppArmorTheNextContainerIsConfinedAgain() {
        assertTrue(t.step("reinstalled").output().contains("LSM: apparmor active"), t.step("reinstalled").output());
        GuestSession.Step b = t.step("b");
        assertEquals(0, b.code(), b.output());
        assertTrue(b.output().contains(DEFAULT), b.output());
    }

    @Test
    void theRuntimeCleansUpAWhenItStops() {
        assertTrue(t.afterShell().contains("STATE=0"), t.afterShell());
        assertFalse(t.afterShell().contains(DEFAULT), "A outlived the runtime: " + t.afterShell());
    }
}
