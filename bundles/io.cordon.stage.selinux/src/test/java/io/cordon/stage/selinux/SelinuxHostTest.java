package io.cordon.stage.selinux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.cordon.api.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelinuxHostTest {
    @TempDir
    Path root;

    @Test
    void noSelinuxfsMeansSelinuxIsNotActive() {
        assertEquals(Availability.unavailable("SELinux is not active in this kernel (no selinuxfs at /sys/fs/selinux;"
                + " boot with security=selinux selinux=1)"), new SelinuxHost(root).probe());
    }

    @Test
    void theMountPointWithoutSelinuxfsOnIt() throws IOException {
        Files.createDirectories(root.resolve("sys/fs/selinux"));
        assertEquals(Availability.unavailable("SELinux is active but selinuxfs is not mounted at /sys/fs/selinux"
                + " (mount -t selinuxfs selinuxfs /sys/fs/selinux)"), new SelinuxHost(root).probe());
    }

    @Test
    void selinuxfsWithoutAPolicy() throws IOException {
        FakeSelinux h = new FakeSelinux(root).write("sys/fs/selinux/enforce", "0")
                .write("sys/fs/selinux/policyvers", "33");
        Files.createDirectories(root.resolve("sys/fs/selinux/class"));
        assertEquals(Availability.unavailable("selinuxfs is mounted at /sys/fs/selinux but no SELinux policy is"
                + " loaded (load one with load_policy)"), h.probe());
    }

    @Test
    void enforcingOrPermissiveWithThePolicyType() {
        FakeSelinux h = FakeSelinux.enforcing(root);
        assertEquals(Availability.available("enforcing, policy default"), h.probe());
        h.write("sys/fs/selinux/enforce", "0");
        assertEquals(Availability.available("permissive, policy default"), h.probe());
        h.delete("etc/selinux/config");
        assertEquals(Availability.available("permissive"), h.probe(), "the policy type is unknown without a config");
    }

    @Test
    void thisHostsProbeIsOneOfTheKnownAnswers() {
        Availability a = new SelinuxStage().probe();
        assertFalse(a.reason().isEmpty(), a.toString());
    }

    @Test
    void lxcContextsOfThePolicyNamedInTheConfig() {
        FakeSelinux h = FakeSelinux.enforcing(root);
        assertEquals(Optional.of("/etc/selinux/default/contexts/lxc_contexts"), h.lxcContextsPath());
        assertEquals("system_u:system_r:container_t:s0", h.lxcContexts().orElseThrow().process().orElseThrow()
                .toString());
        h.write("etc/selinux/config", "SELINUXTYPE=mls\n");
        assertEquals(Optional.empty(), h.lxcContexts(), "no lxc_contexts for the mls policy here");
    }

    @Test
    void theRuntimesContextComesFromProcSelfAttrCurrent() {
        assertEquals(FakeSelinux.RUNTIME_CONTEXT, FakeSelinux.enforcing(root).currentContext().toString());
    }

    @Test
    void canonicalFormThroughTheSelinuxfsTransaction() throws IOException {
        // A regular file in place of selinuxfs's context file answers with what was written: the real
        // transaction code (one write, then a read from offset 0) is exercised, the kernel is not.
        SelinuxHost real = new SelinuxHost(root);
        FakeSelinux.enforcing(root);
        assertEquals(Optional.of("system_u:system_r:container_t:s0"),
                real.canonical("system_u:system_r:container_t:s0"));
        FakeSelinux fake = FakeSelinux.enforcing(root);
        assertEquals(Optional.empty(), fake.canonical("system_u:system_r:nosuch_t:s0"), "EINVAL: not in the policy");
    }

    @Test
    void levelsInUseAreTheMcsPairsOfRunningProcesses() {
        FakeSelinux h = FakeSelinux.enforcing(root);
        h.write("proc/1/attr/current", "system_u:system_r:init_t:s0\0");
        h.write("proc/100/attr/current", "system_u:system_r:container_t:s0:c12,c345\0");
        h.write("proc/101/attr/current", "system_u:system_r:container_t:s0:c1,c2\n");
        h.write("proc/102/attr/current", "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023");
        h.write("proc/103/attr/current", "kernel");
        h.write("proc/self/attr/current", "system_u:system_r:container_t:s0:c7,c8");
        assertEquals(Set.of("s0:c12,c345", "s0:c1,c2"), h.levelsInUse());
    }

    @Test
    void noNewPrivsTransitionFromSelinuxfsAccess() {
        FakeSelinux h = FakeSelinux.enforcing(root);
        String src = FakeSelinux.RUNTIME_CONTEXT;
        String dst = "system_u:system_r:cordon_test_t:s0";
        h.accessAnswer = "1 ffffffff 0 ffffffff 7 0";
        assertEquals(Optional.of(true), h.allowsNoNewPrivsTransition(src, dst));
        assertEquals(src + " " + dst + " 125", h.requests.get(h.requests.size() - 1)
                .substring((SelinuxHost.SELINUXFS + "/access <- ").length()));
        h.accessAnswer = "6 ffffffff 0 ffffffff 7 0";
        assertEquals(Optional.of(false), h.allowsNoNewPrivsTransition(src, dst));
        h.accessAnswer = "6 ffffffff 0 ffffffff 7 1";
        assertEquals(Optional.of(true), h.allowsNoNewPrivsTransition(src, dst), "a permissive source domain");
        h.accessAnswer = "6 ffffffff 0 ffffffff 7 0";
        h.write("sys/fs/selinux/enforce", "0");
        assertEquals(Optional.of(true), h.allowsNoNewPrivsTransition(src, dst), "permissive mode");
        h.accessAnswer = null;
        assertEquals(Optional.empty(), h.allowsNoNewPrivsTransition(src, dst), "the question was refused");
        h.delete("sys/fs/selinux/class/process2/index");
        h.accessAnswer = "6 ffffffff 0 ffffffff 7 0";
        assertEquals(Optional.empty(), h.allowsNoNewPrivsTransition(src, dst), "no process2 class");
    }
}
