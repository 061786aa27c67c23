package io.cordon.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.ContainerSpec;
import io.cordon.api.RunResult;
import io.cordon.api.StageInfo;
import io.cordon.api.Stdio;
import io.cordon.cli.CommandLineTool;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/** Helpers the tests use inside the framework: run a container, use Gogo, wait for the stage set. */
final class Support {
    static final long WAIT_MS = 10_000;

    private Support() {
    }

    /** What a container printed, with how it ended. */
    record Output(RunResult result, String out, String err) {
        @Override
        public String toString() {
            return "exit " + result.exitCode() + (result.error() == null ? "" : " error \"" + result.error() + "\"")
                    + ", stdout \"" + out + "\", stderr \"" + err + "\"";
        }
    }

    /** Runs a container with stdin from /dev/null and stdout/stderr into files under target/. */
    static Output run(ContainerRuntime runtime, ContainerSpec spec) {
        try {
            Path dir = Files.createDirectories(CordonOptions.targetDir().resolve("container-output"));
            Path out = dir.resolve(spec.id().substring(0, 12) + ".out");
            Path err = dir.resolve(spec.id().substring(0, 12) + ".err");
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            RunResult r = runtime.run(spec, new Stdio(Stdio.Redirect.NULL, Stdio.Redirect.file(out),
                    Stdio.Redirect.file(err)));
            assertNotNull("run() returned no result", r);
            assertEquals("the result is for another container", spec.id(), r.containerId());
            return new Output(r, read(out), read(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a container that must start and exit 0. */
    static Output runOk(ContainerRuntime runtime, ContainerSpec spec) {
        Output o = run(runtime, spec);
        assertNull("launch of " + spec.command() + " failed: " + o, o.result().error());
        assertEquals("exit code of " + spec.command() + ": " + o, 0, o.result().exitCode());
        return o;
    }

    /**
     * {@code --security-opt VALUE} as {@code cordon run} hands it to the spec. The tests build their security
     * options through here and {@link #capDrop}, so that a change of the spec's form is made in one place.
     */
    static ContainerSpec.Builder securityOpt(ContainerSpec.Builder b, String value) {
        return b.securityOpts(java.util.List.of(value));
    }

    /** {@code --cap-drop CAPABILITY} as {@code cordon run} hands it to the spec. */
    static ContainerSpec.Builder capDrop(ContainerSpec.Builder b, String capability) {
        return b.capabilities(io.cordon.api.CapabilityRequest.parse(false, java.util.List.of(),
                java.util.List.of(capability)));
    }

    /**
     * A seccomp profile of the test's own, in Docker's format: every system call is allowed except uname, which
     * fails with EPERM, so that a container shows whether this profile is the one it runs under.
     */
    static Path unameDenyingProfile() {
        try {
            Path profile = CordonOptions.targetDir().resolve("profile-deny-uname.json");
            Files.writeString(profile, """
                    {"defaultAction": "SCMP_ACT_ALLOW",
                     "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO"}]}
                    """);
            return profile;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@code cordon ARGS...} printed and returned, through the command line service the CLI and Gogo use. */
    record CliResult(int exitCode, String out, String err) {
    }

    static CliResult cli(BundleContext context, String... args) {
        ServiceReference<CommandLineTool> ref = context.getServiceReference(CommandLineTool.class);
        assertNotNull("no CommandLineTool service: is io.cordon.cli active?", ref);
        CommandLineTool tool = context.getService(ref);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code;
            try (PrintStream pout = new PrintStream(out, true, StandardCharsets.UTF_8);
                    PrintStream perr = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                code = tool.execute(args, pout, perr);
            }
            return new CliResult(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            context.ungetService(ref);
        }
    }

    /** The capabilities a process has in effect, from its /proc status (the CapEff line, hex). */
    static String effectiveCapabilities(String procStatus) {
        return procStatus.lines().filter(l -> l.startsWith("CapEff:")).map(l -> l.substring(7).trim()).findFirst()
                .orElseThrow(() -> new AssertionError("no CapEff line in:\n" + procStatus));
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p) : "";
    }

    static String shortId(ContainerSpec spec) {
        return spec.id().substring(0, 12);
    }

    static String hostHostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Set<String> stageNames(ContainerRuntime runtime) {
        Set<String> names = new LinkedHashSet<>();
        for (StageInfo s : runtime.stages()) {
            names.add(s.name());
        }
        return names;
    }

    /** Waits until the runtime's stage set satisfies {@code condition}. */
    static void awaitStages(ContainerRuntime runtime, String what, Predicate<Set<String>> condition) {
        await(() -> what + " (stages now: " + stageNames(runtime) + ")", () -> condition.test(stageNames(runtime)));
    }

    /** Polls {@code condition} for up to {@value #WAIT_MS} ms, then fails with {@code what}. */
    static void await(Supplier<String> what, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out after " + WAIT_MS + " ms waiting for " + what.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    static Bundle bundle(BundleContext context, String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("bundle " + bsn + " is not installed");
    }

    /** Result of one Gogo command: its return value (null for a void command) and what it printed. */
    record GogoResult(Object value, String out, String err) {
    }

    /**
     * Executes one command line in a fresh Gogo session whose streams are byte arrays (no terminal,
     * no jline), after waiting until the {@code cordon} command scope is registered.
     */
    static GogoResult gogo(BundleContext context, String commandLine) throws Exception {
        await(() -> "the Gogo commands of scope cordon (io.cordon.shell) to be registered",
                () -> cordonCommandsRegistered(context));
        ServiceReference<CommandProcessor> ref = context.getServiceReference(CommandProcessor.class);
        assertNotNull("no Gogo CommandProcessor service: is org.apache.felix.gogo.runtime started?", ref);
        CommandProcessor processor = context.getService(ref);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream pout = new PrintStream(out, true, StandardCharsets.UTF_8);
            PrintStream perr = new PrintStream(err, true, StandardCharsets.UTF_8);
            Object value;
            try (CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), pout,
                    perr)) {
                value = session.execute(commandLine);
            }
            pout.flush();
            perr.flush();
            return new GogoResult(value, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            context.ungetService(ref);
        }
    }

    private static boolean cordonCommandsRegistered(BundleContext context) {
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                    "(" + CommandProcessor.COMMAND_SCOPE + "=cordon)");
            return refs != null && refs.length > 0;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first column of {@code cordon:stages}' table, header left out. */
    static Set<String> stagesListed(String table) {
        Set<String> names = new LinkedHashSet<>();
        List<String> lines = table.lines().toList();
        if (lines.isEmpty() || !lines.get(0).startsWith("STAGE")) {
            fail("cordon:stages printed no table:\n" + table);
        }
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                names.add(line.trim().split("\\s+")[0]);
            }
        }
        return names;
    }
}
