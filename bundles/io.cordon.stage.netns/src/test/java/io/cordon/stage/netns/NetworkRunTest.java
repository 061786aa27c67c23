package io.cordon.stage.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.ContainerInfo;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What each --network mode contributes, and the errors found before any host state exists. */
class NetworkRunTest {
    @TempDir
    Path tmp;
    Path confDir;
    Path pluginDir;

    @BeforeEach
    void dirs() throws Exception {
        confDir = Files.createDirectories(tmp.resolve("net.d"));
        pluginDir = Files.createDirectories(tmp.resolve("cni"));
        for (String p : List.of("bridge", "portmap", "firewall", "host-local")) {
            Files.createFile(pluginDir.resolve(p), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwxr-xr-x")));
        }
    }

    record Ctx(ContainerSpec spec, Path stateDirectory, boolean dryRun) implements StageContext {
        public String containerId() {
            return spec.id();
        }

        @Override
        public ContainerInfo runningContainer(String idOrPrefix) {
            if (idOrPrefix.equals("abc")) {
                return new ContainerInfo("abc" + "0".repeat(61), 4321, List.of("sh"), Instant.now(), List.of());
            }
            throw new CordonException("no running container with id " + idOrPrefix);
        }
    }

    StageContext ctx(String... flags) {
        ContainerSpec.Builder b = ContainerSpec.builder().command("true");
        for (int i = 0; i < flags.length; i += 2) {
            b.setting(flags[i], flags[i + 1]);
        }
        ContainerSpec spec = b.build();
        return new Ctx(spec, tmp.resolve("state").resolve(spec.id()), true);
    }

    NetworkRun open(StageContext c) {
        return NetworkRun.open(c, confDir, List.of(pluginDir), (bin, env, in) -> {
            throw new AssertionError("no plugin runs in a dry run");
        });
    }

    ChildPlan plan(NetworkRun run, boolean privateMounts) throws Exception {
        ChildPlan.Builder b = ChildPlan.builder();
        if (privateMounts) {
            b.forStage("mountns").unshare(Namespace.MOUNT).add(Phase.PIVOT_ROOT, new Op.PivotRoot("/r"));
        }
        run.prepare();
        PlanBuilder p = b.forStage("netns");
        run.contribute(p);
        run.release();
        return b.build();
    }

    @Test
    void noneIsANewNamespace() throws Exception {
        ChildPlan p = plan(open(ctx()), true);
        assertEquals("netns", p.unshared().get(Namespace.NET));
        assertTrue(p.entries().stream().noneMatch(e -> e.stage().equals("netns")));
    }

    @Test
    void hostIsSharedAndShownAsSuch() throws Exception {
        ChildPlan p = plan(open(ctx("network", "host")), true);
        assertTrue(!p.unshared().containsKey(Namespace.NET) && p.joins().isEmpty());
        assertTrue(p.render().contains("host net"), p.render());
    }

    @Test
    void joinsAPathOrAContainersNamespace() throws Exception {
        Path ns = Files.createFile(tmp.resolve("ns"));
        assertEquals(ns.toString(), plan(open(ctx("network", "ns:" + ns)), true).joins().get(0).path());
        assertEquals("/proc/4321/ns/net", plan(open(ctx("network", "container:abc")), true).joins().get(0).path());
        CordonException missing = assertThrows(CordonException.class, () -> open(ctx("network", "ns:/no/such")));
        assertEquals("--network ns:/no/such: no such network namespace file /no/such", missing.getMessage());
        CordonException gone = assertThrows(CordonException.class, () -> open(ctx("network", "container:def")));
        assertEquals("--network container:def: no running container with id def", gone.getMessage());
    }

    @Test
    void bridgeJoinsThePinnedNamespaceAndWritesEtcOnlyInAPrivateDefaultRoot() throws Exception {
        StageContext c = ctx("network", "bridge");
        ChildPlan p = plan(open(c), true);
        assertEquals(c.stateDirectory().resolve("netns").toString(), p.joins().get(0).path());
        List<String> writes = p.entries().stream().filter(e -> e.stage().equals("netns"))
                .map(e -> e.phase() + " " + e.op().describe()).toList();
        assertEquals(2, writes.size(), writes.toString());
        assertTrue(writes.get(0).startsWith("PIVOT_ROOT write /etc/hosts"), writes.toString());
        assertTrue(writes.get(1).startsWith("PIVOT_ROOT write /etc/resolv.conf"), writes.toString());
        int pivot = p.entries().indexOf(p.entries().stream().filter(e -> e.op() instanceof Op.PivotRoot)
                .findFirst().orElseThrow());
        assertTrue(p.entries().get(pivot + 1).stage().equals("netns"), "right after pivot_root");
        assertTrue(plan(open(c), false).entries().isEmpty(), "never the host's /etc");
        ContainerSpec withRootfs = ContainerSpec.builder().command("true").rootfs(tmp).setting("network", "bridge")
                .build();
        assertTrue(plan(open(new Ctx(withRootfs, tmp.resolve("s"), true)), true).entries().stream()
                .noneMatch(e -> e.stage().equals("netns")), "never the user's --rootfs");
        assertTrue(!Files.exists(c.stateDirectory()), "a dry run creates nothing");
    }

    @Test
    void publishingNeedsACniNetworkWithThePortMappingsCapability() throws Exception {
        CordonException none = assertThrows(CordonException.class, () -> open(ctx("publish", "18080:8080")));
        assertTrue(none.getMessage().startsWith("-p 18080:8080/tcp: publishing a port needs a CNI network"),
                none.getMessage());
        Files.writeString(confDir.resolve("plain.conflist"),
                "{\"cniVersion\":\"1.0.0\",\"name\":\"plain\",\"plugins\":[{\"type\":\"bridge\"}]}");
        CordonException plain = assertThrows(CordonException.class,
                () -> open(ctx("network", "plain", "publish", "18080:8080")));
        assertTrue(plain.getMessage().contains("network plain has no plugin with the portMappings capability"),
                plain.getMessage());
        open(ctx("network", "bridge", "publish", "18080:8080"));
    }

    @Test
    void configErrorsNameTheFlagAndWhatIsWrong() throws Exception {
        CordonException unknown = assertThrows(CordonException.class, () -> open(ctx("network", "nosuch")));
        assertTrue(unknown.getMessage().startsWith("--network nosuch: unknown network 'nosuch'"), unknown.getMessage());
        Files.writeString(confDir.resolve("bad.conflist"), "{\"cniVersion\": \"1.0.0\", \"name\": \"bad\",");
        CordonException bad = assertThrows(CordonException.class, () -> open(ctx("network", "bad")));
        assertTrue(bad.getMessage().startsWith("--network bad: malformed CNI network config list " + confDir
                + "/bad.conflist: invalid JSON"), bad.getMessage());
        Files.writeString(confDir.resolve("lost.conflist"),
                "{\"cniVersion\":\"1.0.0\",\"name\":\"lost\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"nosuch\"}]}");
        CordonException lost = assertThrows(CordonException.class, () -> open(ctx("network", "lost")));
        assertTrue(lost.getMessage().startsWith("--network lost: CNI plugin 'nosuch' of network lost not found in "
                + pluginDir), lost.getMessage());
        for (CordonException e : List.of(unknown, bad, lost)) {
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }
}
