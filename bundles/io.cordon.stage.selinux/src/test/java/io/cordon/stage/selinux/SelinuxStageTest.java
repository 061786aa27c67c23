package io.cordon.stage.selinux;

import static io.cordon.stage.selinux.FakeSelinux.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageRun;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.MountFlags;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import io.cordon.api.plan.SyscallArg;
import io.cordon.linux.SyscallNumbers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage's part of a launch against a fake host: which labels, which ops, which notes. */
class SelinuxStageTest {
    @TempDir
    Path root;
    @TempDir
    Path state;

    FakeSelinux host;
    McsPairs pairs = new McsPairs();

    static final Op TMP = new Op.Mount("tmpfs", "/r/tmp", "tmpfs", MountFlags.NOSUID | MountFlags.NODEV, "mode=1777");
    static final Op PTS = new Op.Mount("devpts", "/r/dev/pts", "devpts", MountFlags.NOSUID, "newinstance,mode=0620");
    static final Op MQUEUE = new Op.Mount("mqueue", "/r/dev/mqueue", "mqueue", MountFlags.NOSUID, "");
    static final Op PROC = new Op.Mount("proc", "/r/proc", "proc", MountFlags.NOSUID, "");
    static final Op USR = new Op.Mount("/usr", "/r/usr", "", MountFlags.BIND | MountFlags.REC, "");

    SelinuxStage stage() {
        if (host == null) {
            host = FakeSelinux.enforcing(root);
        }
        return new SelinuxStage(host, pairs);
    }

    /** A launch of {@code spec}: the stage's run after prepare, and the plan with another stage's mounts. */
    record Launched(StageRun run, ChildPlan plan) {
        List<PlanEntry> selinuxOps() {
            return plan.entries().stream().filter(e -> e.stage().equals("selinux")).toList();
        }

        Op mount(String target) {
            return plan.entries().stream().map(PlanEntry::op)
                    .filter(o -> o instanceof Op.Mount m && m.target().equals(target)).findFirst().orElseThrow();
        }
    }

    Launched launch(ContainerSpec spec, boolean dryRun) throws Exception {
        StageRun run = stage().open(new FakeSelinux.Context(spec, state.resolve(spec.id()), dryRun));
        run.prepare();
        ChildPlan.Builder b = ChildPlan.builder();
        // The mount namespace stage contributes first (phase MOUNTS); the option must still reach its mounts.
        b.forStage("mountns").add(Phase.MOUNTS, USR).add(Phase.MOUNTS, TMP).add(Phase.MOUNTS, PTS)
                .add(Phase.MOUNTS, MQUEUE).add(Phase.MOUNTS, PROC);
        run.contribute(b.forStage("selinux"));
        return new Launched(run, b.build());
    }

    Launched launch(String... securityOpts) throws Exception {
        return launch(spec(securityOpts), false);
    }

    static Op.WriteProcfs write(List<String> paths, String label) {
        return new Op.WriteProcfs(paths, label.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aTypeOverTheLxcProcessContextLabelsExecKeyringAndMounts() throws Exception {
        ContainerSpec spec = spec("label=type:cordon_test_t");
        Launched l = launch(spec, false);
        String label = "system_u:system_r:cordon_test_t:s0";

        List<PlanEntry> ops = l.selinuxOps();
        assertEquals(List.of(Phase.LSM_LABEL, Phase.LSM_LABEL, Phase.LSM_LABEL),
                ops.stream().map(PlanEntry::phase).toList());
        assertEquals(write(List.of("/proc/thread-self/attr/keycreate", "/proc/self/attr/keycreate"), label),
                ops.get(0).op());
        assertEquals(new Op.Syscall(SyscallNumbers.keyctl(), List.of(new SyscallArg.Immediate(1),
                new SyscallArg.Str("cordon:" + spec.id()))), ops.get(1).op(), "KEYCTL_JOIN_SESSION_KEYRING");
        assertEquals(write(List.of("/proc/thread-self/attr/exec", "/proc/self/attr/exec"), label), ops.get(2).op());
        byte[] bytes = ((Op.WriteProcfs) ops.get(2).op()).data();
        assertEquals(label.length(), bytes.length, "exactly the label: no newline, no NUL");

        String context = ",context=\"system_u:object_r:container_file_t:s0\"";
        assertEquals(new Op.Mount("tmpfs", "/r/tmp", "tmpfs", MountFlags.NOSUID | MountFlags.NODEV,
                "mode=1777" + context), l.mount("/r/tmp"));
        assertEquals(new Op.Mount("devpts", "/r/dev/pts", "devpts", MountFlags.NOSUID,
                "newinstance,mode=0620" + context), l.mount("/r/dev/pts"));
        assertEquals(MQUEUE, l.mount("/r/dev/mqueue"));
        assertEquals(PROC, l.mount("/r/proc"));
        assertEquals(USR, l.mount("/r/usr"), "a bind mount keeps its source's labels");
        assertTrue(l.plan().notes().isEmpty(), l.plan().render());
    }

    @Test
    void filetypeAndLevelShapeTheMountLabel() throws Exception {
        Launched l = launch("label=type:cordon_test_t", "label=filetype:cordon_test_file_t", "label=level:s0:c1,c2");
        assertEquals(write(SelinuxRun.EXEC_ATTR, "system_u:system_r:cordon_test_t:s0:c1,c2"),
                l.selinuxOps().get(2).op());
        assertEquals("mode=1777,context=\"system_u:object_r:cordon_test_file_t:s0:c1,c2\"",
                ((Op.Mount) l.mount("/r/tmp")).data());
    }

    @Test
    void withoutLxcContextsThePartsNotGivenComeFromTheRuntimesContext() throws Exception {
        host = FakeSelinux.enforcing(root);
        host.delete("etc/selinux/default/contexts/lxc_contexts");
        host.write("proc/self/attr/current", "unconfined_u:unconfined_r:kernel_t:s0-s0:c0.c1023\0");
        Launched l = launch("label=type:cordon_test_t");
        assertEquals(write(SelinuxRun.EXEC_ATTR, "unconfined_u:unconfined_r:cordon_test_t:s0-s0:c0.c1023"),
                l.selinuxOps().get(2).op());
        assertEquals("mode=1777,context=\"system_u:object_r:tmpfs_t:s0-s0:c0.c1023\"",
                ((Op.Mount) l.mount("/r/tmp")).data(), "tmpfs_t with the process level");
    }

    @Test
    void anUndefinedTypeIsRefusedInPrepareWithOneLine() {
        CordonException e = assertThrows(CordonException.class, () -> launch("label=type:nosuch_t"));
        assertEquals("SELinux label system_u:system_r:nosuch_t:s0 is not valid in the loaded policy: the kernel"
                + " refuses it as the container's process label; the parts not given come from"
                + " /etc/selinux/default/contexts/lxc_contexts; use a user, role, type and level the policy defines"
                + " and allows together (seinfo -u, -r and -t list them)", e.getMessage());
        CordonException m = assertThrows(CordonException.class,
                () -> launch("label=type:cordon_test_t", "label=filetype:nosuch_file_t"));
        assertEquals("SELinux label system_u:object_r:nosuch_file_t:s0 is not valid in the loaded policy: the kernel"
                + " refuses it as the container's mount label; use --security-opt label=filetype:TYPE with a file"
                + " type the policy defines", m.getMessage());
    }

    @Test
    void anLxcFileLabelThePolicyLacksFallsBackToTmpfsWithANote() throws Exception {
        host = FakeSelinux.enforcing(root);
        host.types.remove("container_file_t"); // as on Debian without container-selinux
        Launched l = launch("label=type:cordon_test_t");
        assertEquals("mode=1777,context=\"system_u:object_r:tmpfs_t:s0\"", ((Op.Mount) l.mount("/r/tmp")).data());
        assertEquals(List.of(new ChildPlan.Note("selinux", "/etc/selinux/default/contexts/lxc_contexts gives the"
                + " file label system_u:object_r:container_file_t:s0, which the loaded policy does not define: tmpfs"
                + " and devpts mounts get system_u:object_r:tmpfs_t:s0 (choose with --security-opt"
                + " label=filetype:TYPE)")), l.plan().notes());
    }

    @Test
    void nothingAskedWithLxcContextsGivesEachContainerItsOwnMcsPair() throws Exception {
        host = FakeSelinux.enforcing(root);
        host.write("proc/4242/attr/current", "system_u:system_r:container_t:s0:c3,c5\0");
        pairs = new McsPairs(new McsPairsTest.Scripted(5, 3, 9, 700, 2, 8));

        Launched first = launch();
        Launched second = launch();

        assertEquals(write(SelinuxRun.EXEC_ATTR, "system_u:system_r:container_t:s0:c9,c700"),
                first.selinuxOps().get(2).op(), "c3,c5 is taken by a running process");
        assertEquals("mode=1777,context=\"system_u:object_r:container_file_t:s0:c9,c700\"",
                ((Op.Mount) first.mount("/r/tmp")).data());
        assertEquals(write(SelinuxRun.EXEC_ATTR, "system_u:system_r:container_t:s0:c2,c8"),
                second.selinuxOps().get(2).op());
        assertTrue(pairs.isReserved("s0:c9,c700") && pairs.isReserved("s0:c2,c8"));
        first.run().release();
        first.run().release();
        assertFalse(pairs.isReserved("s0:c9,c700"), "released with its container");
        assertTrue(pairs.isReserved("s0:c2,c8"));
    }

    @Test
    void randomPairsHaveTheRightShape() throws Exception {
        Launched l = launch();
        String label = new String(((Op.WriteProcfs) l.selinuxOps().get(2).op()).data(), StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("system_u:system_r:container_t:s0:c(\\d+),c(\\d+)").matcher(label);
        assertTrue(m.matches(), label);
        assertTrue(Integer.parseInt(m.group(1)) < Integer.parseInt(m.group(2)), label);
    }

    @Test
    void nothingAskedWithoutLxcContextsRunsInTheRuntimesContextAndSaysSo() throws Exception {
        host = FakeSelinux.enforcing(root);
        host.delete("etc/selinux/default/contexts/lxc_contexts");
        Launched l = launch();
        assertTrue(l.selinuxOps().isEmpty());
        assertEquals(TMP, l.mount("/r/tmp"));
        assertEquals(List.of(new ChildPlan.Note("selinux", "no label was asked for and the policy has no"
                + " lxc_contexts (/etc/selinux/default/contexts/lxc_contexts): the container runs unlabelled, in the"
                + " runtime's own SELinux context (system_u:system_r:kernel_t:s0)")), l.plan().notes());
        assertTrue(l.plan().render().contains("runtime's own SELinux context"), l.plan().render());
    }

    @Test
    void nothingAskedAndLxcContextsNamingUndefinedTypesRunsUnlabelledAndSaysSo() throws Exception {
        host = FakeSelinux.enforcing(root);
        host.types.remove("container_t");
        pairs = new McsPairs(new McsPairsTest.Scripted(1, 2));
        Launched l = launch();
        assertTrue(l.selinuxOps().isEmpty());
        assertEquals(List.of(new ChildPlan.Note("selinux", "/etc/selinux/default/contexts/lxc_contexts gives"
                + " system_u:system_r:container_t:s0:c1,c2, which the loaded policy does not define: the container runs"
                + " unlabelled, in the runtime's own SELinux context (system_u:system_r:kernel_t:s0); ask for one with"
                + " --security-opt label=type:TYPE")), l.plan().notes());
        assertFalse(pairs.isReserved("s0:c1,c2"), "the pair goes back at once");
    }

    @Test
    void disableLabelsNothingAndSaysSo() throws Exception {
        Launched l = launch("label=disable");
        assertTrue(l.selinuxOps().isEmpty());
        assertEquals(TMP, l.mount("/r/tmp"));
        assertEquals(List.of(new ChildPlan.Note("selinux", "--security-opt label=disable: the container runs"
                + " unlabelled, in the runtime's own SELinux context (system_u:system_r:kernel_t:s0)")),
                l.plan().notes());
        assertTrue(host.requests.isEmpty(), "nothing to check: " + host.requests);
    }

    @Test
    void aDryRunCreatesNothing() throws Exception {
        host = FakeSelinux.enforcing(root);
        List<String> before = tree(root);
        ContainerSpec spec = spec();
        Launched l = launch(spec, true);
        String label = new String(((Op.WriteProcfs) l.selinuxOps().get(2).op()).data(), StandardCharsets.US_ASCII);
        String level = label.substring(label.indexOf(":s0:") + 1);
        assertFalse(pairs.isReserved(level), "a dry run reserves no pair: " + level);
        l.run().release();
        assertEquals(before, tree(root));
        assertFalse(Files.exists(state.resolve(spec.id())), "no state directory");
        try (Stream<Path> s = Files.list(state)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void noNewPrivilegesWithoutNnpTransitionInThePolicyIsExplained() throws Exception {
        host = FakeSelinux.enforcing(root);
        host.accessAnswer = "0 ffffffff 0 ffffffff 3 0";
        Launched l = launch("label=type:cordon_test_t", "no-new-privileges");
        assertEquals(List.of(new ChildPlan.Note("selinux", "with no-new-privileges the loaded policy does not let"
                + " kernel_t enter cordon_test_t (process2 nnp_transition is not allowed): exec will be refused;"
                + " allow it in the policy or drop --security-opt no-new-privileges")), l.plan().notes());
        assertEquals(Optional.of("the command could not enter SELinux domain cordon_test_t: with no-new-privileges"
                + " the policy must allow process2 nnp_transition into it, and does not; allow it or drop"
                + " --security-opt no-new-privileges"), l.run().explainExit(126, 0));
        assertEquals(Optional.empty(), l.run().explainExit(0, 0));
        assertEquals(Optional.empty(), l.run().explainExit(137, 9));
    }

    @Test
    void noNewPrivilegesWithNnpTransitionAllowedNeedsNoNote() throws Exception {
        host = FakeSelinux.enforcing(root);
        host.accessAnswer = "1 ffffffff 0 ffffffff 3 0";
        Launched l = launch("label=type:cordon_test_t", "no-new-privileges=true");
        assertTrue(l.plan().notes().isEmpty(), l.plan().render());
        assertEquals(Optional.of("if the command did not start, SELinux may have refused its transition into"
                + " cordon_test_t (with no-new-privileges it needs process2 nnp_transition): look for avc: denied in"
                + " dmesg or the audit log"), l.run().explainExit(126, 0));
        Launched off = launch("label=type:cordon_test_t", "no-new-privileges", "no-new-privileges=false");
        assertEquals(Optional.of("if the command did not start, SELinux may have refused its transition into"
                + " cordon_test_t: look for avc: denied in dmesg or the audit log"), off.run().explainExit(126, 0));
    }

    @Test
    void stageIdentity() {
        SelinuxStage s = stage();
        assertEquals("selinux", s.name());
        assertEquals(Phase.LSM_LABEL, s.phase());
        assertEquals(java.util.Set.of("selinux"), s.handles());
        assertEquals("enforcing, policy default", s.probe().reason());
    }

    @Test
    void theProbeSaysWhenContainersAskingForNoLabelRunUnlabelled() {
        host = FakeSelinux.enforcing(root);
        SelinuxStage s = stage();
        host.types.remove("container_file_t");
        assertEquals("enforcing, policy default; containers that ask for no label run unlabelled:"
                + " /etc/selinux/default/contexts/lxc_contexts names container_file_t, which the loaded policy does"
                + " not define", s.probe().reason());
        host.types.remove("container_t");
        assertTrue(s.probe().reason().endsWith("names container_t, which the loaded policy does not define"),
                s.probe().reason());
        host.write("etc/selinux/default/contexts/lxc_contexts", "file = \"system_u:object_r:tmpfs_t:s0\"\n");
        assertEquals("enforcing, policy default; containers that ask for no label run unlabelled:"
                + " /etc/selinux/default/contexts/lxc_contexts has no process entry", s.probe().reason());
        host.delete("etc/selinux/default/contexts/lxc_contexts");
        assertEquals("enforcing, policy default; containers that ask for no label run unlabelled: the policy has"
                + " no lxc_contexts", s.probe().reason());
        host.write("etc/selinux/default/contexts/lxc_contexts", "process = \"nonsense\"\n");
        assertTrue(s.probe().available(), "a broken lxc_contexts does not make the stage unavailable");
    }

    private static List<String> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> {
                try {
                    return root.relativize(p) + (Files.isRegularFile(p) ? " " + Files.readString(p).hashCode() : "");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toList();
        }
    }
}
