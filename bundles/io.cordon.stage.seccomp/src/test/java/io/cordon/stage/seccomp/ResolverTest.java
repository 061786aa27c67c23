package io.cordon.stage.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.Capability;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResolverTest {
    private static final long[] NO_ARGS = new long[6];

    private static int nr(String name) {
        return Arch.X86_64.syscall(name).orElseThrow();
    }

    private static Resolver.Resolved resolve(byte[] json, Set<String> caps, int major, int minor) {
        return Resolver.resolve(ProfileParser.parse(json, "t"), new Resolver.Context(Arch.X86_64, caps, major, minor));
    }

    @Test
    void mobyIncludesAndExcludesFollowTheCapabilities() {
        byte[] p = TestData.moby("fixtures/conditional_include.json");
        Resolver.Resolved none = resolve(p, Set.of(), 6, 1);
        assertEquals(Action.ALLOW, none.evaluate(nr("chmod"), NO_ARGS));
        assertEquals(Action.errno(1), none.evaluate(nr("syslog"), NO_ARGS), "included only with CAP_SYSLOG");
        assertEquals(Action.ALLOW, none.evaluate(nr("ptrace"), NO_ARGS), "excluded only with CAP_SYS_ADMIN");
        Resolver.Resolved both = resolve(p, Set.of("CAP_SYSLOG", "CAP_SYS_ADMIN"), 6, 1);
        assertEquals(Action.ALLOW, both.evaluate(nr("syslog"), NO_ARGS));
        assertEquals(Action.errno(1), both.evaluate(nr("ptrace"), NO_ARGS));
    }

    @Test
    void dockersDefaultOnX86WithItsDefaultCapabilities() {
        Resolver.Resolved r = Resolver.resolve(ProfileParser.parse(TestData.moby("default.json"), "d"),
                TestData.X86_DEFAULT_CAPS);
        assertEquals(Action.ALLOW, r.evaluate(nr("arch_prctl"), NO_ARGS), "includes arches amd64");
        assertEquals(Action.errno(1), r.evaluate(nr("mount"), NO_ARGS));
        assertEquals(Action.errno(38), r.evaluate(nr("clone3"), NO_ARGS));
        assertEquals(Action.ALLOW, r.evaluate(nr("clone"), new long[] {0x11, 0, 0, 0, 0, 0}));
        assertEquals(Action.errno(1), r.evaluate(nr("clone"), new long[] {0x10000000, 0, 0, 0, 0, 0}), "NEWUSER");
        assertEquals(Action.ALLOW, r.evaluate(nr("ptrace"), NO_ARGS), "minKernel 4.8 on 6.18");
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("SCMP_ARCH_X86, SCMP_ARCH_X32")), r.notes().toString());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("skipped: ") && n.contains("chown32")),
                r.notes().toString());
        Resolver.Resolved old = Resolver.resolve(ProfileParser.parse(TestData.moby("default.json"), "d"),
                new Resolver.Context(Arch.X86_64, Capability.capNames(Capability.DOCKER_DEFAULT), 4, 4));
        assertEquals(Action.errno(1), old.evaluate(nr("ptrace"), NO_ARGS), "no ptrace before 4.8");
        Resolver.Resolved admin = Resolver.resolve(ProfileParser.parse(TestData.moby("default.json"), "d"),
                TestData.X86_ALL_CAPS);
        assertEquals(Action.ALLOW, admin.evaluate(nr("clone3"), NO_ARGS));
        assertEquals(Action.ALLOW, admin.evaluate(nr("mount"), NO_ARGS));
    }

    @Test
    void podmansProfileAnswersUnlistedSyscallsWithEnosysAndGatesTheAuditSocket() {
        byte[] p = TestData.podman();
        Resolver.Resolved none = resolve(p, Set.of(), 6, 18);
        assertEquals(Action.errno(Action.ENOSYS), none.evaluate(nr("add_key"), NO_ARGS), "not listed: defaultErrno");
        assertEquals(Action.errno(1), none.evaluate(nr("kexec_load"), NO_ARGS), "listed with errno EPERM");
        assertEquals(Action.errno(1), none.evaluate(nr("open_by_handle_at"), NO_ARGS), "EPERM without the capability");
        assertEquals(Action.ALLOW, none.evaluate(nr("unshare"), NO_ARGS), "podman allows unshare and mount");
        assertEquals(Action.errno(22), none.evaluate(nr("socket"), new long[] {16, 3, 9, 0, 0, 0}),
                "AF_NETLINK, NETLINK_AUDIT without CAP_AUDIT_WRITE");
        assertEquals(Action.ALLOW, none.evaluate(nr("socket"), new long[] {16, 3, 0, 0, 0, 0}));
        assertEquals(Action.ALLOW, none.evaluate(nr("socket"), new long[] {2, 1, 9, 0, 0, 0}));
        Resolver.Resolved audit = resolve(p, Set.of("CAP_AUDIT_WRITE", "CAP_DAC_READ_SEARCH"), 6, 18);
        assertEquals(Action.ALLOW, audit.evaluate(nr("socket"), new long[] {16, 3, 9, 0, 0, 0}));
        assertEquals(Action.ALLOW, audit.evaluate(nr("open_by_handle_at"), NO_ARGS));
        Resolver.Resolved all = Resolver.resolve(ProfileParser.parse(p, "podman"), TestData.X86_ALL_CAPS);
        assertEquals(Action.errno(1), all.evaluate(nr("kexec_load"), NO_ARGS), "refused whatever the capabilities");
    }

    @Test
    void theFirstUnconditionalRuleWinsAndRepeatedArgumentsAreOred() {
        String json = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                + "{\"names\":[\"close\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}]},"
                + "{\"names\":[\"close\"],\"action\":\"SCMP_ACT_LOG\"},"
                + "{\"names\":[\"close\"],\"action\":\"SCMP_ACT_TRAP\"},"
                + "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
                + "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]},"
                + "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
        Resolver.Resolved r = resolve(json.getBytes(StandardCharsets.UTF_8), Set.of(), 6, 1);
        assertEquals(new Action(Action.Kind.LOG, 0), r.evaluate(nr("close"), new long[] {5, 0, 0, 0, 0, 0}));
        assertEquals(Action.ALLOW, r.evaluate(nr("read"), new long[] {2, 0, 0, 0, 0, 0}), "OR over index 0");
        assertEquals(Action.ALLOW, r.evaluate(nr("read"), new long[] {7, 9, 0, 0, 0, 0}));
        assertEquals(Action.errno(1), r.evaluate(nr("read"), new long[] {7, 8, 0, 0, 0, 0}));
        assertTrue(!r.syscalls().containsKey(nr("write")), "a rule with the default action is dropped");
    }

    @Test
    void cordonsDefaultNeedsNoSkippedNamesOnEitherArchitecture() {
        for (Arch a : Arch.values()) {
            Resolver.Resolved r = Resolver.resolve(ProfileParser.parse(TestData.cordonDefault(), "default"),
                    new Resolver.Context(a, Capability.capNames(Capability.KNOWN), 6, 18));
            assertEquals(java.util.List.of(), r.notes(), a.id());
        }
    }
}
