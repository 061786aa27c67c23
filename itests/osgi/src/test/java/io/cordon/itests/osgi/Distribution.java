package io.cordon.itests.osgi;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cordon distribution as the build made it: {@code features/full/target/full.jar}, the executable jar that bnd
 * exports from {@code features/full/full.bndrun} after resolving its {@code -runrequires} into {@code -runbundles}.
 * The tests provision their framework from it, so that they run what users run and cannot fall behind the bndrun.
 *
 * <p>bnd's executable jar keeps each run bundle under {@code jar/} and lists them, in resolution order, in
 * {@code launcher.properties} ({@code launch.bundles}), with the bndrun's {@code -runproperties} beside them.
 */
record Distribution(Path jar, List<RunBundle> bundles, Map<String, String> runProperties) {
    /** The bndrun the distribution is exported from, relative to the repository root. */
    static final String BNDRUN = "features/full/full.bndrun";
    static final String JAR = "features/full/target/full.jar";
    /** One clause of -runrequires as full.bndrun writes them. */
    private static final Pattern IDENTITY = Pattern.compile("bnd\\.identity;id='([^']+)'");

    /** One of the distribution's -runbundles: its symbolic name and version, and where it sits in the jar. */
    record RunBundle(String symbolicName, String version, String entry) {
        @Override
        public String toString() {
            return symbolicName + " " + version;
        }
    }

    /** Reads the distribution the reactor built under {@code root}; fails with what to do when it is missing. */
    static Distribution of(Path root) {
        Path jar = root.resolve(JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build it with the reactor (`mvn -B -pl itests/osgi"
                    + " -am verify` builds features/full before this module)");
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            JarEntry launcher = file.getJarEntry("launcher.properties");
            if (launcher == null) {
                throw new IllegalStateException(jar + " has no launcher.properties: it is not a bnd executable jar");
            }
            Properties props = new Properties();
            try (InputStream in = file.getInputStream(launcher)) {
                props.load(in);
            }
            String list = props.getProperty("launch.bundles", "");
            if (list.isBlank()) {
                throw new IllegalStateException(jar + ": launcher.properties lists no launch.bundles");
            }
            List<RunBundle> bundles = new ArrayList<>();
            for (String entry : list.split(",")) {
                JarEntry e = file.getJarEntry(entry.trim());
                if (e == null) {
                    throw new IllegalStateException(jar + ": launch.bundles names " + entry + ", which it does not contain");
                }
                Manifest mf;
                try (JarInputStream in = new JarInputStream(file.getInputStream(e))) {
                    mf = in.getManifest();
                }
                String bsn = mf == null ? null : mf.getMainAttributes().getValue("Bundle-SymbolicName");
                if (bsn == null) {
                    throw new IllegalStateException(jar + "!/" + entry + " is not a bundle (no Bundle-SymbolicName)");
                }
                bundles.add(new RunBundle(bsn.split(";", 2)[0].trim(),
                        mf.getMainAttributes().getValue("Bundle-Version"), e.getName()));
            }
            Map<String, String> run = new LinkedHashMap<>();
            for (String key : props.stringPropertyNames()) {
                if (!key.startsWith("launch.")) {
                    run.put(key, props.getProperty(key));
                }
            }
            return new Distribution(jar, List.copyOf(bundles), Map.copyOf(run));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
    }

    /** The run bundle of this symbolic name, if the distribution has it. */
    RunBundle bundle(String symbolicName) {
        return bundles.stream().filter(b -> b.symbolicName().equals(symbolicName)).findFirst().orElse(null);
    }

    /** Copies a run bundle out of the jar into {@code dir}, so that the framework can install it from a file: URL. */
    Path extract(RunBundle bundle, Path dir) {
        try (JarFile file = new JarFile(jar.toFile()); InputStream in = file.getInputStream(file.getJarEntry(bundle.entry()))) {
            Files.createDirectories(dir);
            Path target = dir.resolve(Path.of(bundle.entry()).getFileName());
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + bundle.entry() + " from " + jar, e);
        }
    }

    /**
     * The symbolic names full.bndrun asks for in {@code -runrequires} (bnd resolves the rest from them). bnd
     * files are properties files (continuation lines, {@code key: value}); a clause that is not a
     * {@code bnd.identity;id='…'} is an error, so that a new form of requirement is not silently overlooked.
     */
    static Set<String> requiredByBndrun(Path root) {
        Path bndrun = root.resolve(BNDRUN);
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(bndrun, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + bndrun, e);
        }
        String requires = props.getProperty("-runrequires");
        if (requires == null || requires.isBlank()) {
            throw new IllegalStateException(bndrun + " has no -runrequires");
        }
        Set<String> ids = new LinkedHashSet<>();
        for (String clause : requires.split(",")) {
            Matcher m = IDENTITY.matcher(clause.trim());
            if (!m.matches()) {
                throw new IllegalStateException(bndrun + ": -runrequires clause \"" + clause.trim()
                        + "\" is not bnd.identity;id='NAME': teach Distribution.requiredByBndrun to read it");
            }
            ids.add(m.group(1));
        }
        return ids;
    }
}
