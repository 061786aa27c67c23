package io.cordon.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The capability table and the set Docker computes from --privileged, --cap-add and --cap-drop. */
class CapabilityRequestTest {
    static final long ALL40 = 0x1ffffffffffL;
    static final long DEFAULT = 0x00000000a80425fbL;

    static CapabilityRequest request(List<String> add, List<String> drop) {
        return CapabilityRequest.parse(false, add, drop);
    }

    @Test
    void tableMatchesLinuxCapabilityH() {
        assertEquals(41, Capability.KNOWN.size());
        assertEquals(0, Capability.CHOWN.number());
        assertEquals(12, Capability.NET_ADMIN.number());
        assertEquals(21, Capability.SYS_ADMIN.number());
        assertEquals(31, Capability.SETFCAP.number());
        assertEquals(37, Capability.AUDIT_READ.number());
        assertEquals(40, Capability.CHECKPOINT_RESTORE.number());
        assertEquals("NET_ADMIN", Capability.nameOf(12));
        assertEquals("41", Capability.nameOf(41), "a bit beyond the table is its number");
        assertEquals("CAP_SYS_ADMIN", Capability.SYS_ADMIN.capName());
    }

    @Test
    void dockersDefaultFourteen() {
        assertEquals(14, Capability.DOCKER_DEFAULT.size());
        assertEquals(DEFAULT, Capability.mask(Capability.DOCKER_DEFAULT));
        assertEquals(Capability.DOCKER_DEFAULT, CapabilityRequest.DEFAULT.resulting());
        assertEquals(DEFAULT, CapabilityRequest.DEFAULT.mask(ALL40));
    }

    @Test
    void namesWithOrWithoutCapAnyCase() {
        for (String n : List.of("NET_ADMIN", "CAP_NET_ADMIN", "net_admin", "cap_net_admin", "Cap_Net_Admin", " net_admin")) {
            assertEquals(Capability.NET_ADMIN, Capability.parse("--cap-add", n), n);
        }
    }

    @Test
    void namesOfAMask() {
        assertEquals("none", Capability.namesOf(0));
        assertEquals("CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,SETGID,SETUID,SETPCAP,NET_BIND_SERVICE,NET_RAW,"
                + "SYS_CHROOT,MKNOD,AUDIT_WRITE,SETFCAP", Capability.namesOf(DEFAULT));
        assertEquals("CHECKPOINT_RESTORE,41,63", Capability.namesOf((1L << 40) | (1L << 41) | (1L << 63)));
        assertEquals(List.of("CAP_CHOWN", "CAP_KILL"), List.copyOf(Capability.capNames(
                Set.of(Capability.KILL, Capability.CHOWN))), "kernel order");
    }

    @Test
    void allFollowsTheKernel() {
        assertEquals(ALL40, Capability.allUpTo(40));
        assertEquals(0x3fffffffffL, Capability.allUpTo(37));
        assertEquals(0x7ffffffffffL, Capability.allUpTo(42));
        assertEquals(-1L, Capability.allUpTo(63));
    }

    @Test
    void addAndDrop() {
        CapabilityRequest r = request(List.of("NET_ADMIN", "sys_admin"), List.of("cap_chown", "MKNOD", "kill"));
        long expected = (DEFAULT | Capability.NET_ADMIN.bit() | Capability.SYS_ADMIN.bit())
                & ~Capability.CHOWN.bit() & ~Capability.MKNOD.bit() & ~Capability.KILL.bit();
        assertEquals(expected, r.mask(ALL40));
        assertEquals(Capability.of(expected), r.resulting());
        assertTrue(r.resulting().contains(Capability.SETUID));
    }

    @Test
    void dropAllKeepsOnlyTheAdds() {
        assertEquals(0, request(List.of(), List.of("ALL")).mask(ALL40));
        assertEquals(Set.of(Capability.NET_RAW), request(List.of("net_raw"), List.of("all")).resulting());
    }

    @Test
    void addAllKeepsEverythingButTheDropsAlsoOnANewerKernel() {
        CapabilityRequest r = request(List.of("ALL"), List.of("SYS_BOOT"));
        assertEquals(ALL40 & ~Capability.SYS_BOOT.bit(), r.mask(ALL40));
        assertEquals(Capability.allUpTo(42) & ~Capability.SYS_BOOT.bit(), r.mask(Capability.allUpTo(42)));
        assertEquals(40, r.resulting().size());
        assertEquals(ALL40, request(List.of("ALL"), List.of("ALL")).mask(ALL40), "adding ALL comes first, as in Docker");
    }

    @Test
    void privilegedKeepsEverything() {
        CapabilityRequest r = CapabilityRequest.parse(true, List.of(), List.of("ALL"));
        assertEquals(ALL40, r.mask(ALL40));
        assertEquals(Capability.KNOWN, r.resulting());
    }

    @Test
    void unknownNamesAreOneLineErrorsNamingTheFlag() {
        CordonException e = assertThrows(CordonException.class, () -> request(List.of("CAP_FLY"), List.of()));
        assertEquals("--cap-add CAP_FLY: unknown capability (names as in capabilities(7), with or without CAP_,"
                + " e.g. NET_ADMIN; or ALL)", e.getMessage());
        assertEquals(125, e.exitCode());
        assertTrue(assertThrows(CordonException.class, () -> request(List.of(), List.of("fly"))).getMessage()
                .startsWith("--cap-drop fly: unknown capability"));
        assertThrows(CordonException.class, () -> request(List.of(), List.of("")));
        assertThrows(CordonException.class, () -> request(List.of(), List.of("CAP_ALL")));
        assertThrows(CordonException.class, () -> request(List.of("NET_ADMIN,SYS_ADMIN"), List.of()),
                "one name per value, as Docker takes them");
    }

    @Test
    void theSpecAsksForEachFlagUnderItsRequirementKey() {
        ContainerSpec spec = ContainerSpec.builder().command("true").capabilities(CapabilityRequest.parse(true,
                List.of("net_admin"), List.of("ALL"))).build();
        assertEquals(Map.of(ContainerSpec.REQ_PRIVILEGED, "--privileged", ContainerSpec.REQ_CAP_ADD,
                "--cap-add NET_ADMIN", ContainerSpec.REQ_CAP_DROP, "--cap-drop ALL"), spec.requirements());
        assertFalse(CapabilityRequest.DEFAULT.adds() || CapabilityRequest.DEFAULT.drops());
        assertEquals(EnumSet.of(Capability.NET_ADMIN), spec.capabilities().add());
    }
}
