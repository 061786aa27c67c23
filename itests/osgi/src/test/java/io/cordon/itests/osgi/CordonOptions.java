package io.cordon.itests.osgi;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackage;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ops4j.pax.exam.Option;

/**
 * The framework every test starts: the cordon distribution ({@link Distribution}, features/full/target/full.jar,
 * resolved by bnd from features/full/full.bndrun) with every one of its run bundles and run properties, less the
 * few {@link #NOT_PROVISIONED} for a reason given there. So the tests run the bundles users run, third-party
 * ones included (Jackson for seccomp, JNA for linux ...), and a bundle added to full.bndrun is provisioned here
 * without anyone editing this file; {@code ProvisioningIT} checks the outcome against the bndrun.
 *
 * <p>Runs in the failsafe JVM (outside the framework) when Pax Exam calls a {@code @Configuration}
 * method; the paths are also used inside the framework (native container: same JVM, same system
 * properties).
 */
final class CordonOptions {
    static final String VERSION = System.getProperty("cordon.version", "0.1.0-SNAPSHOT");

    /** Run bundles of the distribution that the tests leave out, each with why. */
    static final Map<String, String> NOT_PROVISIONED = Map.of(
            "org.apache.felix.gogo.jline", "the interactive shell reads a terminal; the tests have none and drive"
                    + " Gogo through sessions on byte streams instead",
            "org.jline", "only org.apache.felix.gogo.jline uses it");

    /** Run properties of the distribution that Pax Exam sets its own way (see {@link #runtime}). */
    static final Set<String> PROPERTIES_PAX_EXAM_OWNS = Set.of(
            "org.osgi.framework.system.packages.extra", // systemPackage options, below
            "org.osgi.framework.storage.clean", // cleanCaches(true)
            "org.osgi.framework.startlevel.beginning"); // Pax Exam starts every bundle at its own start level

    private CordonOptions() {
    }

    /** The repository root, passed in by failsafe ({@code cordon.root.dir}). */
    static Path repositoryRoot() {
        String dir = System.getProperty("cordon.root.dir");
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("system property cordon.root.dir is not set: run these tests with"
                    + " `mvn -B verify` from the repository root (the failsafe configuration of itests/osgi sets it)");
        }
        return Path.of(dir).toAbsolutePath().normalize();
    }

    /** This module's target directory: framework storage and container output files live under it. */
    static Path targetDir() {
        String dir = System.getProperty("cordon.itest.dir");
        return dir == null || dir.isBlank() ? repositoryRoot().resolve("itests/osgi/target")
                : Path.of(dir).toAbsolutePath().normalize();
    }

    static Path vendorStageJar() {
        return repositoryRoot().resolve("itests/test-stage/target/io.cordon.itest.stage.vendor-" + VERSION + ".jar");
    }

    /** The tests run real containers (namespaces, mounts, /run/cordon): without root they cannot mean anything. */
    static void requireRoot() {
        String uid;
        try {
            uid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.split("\\s+")[2]).findFirst().orElse("?");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status: these tests need Linux with /proc", e);
        }
        if (!uid.equals("0")) {
            throw new IllegalStateException("the OSGi integration tests run real containers and must run as root"
                    + " (effective uid is " + uid + "): run `mvn -B verify` as root");
        }
    }

    /** A file: URL for a jar the reactor built; fails with a clear message when it is missing. */
    static String fileUrl(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build the reactor first (`mvn -B verify` in "
                    + repositoryRoot() + " builds the bundles before this module)");
        }
        return "file:" + jar;
    }

    /** The standard runtime; {@code name} separates the framework storage of each test class. */
    static Option[] runtime(String name) {
        requireRoot();
        Distribution distribution = Distribution.of(repositoryRoot());
        Path work = targetDir().resolve("paxexam").resolve(name);
        List<Option> options = new ArrayList<>(List.of(
                workingDirectory(work.toString()),
                cleanCaches(true),
                // JUnit and hamcrest in the framework, and the JUnit invoker (runs @Before/@After inside)
                junitBundles()));
        distribution.runProperties().forEach((key, value) -> {
            if (key.equals("org.osgi.framework.system.packages.extra")) {
                // io.cordon.cli imports sun.misc (signal forwarding). The native container builds this property
                // from its systemPackage options (Pax Exam's own API packages among them, so that test and
                // framework share one ProbeInvoker class); a frameworkProperty would replace the list.
                for (String pkg : value.split(",")) {
                    options.add(systemPackage(pkg.trim()));
                }
            } else if (!PROPERTIES_PAX_EXAM_OWNS.contains(key)) {
                options.add(frameworkProperty(key).value(value));
            }
        });
        // bin/cordon points FileInstall at the deploy folder; here an empty one of the test's own.
        Path deploy = directory(work.resolveSibling(name + "-deploy"));
        options.add(frameworkProperty("felix.fileinstall.dir").value(deploy.toString()));
        Path jars = targetDir().resolve("distribution").resolve(name);
        for (Distribution.RunBundle b : distribution.bundles()) {
            if (!NOT_PROVISIONED.containsKey(b.symbolicName())) {
                options.add(bundle(fileUrl(distribution.extract(b, jars))));
            }
        }
        return options.toArray(Option[]::new);
    }

    private static Path directory(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dir, e);
        }
    }
}
