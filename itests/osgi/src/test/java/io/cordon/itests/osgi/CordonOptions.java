package io.cordon.itests.osgi;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemPackage;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.nio.file.Files;
import java.nio.file.Path;
import org.ops4j.pax.exam.Option;

/**
 * The framework every test starts: Felix with SCR, Gogo (runtime and commands, no jline: no terminal)
 * and every cordon bundle. Our bundles come from the reactor's build output as file: URLs, because
 * {@code mvn verify} never installs them into ~/.m2; third-party bundles come from ~/.m2 (they are
 * test dependencies of this module, with versions from META-INF/maven/dependencies.properties).
 *
 * <p>Runs in the failsafe JVM (outside the framework) when Pax Exam calls a {@code @Configuration}
 * method; the paths are also used inside the framework (native container: same JVM, same system
 * properties).
 */
final class CordonOptions {
    static final String VERSION = System.getProperty("cordon.version", "0.1.0-SNAPSHOT");

    /** Every cordon bundle of the full distribution (features/full/full.bndrun) except the jline shell. */
    static final String[] CORDON_BUNDLES = {"io.cordon.api", "io.cordon.linux", "io.cordon.orchestrator",
        "io.cordon.stage.pidns", "io.cordon.stage.mountns", "io.cordon.stage.utsns", "io.cordon.stage.ipcns",
        "io.cordon.stage.cgroupns", "io.cordon.stage.cgroups", "io.cordon.cli", "io.cordon.shell"};

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

    static Path bundleJar(String bsn) {
        return repositoryRoot().resolve("bundles").resolve(bsn).resolve("target").resolve(bsn + "-" + VERSION + ".jar");
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
        Option[] cordon = new Option[CORDON_BUNDLES.length];
        for (int i = 0; i < cordon.length; i++) {
            cordon[i] = bundle(fileUrl(bundleJar(CORDON_BUNDLES[i])));
        }
        return options(
                workingDirectory(targetDir().resolve("paxexam").resolve(name).toString()),
                cleanCaches(true),
                // io.cordon.cli imports sun.misc (signal forwarding); cnf/runtime.bnd adds it to
                // org.osgi.framework.system.packages.extra. The native container builds that property from
                // its systemPackage options (Pax Exam's own API packages among them, so that test and
                // framework share one ProbeInvoker class); a frameworkProperty would replace the list.
                systemPackage("sun.misc"),
                // JUnit and hamcrest in the framework, and the JUnit invoker (runs @Before/@After inside)
                junitBundles(),
                frameworkProperty("felix.log.level").value("1"),
                frameworkProperty("ds.loglevel").value("warn"),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.command").versionAsInProject(),
                mavenBundle("net.java.dev.jna", "jna").versionAsInProject(),
                mavenBundle("info.picocli", "picocli").versionAsInProject(),
                mavenBundle("com.fasterxml.jackson.core", "jackson-annotations").versionAsInProject(),
                mavenBundle("com.fasterxml.jackson.core", "jackson-core").versionAsInProject(),
                mavenBundle("com.fasterxml.jackson.core", "jackson-databind").versionAsInProject(),
                org.ops4j.pax.exam.CoreOptions.composite(cordon));
    }
}
