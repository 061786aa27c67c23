package io.cordon.stage.apparmor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.Availability;
import io.cordon.api.CordonException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe against fake sysfs trees, one per way a host can lack a usable AppArmor. */
class AppArmorHostTest {
    @TempDir
    Path temp;

    private AppArmorHost.State probe(FakeHost h) {
        return h.host().probe();
    }

    @Test
    void notInTheKernel() {
        FakeHost h = new FakeHost(temp);
        h.write("sys/kernel/security/lsm", "lockdown,capability,landlock,yama");
        assertEquals(new AppArmorHost.State(false, "AppArmor is not in this kernel (no /sys/module/apparmor)"),
                probe(h));
        FakeHost bare = new FakeHost(temp.resolve("bare"));
        bare.mkdir("sys/kernel/security");
        assertEquals("AppArmor is not in this kernel (no /sys/module/apparmor)", probe(bare).reason(),
                "securityfs not mounted either (this VM): the missing kernel support is the reason that matters");
    }

    @Test
    void builtInButNotEnabled() {
        FakeHost h = new FakeHost(temp);
        h.write("sys/module/apparmor/parameters/enabled", "N\n");
        h.write("sys/kernel/security/lsm", "lockdown,capability,selinux");
        assertEquals(new AppArmorHost.State(false, "AppArmor is built in but not enabled"
                + " (/sys/module/apparmor/parameters/enabled = N; boot with apparmor=1 security=apparmor)"), probe(h));
    }

    @Test
    void securityfsNotMounted() {
        FakeHost h = new FakeHost(temp);
        h.write("sys/module/apparmor/parameters/enabled", "Y\n");
        assertEquals(new AppArmorHost.State(false, "securityfs is not mounted at /sys/kernel/security"
                + " (mount -t securityfs securityfs /sys/kernel/security)"), probe(h));
    }

    @Test
    void enabledButAnotherMajorLsmWasChosen() {
        FakeHost h = new FakeHost(temp);
        h.write("sys/module/apparmor/parameters/enabled", "Y\n");
        h.write("sys/kernel/security/lsm", "lockdown,capability,yama,selinux\n");
        assertEquals(new AppArmorHost.State(false, "AppArmor is built in but not an active LSM (active:"
                + " lockdown,capability,yama,selinux; boot with security=apparmor, or add apparmor to lsm=)"),
                probe(h));
    }

    @Test
    void listedButThePolicyInterfaceIsMissing() {
        FakeHost h = new FakeHost(temp);
        h.write("sys/module/apparmor/parameters/enabled", "Y\n");
        h.write("sys/kernel/security/lsm", "capability,apparmor");
        AppArmorHost.State s = probe(h);
        assertFalse(s.active());
        assertEquals("the kernel lists apparmor as an active LSM but /sys/kernel/security/apparmor (its policy"
                + " interface) is missing", s.reason());
    }

    @Test
    void activeWhenListedAndThePolicyInterfaceIsThere() {
        FakeHost h = FakeHost.activeAppArmor(temp);
        assertEquals(new AppArmorHost.State(true, ""), probe(h));
        assertEquals(Optional.of("enforce"), h.host().mode());
    }

    @Test
    void anLsmNamedLikeApparmorIsNotApparmor() {
        FakeHost h = FakeHost.activeAppArmor(temp);
        h.write("sys/kernel/security/lsm", "capability,apparmor2");
        assertFalse(probe(h).active());
    }

    @Test
    void loadedProfilesAreMatchedByWholeName() {
        FakeHost h = FakeHost.activeAppArmor(temp, "cordon-default", "/usr/bin/man", "docker-default//x");
        h.write("sys/kernel/security/apparmor/profiles",
                "cordon-default (enforce)\n/usr/bin/man (complain)\nman_filter (enforce)\n");
        AppArmorHost host = h.host();
        assertTrue(host.isLoaded("cordon-default"));
        assertTrue(host.isLoaded("/usr/bin/man"), "complain mode is loaded too");
        assertTrue(host.isLoaded("man_filter"));
        assertFalse(host.isLoaded("cordon"));
        assertFalse(host.isLoaded("cordon-default (enforce)"));
        assertFalse(host.isLoaded("man"));
    }

    @Test
    void anUnreadableProfilesListIsAOneLineError() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        Files.delete(h.profilesList());
        CordonException e = assertThrows(CordonException.class, () -> h.host().isLoaded("x"));
        assertEquals("cannot check the loaded AppArmor profiles: /sys/kernel/security/apparmor/profiles is missing"
                + " (is securityfs mounted?)", e.getMessage());
    }

    @Test
    void theStageReportsTheReasonOrWhatItWillUse() throws Exception {
        FakeHost none = new FakeHost(temp.resolve("none"));
        none.mkdir("sys");
        Availability a = new AppArmorStage(none.host(), none.loader(Optional.empty())).probe();
        assertEquals(Availability.unavailable("AppArmor is not in this kernel (no /sys/module/apparmor)"), a);

        FakeHost h = FakeHost.activeAppArmor(temp.resolve("active"));
        Path parser = h.loadingParser();
        assertEquals(Availability.available("enforcing (default profile cordon-default, loaded at the first launch)"),
                new AppArmorStage(h.host(), h.loader(Optional.of(parser))).probe());
        h.write("sys/kernel/security/apparmor/profiles", "cordon-default (enforce)\n");
        assertEquals(Availability.available("enforcing (default profile cordon-default)"),
                new AppArmorStage(h.host(), h.loader(Optional.of(parser))).probe());
        assertEquals(Availability.available("enforcing (default profile cordon-default); apparmor_parser is not"
                + " installed, so only profiles already loaded can be used (apt-get install apparmor)"),
                new AppArmorStage(h.host(), h.loader(Optional.empty())).probe());
        h.write("sys/module/apparmor/parameters/mode", "complain\n");
        assertTrue(new AppArmorStage(h.host(), h.loader(Optional.of(parser))).probe().reason()
                .startsWith("global mode complain: profiles log what they would deny but deny nothing"
                        + " (default profile"));
    }
}
