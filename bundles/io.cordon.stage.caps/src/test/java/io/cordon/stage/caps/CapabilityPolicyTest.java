package io.cordon.stage.caps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.Capability;
import io.cordon.api.CapabilityRequest;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.plan.Op;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CapabilityPolicyTest {
    static final int LAST = 40;
    static final long ALL40 = 0x1ffffffffffL;
    static final long NET_ADMIN = 1L << 12;
    static final long NET_BIND_SERVICE = 1L << 10;
    static final long SYS_RESOURCE = 1L << 24;

    static Op.CapSet plan(List<String> add, List<String> drop) {
        return plan(add, drop, false, false, LAST, ALL40);
    }

    static Op.CapSet plan(List<String> add, List<String> drop, boolean privileged, boolean nonRootUser, int lastCap,
            long held) {
        return CapabilityPolicy.plan(CapabilityRequest.parse(privileged, add, drop), nonRootUser, lastCap, held);
    }

    @Test
    void dockerDefaultMask() {
        assertEquals(new Op.CapSet(0xa80425fbL, 0xa80425fbL, 0xa80425fbL, 0, 0), plan(List.of(), List.of()));
        assertEquals(0xa80425fbL, Capability.mask(Capability.DOCKER_DEFAULT));
    }

    @Test
    void addAndDrop() {
        Op.CapSet c = plan(List.of("NET_ADMIN"), List.of("cap_chown", "MKNOD"));
        long expected = (0xa80425fbL | NET_ADMIN) & ~1L & ~(1L << 27);
        assertEquals(new Op.CapSet(expected, expected, expected, 0, 0), c);
    }

    @Test
    void dropAllGivesZeroInEverySet() {
        assertEquals(new Op.CapSet(0, 0, 0, 0, 0), plan(List.of(), List.of("ALL")));
    }

    @Test
    void dropAllKeepsOnlyTheAdds() {
        assertEquals(new Op.CapSet(NET_ADMIN, NET_ADMIN, NET_ADMIN, 0, 0),
                plan(List.of("net_admin"), List.of("all")));
    }

    @Test
    void addAllKeepsEverythingButTheDrops() {
        long expected = ALL40 & ~NET_ADMIN;
        assertEquals(new Op.CapSet(expected, expected, expected, 0, 0), plan(List.of("ALL"), List.of("NET_ADMIN")));
    }

    @Test
    void privilegedKeepsEverythingCordonHolds() {
        long held = ALL40 & ~SYS_RESOURCE;
        Op.CapSet c = plan(List.of(), List.of("ALL"), true, false, LAST, held);
        assertEquals(new Op.CapSet(held, held, held, 0, 0), c);
    }

    @Test
    void defaultsCordonLacksAreLeftOutButAnExplicitAddIsAnError() {
        long held = ALL40 & ~(1L << 13); // no NET_RAW
        long expected = 0xa80425fbL & ~(1L << 13);
        assertEquals(new Op.CapSet(expected, expected, expected, 0, 0),
                plan(List.of(), List.of(), false, false, LAST, held));
        CordonException e = assertThrows(CordonException.class,
                () -> plan(List.of("NET_RAW"), List.of(), false, false, LAST, held));
        assertEquals("--cap-add NET_RAW: cordon itself does not hold CAP_NET_RAW (it is not in its permitted set),"
                + " so it cannot give it to a container", e.getMessage());
    }

    @Test
    void nonRootUserGetsTheAddedCapsAsAmbient() {
        Op.CapSet c = plan(List.of("NET_BIND_SERVICE"), List.of(), false, true, LAST, ALL40);
        assertEquals(new Op.CapSet(0xa80425fbL, NET_BIND_SERVICE, 0xa80425fbL, NET_BIND_SERVICE, NET_BIND_SERVICE),
                c, "effective is already what exec leaves a non-root user: the ambient set");
        Op.CapSet none = plan(List.of(), List.of(), false, true, LAST, ALL40);
        assertEquals(new Op.CapSet(0xa80425fbL, 0, 0xa80425fbL, 0, 0), none,
                "no --cap-add: nothing survives exec for a non-root user");
        Op.CapSet dropped = plan(List.of("ALL"), List.of("NET_ADMIN"), false, true, LAST, ALL40);
        assertEquals(ALL40 & ~NET_ADMIN, dropped.ambient());
    }

    @Test
    void whoIsRoot() {
        assertFalse(CapabilityPolicy.nonRoot(Optional.empty()));
        assertFalse(CapabilityPolicy.nonRoot(Optional.of("root")));
        assertFalse(CapabilityPolicy.nonRoot(Optional.of("0")));
        assertFalse(CapabilityPolicy.nonRoot(Optional.of("0:1000")));
        assertFalse(CapabilityPolicy.nonRoot(Optional.of(":1000")));
        assertTrue(CapabilityPolicy.nonRoot(Optional.of("1000")));
        assertTrue(CapabilityPolicy.nonRoot(Optional.of("1000:1000")));
        assertTrue(CapabilityPolicy.nonRoot(Optional.of("nobody")));
    }

    @Test
    void aNameTheSpecRefusesNeverReachesThePlan() {
        CordonException e = assertThrows(CordonException.class, () -> plan(List.of("CAP_FLY"), List.of()));
        assertEquals("--cap-add CAP_FLY: unknown capability (names as in capabilities(7), with or without CAP_,"
                + " e.g. NET_ADMIN; or ALL)", e.getMessage());
        assertEquals(125, e.exitCode());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(CordonException.class, () -> plan(List.of(), List.of("")));
        assertThrows(CordonException.class, () -> plan(List.of(), List.of("CAP_ALL")));
    }

    @Test
    void aNameThisKernelLacksIsAnError() {
        CordonException e = assertThrows(CordonException.class,
                () -> plan(List.of("BPF"), List.of(), false, false, 37, Capability.allUpTo(37)));
        assertEquals("--cap-add BPF: this kernel has no CAP_BPF (its last capability is 37, CAP_AUDIT_READ)",
                e.getMessage());
        CordonException drop = assertThrows(CordonException.class,
                () -> plan(List.of(), List.of("cap_perfmon"), false, false, 37, Capability.allUpTo(37)));
        assertEquals("--cap-drop PERFMON: this kernel has no CAP_PERFMON (its last capability is 37,"
                + " CAP_AUDIT_READ)", drop.getMessage());
    }

    @Test
    void fromTheSpec() {
        ContainerSpec spec = ContainerSpec.builder().command("true").capabilities(CapabilityRequest.parse(false,
                List.of("NET_BIND_SERVICE"), List.of("ALL"))).setting("user", "1000").build();
        assertEquals(new Op.CapSet(NET_BIND_SERVICE, NET_BIND_SERVICE, NET_BIND_SERVICE, NET_BIND_SERVICE,
                NET_BIND_SERVICE), CapabilityPolicy.plan(spec, LAST, ALL40));
        ContainerSpec privileged = ContainerSpec.builder().command("true")
                .capabilities(CapabilityRequest.parse(true, List.of(), List.of())).build();
        assertEquals(ALL40, CapabilityPolicy.plan(privileged, LAST, ALL40).bounding());
    }
}
