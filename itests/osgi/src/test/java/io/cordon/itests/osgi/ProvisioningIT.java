package io.cordon.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.StageInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;

/**
 * The framework the OSGi tests run in is the distribution: every cordon bundle that features/full/full.bndrun asks
 * for is installed and active, with every third-party bundle bnd resolved for them, and each stage bundle serves
 * its stage. Checked inside the framework against the bndrun's source and the exported jar, so that a bundle
 * added to the bndrun and missing here fails a test by name.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ProvisioningIT {
    private static final String OURS = "io.cordon.";
    private static final String STAGE_BUNDLE = "io.cordon.stage.";

    @Inject
    private BundleContext context;

    @Inject
    private ContainerRuntime runtime;

    @Configuration
    public Option[] config() {
        return CordonOptions.runtime(getClass().getSimpleName());
    }

    /** Symbolic name to state of every bundle in the framework. */
    private Map<String, Bundle> installed() {
        Map<String, Bundle> bundles = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName() != null) {
                bundles.put(b.getSymbolicName(), b);
            }
        }
        return bundles;
    }

    private static Set<String> ours(Set<String> names) {
        Set<String> cordon = new TreeSet<>();
        names.stream().filter(n -> n.startsWith(OURS)).forEach(cordon::add);
        return cordon;
    }

    private static String difference(String leftName, Set<String> left, String rightName, Set<String> right) {
        Set<String> onlyLeft = new TreeSet<>(left);
        onlyLeft.removeAll(right);
        Set<String> onlyRight = new TreeSet<>(right);
        onlyRight.removeAll(left);
        return "only in " + leftName + ": " + onlyLeft + "; only in " + rightName + ": " + onlyRight;
    }

    @Test
    public void everyCordonBundleOfFullBndrunIsProvisioned() {
        Set<String> required = ours(Distribution.requiredByBndrun(CordonOptions.repositoryRoot()));
        Distribution distribution = Distribution.of(CordonOptions.repositoryRoot());
        Set<String> resolved = new TreeSet<>();
        distribution.bundles().forEach(b -> resolved.add(b.symbolicName()));
        Set<String> provisioned = ours(installed().keySet());

        assertFalse("full.bndrun asks for cordon bundles in -runrequires", required.isEmpty());
        assertTrue("bnd resolved every cordon bundle of -runrequires into " + Distribution.JAR + " ("
                + difference(Distribution.BNDRUN + " -runrequires", required, "its -runbundles", ours(resolved))
                + ")", ours(resolved).containsAll(required));
        assertEquals("the cordon bundles in the test framework are the distribution's ("
                + difference(Distribution.JAR + " -runbundles", ours(resolved), "the test framework", provisioned)
                + ")", ours(resolved), provisioned);
        assertTrue("the cordon bundles in the test framework include every one of full.bndrun's -runrequires ("
                + difference(Distribution.BNDRUN + " -runrequires", required, "the test framework", provisioned)
                + ")", provisioned.containsAll(required));
    }

    @Test
    public void everyRunBundleIsInstalledAtItsVersionAndActiveBesideTheTerminalShell() {
        Distribution distribution = Distribution.of(CordonOptions.repositoryRoot());
        Map<String, Bundle> installed = installed();
        List<String> wrong = new ArrayList<>();
        for (Distribution.RunBundle b : distribution.bundles()) {
            Bundle in = installed.get(b.symbolicName());
            if (CordonOptions.NOT_PROVISIONED.containsKey(b.symbolicName())) {
                if (in != null) {
                    wrong.add(b + " is provisioned though CordonOptions.NOT_PROVISIONED leaves it out");
                }
            } else if (in == null) {
                wrong.add(b + " is not installed");
            } else if (!in.getVersion().equals(Version.parseVersion(b.version()))) {
                wrong.add(b + " is installed at version " + in.getVersion());
            } else if (in.getState() != Bundle.ACTIVE) {
                wrong.add(b + " is not active (state " + in.getState() + ")");
            }
        }
        for (String left : CordonOptions.NOT_PROVISIONED.keySet()) {
            if (distribution.bundle(left) == null) {
                wrong.add(left + " is in CordonOptions.NOT_PROVISIONED but not in the distribution any more");
            }
        }
        assertTrue("the test framework against " + Distribution.JAR + ": " + String.join("; ", wrong),
                wrong.isEmpty());
    }

    @Test
    public void everyStageBundleServesItsStage() {
        Set<String> stageBundles = new TreeSet<>();
        Distribution.requiredByBndrun(CordonOptions.repositoryRoot()).stream()
                .filter(n -> n.startsWith(STAGE_BUNDLE)).forEach(stageBundles::add);
        assertFalse("full.bndrun asks for stage bundles", stageBundles.isEmpty());
        Support.await(() -> "a stage from each of full.bndrun's stage bundles (serving none: " + missing(stageBundles)
                + ")", () -> servingBundles().containsAll(stageBundles));
        assertEquals("bundles that serve a stage", stageBundles, servingBundles());
    }

    private Set<String> missing(Set<String> stageBundles) {
        Set<String> missing = new TreeSet<>(stageBundles);
        missing.removeAll(servingBundles());
        return missing;
    }

    private Set<String> servingBundles() {
        Set<String> bundles = new TreeSet<>();
        for (StageInfo s : runtime.stages()) {
            bundles.add(s.bundle());
        }
        return bundles;
    }
}
