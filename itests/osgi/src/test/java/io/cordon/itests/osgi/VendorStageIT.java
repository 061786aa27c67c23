package io.cordon.itests.osgi;

import static io.cordon.itests.osgi.Support.awaitStages;
import static io.cordon.itests.osgi.Support.gogo;
import static io.cordon.itests.osgi.Support.run;
import static io.cordon.itests.osgi.Support.runOk;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import io.cordon.api.StageInfo;
import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * A third party's stage, installed while the runtime runs: before, its option is refused (fail
 * closed); after, the next container gets its in-child write, and explain shows whose op it is.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class VendorStageIT {
    @Inject
    private BundleContext context;

    @Inject
    private ContainerRuntime runtime;

    @Configuration
    public Option[] config() {
        return CordonOptions.runtime(getClass().getSimpleName());
    }

    private static ContainerSpec catMarker() {
        return ContainerSpec.builder().option("vendor.marker", "hello").command("cat", "/etc/vendor-marker").build();
    }

    private void assertRefused(String when) {
        Support.Output refused = run(runtime, catMarker());
        assertEquals(when + ", --opt vendor.marker must be refused: " + refused, 125, refused.result().exitCode());
        assertNotNull(when + ", a refusal says why: " + refused, refused.result().error());
        assertTrue(when + ", the refusal names the option: " + refused,
                refused.result().error().contains("vendor.marker"));
        assertEquals(when + ", nothing ran: " + refused, "", refused.out());
    }

    @Test
    public void aVendorStageInstalledAtRuntimeServesTheNextLaunch() throws Exception {
        awaitStages(runtime, "the walking-skeleton stages", s -> s.containsAll(List.of("pidns", "mountns", "utsns",
                "ipcns")));
        assertRefused("before the vendor bundle is installed");

        Bundle vendor = context.installBundle(CordonOptions.fileUrl(CordonOptions.vendorStageJar()));
        try {
            assertEquals("io.cordon.itest.stage.vendor", vendor.getSymbolicName());
            vendor.start();
            awaitStages(runtime, "stage vendor", s -> s.contains("vendor"));
            StageInfo info = runtime.stages().stream().filter(s -> s.name().equals("vendor")).findFirst()
                    .orElseThrow();
            assertEquals(Phase.SYSTEM, info.phase());
            assertEquals(100, info.order());
            assertEquals("io.cordon.itest.stage.vendor", info.bundle());
            assertTrue("available: " + info.availability(), info.availability().available());

            ContainerSpec spec = catMarker();
            assertEquals("the vendor stage wrote /etc/vendor-marker in the container's root", "hello\n",
                    runOk(runtime, spec).out());

            ChildPlan plan = runtime.explain(spec);
            List<PlanEntry> entries = plan.entries();
            int write = -1;
            int pivot = -1;
            for (int i = 0; i < entries.size(); i++) {
                PlanEntry e = entries.get(i);
                if (e.op() instanceof Op.PivotRoot) {
                    pivot = i;
                }
                if (e.op() instanceof Op.WriteFileInRoot w && w.path().equals("/etc/vendor-marker")) {
                    assertEquals("stage of the write", "vendor", e.stage());
                    assertEquals("phase of the write", Phase.SYSTEM, e.phase());
                    assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), w.data());
                    write = i;
                }
            }
            String rendered = plan.render();
            assertTrue("explain has the vendor's write:\n" + rendered, write >= 0);
            assertTrue("the vendor's write comes after pivot_root:\n" + rendered, pivot >= 0 && write > pivot);
            assertTrue("explain renders the write in phase system by stage vendor:\n" + rendered,
                    Pattern.compile("(?m)^\\s*" + write + "\\s+system\\s+vendor\\s+write /etc/vendor-marker \\(6 bytes")
                            .matcher(rendered).find());

            // The same through the Gogo command, --opt parsed by the shared command line.
            Support.GogoResult shown = gogo(context, "cordon:explain --opt vendor.marker=hello -- true");
            assertEquals("cordon:explain printed errors", "", shown.err());
            assertTrue("cordon:explain shows the vendor's write:\n" + shown.out(), Pattern.compile(
                    "(?m)^\\s*\\d+\\s+system\\s+vendor\\s+write /etc/vendor-marker").matcher(shown.out()).find());
        } finally {
            vendor.uninstall();
        }
        awaitStages(runtime, "stage vendor to leave", s -> !s.contains("vendor"));
        assertRefused("after the vendor bundle is uninstalled");
    }
}
