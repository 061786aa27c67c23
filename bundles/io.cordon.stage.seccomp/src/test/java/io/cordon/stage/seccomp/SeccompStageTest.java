package io.cordon.stage.seccomp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.CapabilityRequest;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeccompStageTest {
    private final SeccompStage stage = new SeccompStage();

    private static StageContext launch(ContainerSpec spec) {
        return StageContext.of(spec, Path.of("/nonexistent"), true);
    }

    private List<PlanEntry> plan(ContainerSpec spec) throws Exception {
        StageRun run = stage.open(launch(spec));
        run.prepare();
        ChildPlan.Builder b = ChildPlan.builder();
        run.contribute(b.forStage(stage.name()));
        run.release();
        return b.build().entries();
    }

    private static ContainerSpec.Builder spec() {
        return ContainerSpec.builder().command("true");
    }

    @Test
    void describesItself() {
        assertEquals("seccomp", stage.name());
        assertEquals(Phase.SECCOMP, stage.phase());
        assertEquals(Set.of("seccomp"), stage.handles());
        assertTrue(stage.probe().available(), stage.probe().toString());
    }

    @Test
    void withoutAFlagTheDefaultProfileIsInstalledBeforeCapabilitiesAreDropped() throws Exception {
        // Without no_new_privs installing a filter needs CAP_SYS_ADMIN, so it goes before the
        // identity and capability phases; with no_new_privs it is the last step before exec.
        assertEquals(Phase.SECCOMP, plan(spec().securityOpts(List.of("no-new-privileges")).build())
                .get(0).phase());
        List<PlanEntry> entries = plan(spec().build());
        assertEquals(1, entries.size());
        assertEquals(Phase.LSM_LABEL, entries.get(0).phase());
        Op.Seccomp op = (Op.Seccomp) entries.get(0).op();
        assertEquals(0, op.flags());
        BpfInterpreter bpf = new BpfInterpreter(op.filter());
        int keyctl = Arch.X86_64.syscall("keyctl").orElseThrow();
        assertEquals(Action.errno(1), bpf.run(keyctl, Arch.X86_64.auditArch(), 0, new long[6]).action());
    }

    @Test
    void unconfinedContributesNothing() throws Exception {
        assertEquals(List.of(), plan(spec().securityOpts(List.of("seccomp=unconfined")).build()));
        assertEquals(1, plan(spec().securityOpts(List.of("seccomp=unconfined", "seccomp=builtin")).build()).size(),
                "the last one wins");
    }

    @Test
    void aProfileFileIsLoadedAndItsFlagsPassedOn(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("p.json");
        Files.writeString(f, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                + "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5}]}");
        Op.Seccomp op = (Op.Seccomp) plan(spec().securityOpts(List.of("seccomp=" + f)).build()).get(0)
                .op();
        assertEquals(2, op.flags());
        BpfInterpreter bpf = new BpfInterpreter(op.filter());
        assertEquals(Action.errno(5), bpf.run(Arch.X86_64.syscall("getcwd").orElseThrow(), Arch.X86_64.auditArch(), 0,
                new long[6]).action());
    }

    @Test
    void theCompiledProgramIsCachedByContent(@TempDir Path dir) throws Exception {
        FilterCache cache = new FilterCache();
        Resolver.Context ctx = TestData.X86_DEFAULT_CAPS;
        byte[] profile = TestData.cordonDefault();
        FilterCache.Compiled a = cache.get(profile, "a", ctx);
        FilterCache.Compiled b = cache.get(profile.clone(), "b", ctx);
        assertTrue(a == b, "same content, same program");
        assertEquals(1, cache.hits());
        FilterCache.Compiled admin = cache.get(profile, "a", TestData.X86_ALL_CAPS);
        assertFalse(a == admin, "other capabilities resolve differently");
        assertFalse(java.util.Arrays.equals(a.program(), admin.program()));
        byte[] changed = (new String(profile, java.nio.charset.StandardCharsets.UTF_8) + " ").getBytes(
                java.nio.charset.StandardCharsets.UTF_8);
        FilterCache.Compiled c = cache.get(changed, "c", ctx);
        assertFalse(a == c, "changed bytes are a new key");
        assertArrayEquals(a.program(), c.program());
        assertEquals(3, cache.misses());
    }

    @Test
    void badFlagsAndFilesAreOneLineErrors(@TempDir Path dir) throws Exception {
        CordonException empty = assertThrows(CordonException.class,
                () -> plan(spec().securityOpts(List.of("seccomp=")).build()));
        assertTrue(empty.getMessage().startsWith("--security-opt seccomp=: expected"), empty.getMessage());
        CordonException missing = assertThrows(CordonException.class, () -> plan(spec()
                .securityOpts(List.of("seccomp=" + dir.resolve("nope.json"))).build()));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                + "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}");
        ProfileException e = assertThrows(ProfileException.class,
                () -> plan(spec().securityOpts(List.of("seccomp=" + bad)).build()));
        assertEquals("seccomp profile " + bad + ": syscalls[0].args[0].index: 6 is out of range: a syscall has"
                + " arguments 0..5", e.getMessage());
    }

    @Test
    void otherSecurityOptionsAreNotOurs() throws Exception {
        assertEquals(1, plan(spec().securityOpts(List.of("apparmor=unconfined", "no-new-privileges")).build()).size());
    }

    @Test
    void theLastNoNewPrivilegesDecidesWhereTheFilterGoes() throws Exception {
        // Turned off again, no_new_privs is not set, so the filter must go in while cordon still has
        // CAP_SYS_ADMIN: in the seccomp phase the kernel would refuse it (EACCES) and the launch would fail.
        assertEquals(Phase.LSM_LABEL, plan(spec().securityOpts(List.of("no-new-privileges",
                "no-new-privileges:false")).build()).get(0).phase());
        assertEquals(Phase.SECCOMP, plan(spec().securityOpts(List.of("no-new-privileges:false",
                "no-new-privileges")).build()).get(0).phase());
        assertEquals(Phase.LSM_LABEL, plan(spec().securityOpts(List.of("no-new-privileges=false")).build()).get(0)
                .phase());
    }

    @Test
    void theSpecsCapabilitySetDecidesMobysConditionalRules() throws Exception {
        // cordon's default profile allows reboot only to a container with CAP_SYS_BOOT, as Docker's does.
        int reboot = Arch.X86_64.syscall("reboot").orElseThrow();
        Op.Seccomp plain = (Op.Seccomp) plan(spec().build()).get(0).op();
        assertEquals(Action.errno(1), new BpfInterpreter(plain.filter()).run(reboot, Arch.X86_64.auditArch(), 0,
                new long[6]).action());
        Op.Seccomp boot = (Op.Seccomp) plan(spec().capabilities(CapabilityRequest.parse(false, List.of("sys_boot"),
                List.of())).build()).get(0).op();
        assertEquals(Action.ALLOW, new BpfInterpreter(boot.filter()).run(reboot, Arch.X86_64.auditArch(), 0,
                new long[6]).action());
        Op.Seccomp privileged = (Op.Seccomp) plan(spec().capabilities(CapabilityRequest.parse(true, List.of(),
                List.of())).build()).get(0).op();
        assertEquals(Action.ALLOW, new BpfInterpreter(privileged.filter()).run(reboot, Arch.X86_64.auditArch(), 0,
                new long[6]).action());
    }
}
