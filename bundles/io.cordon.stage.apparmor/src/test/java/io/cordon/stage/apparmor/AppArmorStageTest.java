package io.cordon.stage.apparmor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the stage contributes to a launch and what it does on the host, against a fake AppArmor host. */
class AppArmorStageTest {
    @TempDir
    Path temp;

    record Context(ContainerSpec spec, boolean dryRun, Path stateDirectory) implements StageContext {
        @Override
        public String containerId() {
            return spec.id();
        }
    }

    private static ContainerSpec spec(String... securityOpts) {
        return ProfileChoiceTest.spec(securityOpts);
    }

    private StageRun open(AppArmorStage stage, boolean dryRun, String... securityOpts) {
        return stage.open(new Context(spec(securityOpts), dryRun, temp.resolve("state")));
    }

    private static List<PlanEntry> contribute(StageRun run) throws Exception {
        ChildPlan.Builder b = ChildPlan.builder();
        run.contribute(b.forStage("apparmor"));
        return b.build().entries();
    }

    private static void assertExecLabel(String profile, List<PlanEntry> entries) {
        assertEquals(1, entries.size(), entries.toString());
        PlanEntry e = entries.get(0);
        assertEquals(Phase.LSM_LABEL, e.phase());
        assertEquals("apparmor", e.stage());
        assertFalse(e.optional(), "a label that cannot be set must fail the launch, not be skipped");
        Op.WriteProcfs w = (Op.WriteProcfs) e.op();
        assertEquals(List.of("/proc/thread-self/attr/apparmor/exec", "/proc/self/attr/exec"), w.paths());
        assertArrayEquals(("exec " + profile).getBytes(StandardCharsets.UTF_8), w.data(),
                "exactly 'exec NAME', no trailing newline (which would clear the label)");
        assertFalse(new String(w.data(), StandardCharsets.UTF_8).endsWith("\n"));
    }

    @Test
    void theDefaultProfileIsLoadedThenPutOnTheExec() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        AppArmorStage stage = new AppArmorStage(h.host(), h.loader(Optional.of(h.loadingParser())));
        StageRun run = open(stage, false);
        run.prepare();
        assertEquals(1, h.parserCalls().size(), "loaded once");
        assertTrue(h.host().isLoaded("cordon-default"));
        assertExecLabel("cordon-default", contribute(run));
        assertEquals(Map.of("profile", "cordon-default"), run.stats());
        run.release();
        assertTrue(h.host().isLoaded("cordon-default"), "the default profile stays loaded: it is shared state");

        StageRun second = open(stage, false, "apparmor=cordon-default");
        second.prepare();
        assertEquals(1, h.parserCalls().size(), "a second launch finds it current and loads nothing");
        assertExecLabel("cordon-default", contribute(second));
    }

    @Test
    void aLoadedNamedProfileIsPutOnTheExecWithoutLoadingAnything() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp, "my-app");
        AppArmorStage stage = new AppArmorStage(h.host(), h.loader(Optional.of(h.loadingParser())));
        StageRun run = open(stage, false, "apparmor:my-app");
        run.prepare();
        assertExecLabel("my-app", contribute(run));
        assertEquals(List.of(), h.parserCalls());
        assertEquals(List.of(), FakeHost.tree(h.run), "naming a profile leaves nothing on the host");
        assertEquals(List.of(), FakeHost.tree(h.cache));
        assertEquals(Map.of("profile", "my-app"), run.stats());
    }

    @Test
    void aNamedProfileThatIsNotLoadedIsRefusedInPrepare() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp, "cordon-default", "other");
        AppArmorStage stage = new AppArmorStage(h.host(), h.loader(Optional.of(h.loadingParser())));
        StageRun run = open(stage, false, "apparmor=my-app");
        CordonException e = assertThrows(CordonException.class, run::prepare);
        assertEquals("apparmor profile 'my-app' is not loaded (load it with apparmor_parser -r FILE, then retry)",
                e.getMessage());
        assertEquals(List.of(), h.parserCalls(), "cordon never loads a profile it did not write");
        StageRun dry = open(stage, true, "apparmor=my-app");
        assertThrows(CordonException.class, dry::prepare, "a dry run says so too: checking creates nothing");
    }

    @Test
    void unconfinedWritesNothingAndLoadsNothing() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        AppArmorStage stage = new AppArmorStage(h.host(), h.loader(Optional.of(h.loadingParser())));
        StageRun run = open(stage, false, "apparmor=my-app", "apparmor=unconfined");
        run.prepare();
        assertEquals(List.of(), contribute(run));
        assertEquals(List.of(), h.parserCalls());
        assertEquals(List.of(), FakeHost.tree(h.run));
        assertEquals(Map.of("profile", "unconfined"), run.stats());
    }

    @Test
    void aDryRunShowsTheLabelButCreatesNothing() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        AppArmorStage stage = new AppArmorStage(h.host(), h.loader(Optional.of(h.loadingParser())));
        List<String> before = FakeHost.tree(temp);
        StageRun run = open(stage, true);
        run.prepare();
        assertExecLabel("cordon-default", contribute(run));
        run.release();
        assertEquals(List.of(), h.parserCalls(), "nothing loaded");
        assertEquals(before, FakeHost.tree(temp), "no file or directory created");
        assertFalse(Files.exists(h.run));
        assertFalse(Files.exists(h.cache));
    }

    @Test
    void openCreatesNothingAndRejectsBadNamesAtOnce() throws Exception {
        FakeHost h = FakeHost.activeAppArmor(temp);
        AppArmorStage stage = new AppArmorStage(h.host(), h.loader(Optional.of(h.loadingParser())));
        List<String> before = FakeHost.tree(temp);
        open(stage, false);
        assertEquals(before, FakeHost.tree(temp));
        assertThrows(CordonException.class, () -> open(stage, false, "apparmor=two words"));
    }

    @Test
    void aFailedLoadFailsTheLaunchBeforeTheChildExists() {
        FakeHost h = FakeHost.activeAppArmor(temp);
        AppArmorStage stage = new AppArmorStage(h.host(),
                h.loader(Optional.of(h.parser("echo 'AppArmor parser error: syntax error' >&2; exit 1"))));
        StageRun run = open(stage, false);
        CordonException e = assertThrows(CordonException.class, run::prepare);
        assertTrue(e.getMessage().contains("AppArmor parser error: syntax error"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void theStageSitsInTheLsmLabelPhase() {
        AppArmorStage stage = new AppArmorStage(new AppArmorHost(temp), null);
        assertEquals("apparmor", stage.name());
        assertEquals(Phase.LSM_LABEL, stage.phase());
    }
}
