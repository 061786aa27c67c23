package io.cordon.stage.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cordon.api.Capability;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * For the same profile, cordon's BPF and the program
 * libseccomp builds (the way runc drives it; exported by a small C helper this
 * test compiles) give the same action for every x86_64 syscall number with a
 * spread of argument values, for foreign architectures, the x32 ABI and -1. Both
 * programs run in {@link BpfInterpreter}, which also counts the instructions each
 * executes. Needs gcc and libseccomp-dev (.ci/run installs them); a missing one
 * fails the test, it is never skipped.
 */
class DifferentialTest {
    private static final int I386 = 0x40000003;
    private static Path helper;
    private static Map<String, Integer> libseccompNumbers;
    private static Map<Integer, String> cordonNames;

    @BeforeAll
    static void buildHelper() throws Exception {
        Path dir = Path.of(System.getProperty("cordon.seccomp.build", "target/native-test"));
        Files.createDirectories(dir);
        helper = dir.resolve("libseccomp-export");
        Path source = Path.of("src/test/c/libseccomp-export.c").toAbsolutePath();
        Path header = Path.of("/usr/include/seccomp.h");
        if (!Files.isRegularFile(header)) {
            fail(header + " is missing: install libseccomp-dev (apt-get install libseccomp-dev; bin/test does)");
        }
        Exec gcc = exec(List.of("gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", helper.toString(),
                source.toString(), "-lseccomp"), new byte[0]);
        assertEquals(0, gcc.code, "gcc could not build the libseccomp helper (need gcc and libseccomp-dev): "
                + gcc.err);
        cordonNames = new HashMap<>();
        Arch.X86_64.syscalls().forEach((n, nr) -> cordonNames.put(nr, n));
        libseccompNumbers = resolve(Arch.X86_64.syscalls().keySet());
    }

    record Exec(int code, byte[] out, String err) {
    }

    static Exec exec(List<String> cmd, byte[] stdin) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            fail("cannot run " + cmd.get(0) + ": " + e.getMessage() + " (install it; bin/test does)");
            throw e;
        }
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        p.getOutputStream().write(stdin);
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(cmd + " did not finish");
        }
        return new Exec(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, Integer> resolve(Set<String> names) throws Exception {
        Exec r = exec(List.of(helper.toString(), "resolve"), String.join("\n", names).getBytes(StandardCharsets.UTF_8));
        assertEquals(0, r.code, r.err);
        Map<String, Integer> m = new TreeMap<>();
        for (String line : new String(r.out, StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.split(" ");
            m.put(f[0], Integer.parseInt(f[1]));
        }
        return m;
    }

    @Test
    void theGeneratedTableAgreesWithLibseccompWhereBothKnowASyscall() {
        Set<Integer> libNumbers = new HashSet<>(libseccompNumbers.values());
        List<String> newer = new ArrayList<>();
        for (Map.Entry<String, Integer> e : Arch.X86_64.syscalls().entrySet()) {
            int lib = libseccompNumbers.get(e.getKey());
            if (lib >= 0) {
                assertEquals(e.getValue(), lib, e.getKey());
            } else {
                // a syscall libseccomp 2.5's table predates: its number must not be another name's there
                assertTrue(!libNumbers.contains(e.getValue()), e.getKey() + " " + e.getValue());
                newer.add(e.getKey());
            }
        }
        System.out.println("x86_64 syscalls libseccomp cannot name (kernel newer than its table): " + newer);
        assertTrue(newer.size() < 20, newer.toString());
    }

    /** The program libseccomp builds from the rules dockerd would hand runc. */
    static byte[] libseccomp(Profile p, Resolver.Context ctx, int optimize, int timeRepeat, StringBuilder timing)
            throws Exception {
        StringBuilder in = new StringBuilder();
        in.append("default ").append(p.defaultAction().ret()).append('\n');
        in.append("badarch ").append(Compiler.BAD_ARCH.ret()).append('\n');
        in.append("optimize ").append(optimize).append('\n');
        if (timeRepeat > 0) {
            in.append("time ").append(timeRepeat).append('\n');
        }
        for (Profile.Rule r : Resolver.applicableRules(p, ctx)) {
            for (String name : r.names()) {
                in.append("rule ").append(Integer.toUnsignedString(effective(r.action().ret()))).append(' ').append(name)
                        .append(' ').append(r.args().size());
                for (Profile.Arg a : r.args()) {
                    in.append(' ').append(a.index()).append(' ').append(a.op().ordinal() + 1).append(' ')
                            .append(Long.toUnsignedString(a.value())).append(' ')
                            .append(Long.toUnsignedString(a.valueTwo()));
                }
                in.append('\n');
            }
        }
        Exec e = exec(List.of(helper.toString()), in.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(0, e.code, "libseccomp helper: " + e.err);
        if (timing != null) {
            e.err.lines().filter(l -> l.startsWith("time_us ")).forEach(l -> timing.append(l.substring(8)));
        }
        return e.out;
    }

    /** The profile without the syscalls libseccomp 2.5 cannot name yet (newer than its table): both then see the same rules. */
    static Profile withoutNamesUnknownToLibseccomp(Profile p) throws Exception {
        Set<String> names = new HashSet<>();
        p.rules().forEach(r -> names.addAll(r.names()));
        Map<String, Integer> lib = resolve(names);
        List<Profile.Rule> rules = new ArrayList<>();
        for (Profile.Rule r : p.rules()) {
            List<String> keep = r.names().stream()
                    .filter(n -> !(Arch.X86_64.syscalls().containsKey(n) && lib.get(n) < 0)).toList();
            rules.add(new Profile.Rule(r.path(), keep, r.action(), r.args(), r.includes(), r.excludes()));
        }
        return new Profile(p.defaultAction(), p.architectures(), p.archMap(), p.flags(), rules);
    }

    /** Every syscall number and a spread of arguments: the same action from both programs. */
    static int compare(String what, byte[] profileJson, Resolver.Context ctx) throws Exception {
        return compare(what, ProfileParser.parse(profileJson, what), ctx);
    }

    static int compare(String what, Profile original, Resolver.Context ctx) throws Exception {
        Profile p = withoutNamesUnknownToLibseccomp(original);
        Resolver.Resolved r = Resolver.resolve(p, ctx);
        BpfInterpreter cordon = new BpfInterpreter(Compiler.compile(r, what));
        BpfInterpreter lib = new BpfInterpreter(libseccomp(p, ctx, 1, 0, null));
        List<long[]> spread = TestData.argumentSpread(p.rules(), what.hashCode());
        Set<Integer> withArgs = new HashSet<>();
        for (Profile.Rule rule : p.rules()) {
            if (!rule.args().isEmpty()) {
                rule.names().forEach(n -> Arch.X86_64.syscall(n).ifPresent(withArgs::add));
            }
        }
        List<Integer> numbers = new ArrayList<>();
        int max = Arch.X86_64.syscalls().values().stream().max(Integer::compare).orElseThrow();
        for (int nr = 0; nr <= max + 64; nr++) {
            numbers.add(nr);
        }
        numbers.addAll(List.of(1024, 0x3fffffff, 0x40000000, 0x40000001, 0x40000200, 0x7fffffff, 0x80000000,
                0xfffffffe, -1));
        int checks = 0;
        for (int nr : numbers) {
            for (long[] args : withArgs.contains(nr) ? spread : spread.subList(0, 3)) {
                for (int arch : new int[] {Arch.X86_64.auditArch(), I386, Arch.AARCH64.auditArch()}) {
                    if (arch != Arch.X86_64.auditArch() && nr > 2) {
                        continue;
                    }
                    int want = effective(lib.run(nr, arch, 0, args).ret());
                    int got = effective(cordon.run(nr, arch, 0, args).ret());
                    checks++;
                    if (want != got) {
                        fail(what + ": syscall " + Integer.toUnsignedString(nr) + " (" + cordonNames.get(nr)
                                + ") arch 0x" + Integer.toHexString(arch) + " args " + java.util.Arrays.toString(args)
                                + ": libseccomp says " + Action.of(want) + ", cordon " + Action.of(got)
                                + "\ncordon:\n" + cordon.disassemble() + "libseccomp:\n" + lib.disassemble());
                    }
                }
            }
        }
        return checks;
    }

    /** What the kernel does with a return value: it caps an ERRNO's errno at MAX_ERRNO (4095). */
    static int effective(int ret) {
        Action a = Action.of(ret);
        // libseccomp refuses an errno of 4095 or more (runc would refuse such a profile); the kernel caps it anyway
        return a.kind() == Action.Kind.ERRNO && a.data() > 4094 ? Action.errno(4094).ret() : ret;
    }

    @Test
    void cordonsDefaultProfile() throws Exception {
        compare("cordon default", TestData.cordonDefault(), TestData.X86_DEFAULT_CAPS);
        compare("cordon default, every capability", TestData.cordonDefault(), TestData.X86_ALL_CAPS);
        compare("cordon default, no capability", TestData.cordonDefault(),
                new Resolver.Context(Arch.X86_64, Set.of(), 6, 18));
    }

    @Test
    void dockersDefaultProfile() throws Exception {
        byte[] moby = TestData.moby("default.json");
        compare("docker default", moby, TestData.X86_DEFAULT_CAPS);
        compare("docker default, every capability", moby, TestData.X86_ALL_CAPS);
        compare("docker default, kernel 4.4", moby,
                new Resolver.Context(Arch.X86_64, Capability.capNames(Capability.DOCKER_DEFAULT), 4, 4));
        compare("docker default, old format", TestData.moby("fixtures/default-old-format.json"),
                TestData.X86_DEFAULT_CAPS);
    }

    @Test
    void dockersFixtures() throws Exception {
        compare("moby example", TestData.moby("fixtures/example.json"), TestData.X86_DEFAULT_CAPS);
        compare("moby conditional include", TestData.moby("fixtures/conditional_include.json"),
                TestData.X86_DEFAULT_CAPS);
        compare("moby conditional include, admin", TestData.moby("fixtures/conditional_include.json"),
                TestData.X86_ALL_CAPS);
    }

    /** podman's profile: ENOSYS by default, explicit EPERM rules, and conditional ERRNO and ALLOW rules for socket. */
    @Test
    void podmansDefaultProfile() throws Exception {
        byte[] podman = TestData.podman();
        compare("podman default", podman, TestData.X86_DEFAULT_CAPS);
        compare("podman default, every capability", podman, TestData.X86_ALL_CAPS);
        // without CAP_AUDIT_WRITE the socket rules (EINVAL for an audit netlink socket) apply
        compare("podman default, no capability", podman, new Resolver.Context(Arch.X86_64, Set.of(), 6, 18));
    }

    @Test
    void aProfileOfArgumentRules() throws Exception {
        byte[] json;
        try (InputStream in = getClass().getResourceAsStream("argument-rules.json")) {
            json = in.readAllBytes();
        }
        int checks = compare("argument rules", json, TestData.X86_DEFAULT_CAPS);
        assertTrue(checks > 3000, checks + " checks");
    }

    @Test
    void randomProfiles() throws Exception {
        for (long seed = 100; seed < 130; seed++) {
            compare("random " + seed, TestData.random(seed, true), TestData.X86_DEFAULT_CAPS);
        }
    }

    /**
     * libseccomp 2.5.4 miscompiles a syscall whose rules compare one 64-bit
     * argument in different ways (runc makes such rules from one rule that names
     * an argument twice): after the low-word comparison of one branch it jumps to
     * the next branch's high-word comparison without reloading, so it compares the
     * low word. cordon reloads; its program agrees with the reference evaluation.
     */
    @Test
    void oredComparisonsOfOneArgument() throws Exception {
        Profile p = new Profile(new Action(Action.Kind.TRAP, 0), List.of(), List.of(), 0, List.of(
                new Profile.Rule("syscalls[0]", List.of("lseek"), Action.KILL_PROCESS, List.of(
                        new Profile.Arg(4, Profile.ArgOp.GT, 0x80c761a312178873L, 0),
                        new Profile.Arg(4, Profile.ArgOp.LE, 0xaf25043a4290a86dL, 0)), java.util.Optional.empty(),
                        java.util.Optional.empty())));
        Resolver.Resolved r = Resolver.resolve(p, TestData.X86_DEFAULT_CAPS);
        long[] args = {0, 0, 0, 0, 0xaf25043a4290a86eL, 0};
        int lseek = Arch.X86_64.syscall("lseek").orElseThrow();
        assertEquals(Action.KILL_PROCESS, r.evaluate(lseek, args), "arg4 > 0x80c761a312178873");
        BpfInterpreter cordon = new BpfInterpreter(Compiler.compile(r, "ored"));
        assertEquals(Action.KILL_PROCESS, cordon.run(lseek, Arch.X86_64.auditArch(), 0, args).action());
        Action lib = new BpfInterpreter(libseccomp(p, TestData.X86_DEFAULT_CAPS, 1, 0, null))
                .run(lseek, Arch.X86_64.auditArch(), 0, args).action();
        System.out.println("libseccomp on (arg4 > A) || (arg4 <= C) for arg4 = C+1 > A: " + lib
                + (lib.equals(Action.KILL_PROCESS) ? " (right)" : " (wrong: it should kill)"));
    }

    /**
     * The figures the README quotes, for cordon's, Moby's and podman's default profiles (x86_64,
     * Docker's default capabilities): instructions executed for each syscall the profile allows,
     * by cordon's program and by the two layouts of libseccomp, and compile times. Printed and
     * written to target/native-test/figures.txt. Bounded: cordon searches the syscall number in a
     * binary tree over the ranges of numbers with one action, so its longest path is the
     * architecture and x32 checks, about log2 of the number of ranges, and the argument checks of
     * the one syscall with the most; libseccomp's default layout (runc's) tests one syscall after
     * another.
     */
    @Test
    void instructionsPerSyscallAreBoundedByTheSearchDepth() throws Exception {
        StringBuilder report = new StringBuilder();
        for (String name : List.of("cordon default", "docker default", "podman default")) {
            byte[] json = switch (name) {
                case "cordon default" -> TestData.cordonDefault();
                case "docker default" -> TestData.moby("default.json");
                default -> TestData.podman();
            };
            Profile p = withoutNamesUnknownToLibseccomp(ProfileParser.parse(json, name));
            Resolver.Resolved r = Resolver.resolve(p, TestData.X86_DEFAULT_CAPS);
            BpfInterpreter cordon = new BpfInterpreter(Compiler.compile(r, name));
            StringBuilder libTime = new StringBuilder();
            BpfInterpreter linear = new BpfInterpreter(libseccomp(p, TestData.X86_DEFAULT_CAPS, 1, 200, libTime));
            BpfInterpreter tree = new BpfInterpreter(libseccomp(p, TestData.X86_DEFAULT_CAPS, 2, 0, null));
            List<Integer> allowed = allowed(r);
            int ranges = actionRanges(r);
            report.append(String.format("%s profile (x86_64, Docker's default capabilities; %d syscalls allowed with"
                    + " zero arguments, %d ranges of syscall numbers with one action):%n", name, allowed.size(), ranges));
            report.append(String.format("  %-40s %12s %10s %10s%n", "", "instructions", "longest", "mean"));
            int[] worst = new int[3];
            double[] mean = new double[3];
            BpfInterpreter[] programs = {cordon, linear, tree};
            String[] labels = {"cordon (binary search on ranges)", "libseccomp 2.5 default (runc)",
                "libseccomp 2.5 binary tree (optimize=2)"};
            for (int i = 0; i < programs.length; i++) {
                long sum = 0;
                for (int nr : allowed) {
                    int n = programs[i].run(nr, Arch.X86_64.auditArch(), 0, new long[6]).executed();
                    worst[i] = Math.max(worst[i], n);
                    sum += n;
                }
                mean[i] = (double) sum / allowed.size();
                report.append(String.format("  %-40s %12d %10d %10.1f%n", labels[i], programs[i].length(), worst[i],
                        mean[i]));
            }
            long t0 = System.nanoTime();
            FilterCache.compile(json, name, TestData.X86_DEFAULT_CAPS, "");
            long first = System.nanoTime() - t0;
            for (int i = 0; i < 1000; i++) {
                FilterCache.compile(json, name, TestData.X86_DEFAULT_CAPS, "");
            }
            long[] times = new long[300];
            for (int i = 0; i < times.length; i++) {
                long s0 = System.nanoTime();
                FilterCache.compile(json, name, TestData.X86_DEFAULT_CAPS, "");
                times[i] = System.nanoTime() - s0;
            }
            java.util.Arrays.sort(times);
            String[] lib = libTime.toString().trim().split(" ");
            report.append(String.format("  compile (parse JSON, resolve, generate BPF): cordon %.0f us median, %.0f us"
                    + " fastest, %.0f us the first time in this JVM; libseccomp (rules + export, C) %s us median,"
                    + " %s us fastest%n", times[times.length / 2] / 1e3, times[0] / 1e3, first / 1e3, lib[0], lib[1]));

            // Every allowed syscall's path: 4 instructions before the search (load and check the architecture,
            // load the number, the x32 check), at most ceil(log2(ranges)) comparisons in the balanced search,
            // then a return, or for a syscall with argument rules at most 6 instructions per comparison (two
            // loads, an AND, two or three jumps) of each rule tried and the return of the one that decides.
            int depth = 32 - Integer.numberOfLeadingZeros(ranges - 1);
            for (int nr : allowed) {
                Resolver.SyscallPolicy sp = r.syscalls().get(nr);
                int own = sp == null || sp.unconditional().isPresent() ? 1
                        : sp.rules().stream().mapToInt(c -> 6 * c.args().size()).sum() + 1;
                int executed = cordon.run(nr, Arch.X86_64.auditArch(), 0, new long[6]).executed();
                assertTrue(executed <= 4 + depth + own, name + ": syscall " + cordonNames.get(nr) + " takes " + executed
                        + " instructions, more than 4 + " + depth + " + " + own + "\n" + report);
            }
            assertTrue(mean[0] <= 4 + depth + 1.5, name + ": cordon's mean " + mean[0] + "\n" + report);
            assertTrue(mean[0] * 10 < mean[1] && worst[0] * 10 < worst[1],
                    name + ": cordon's paths are not a tenth of libseccomp's linear chain\n" + report);
        }
        System.out.print(report);
        Path out = Path.of(System.getProperty("cordon.seccomp.build", "target/native-test")).resolve("figures.txt");
        Files.writeString(out, report.toString());
    }

    /**
     * How many ranges of syscall numbers the search tells apart: maximal runs of numbers with one
     * action, except that a syscall with argument rules is a range of its own.
     */
    private static int actionRanges(Resolver.Resolved r) {
        int last = r.syscalls().keySet().stream().max(Integer::compare).orElse(0) + 1;
        int ranges = 1;
        for (int nr = 1; nr <= last; nr++) {
            if (conditional(r, nr) || conditional(r, nr - 1)
                    || !r.evaluate(nr, new long[6]).equals(r.evaluate(nr - 1, new long[6]))) {
                ranges++;
            }
        }
        return ranges;
    }

    private static boolean conditional(Resolver.Resolved r, int nr) {
        Resolver.SyscallPolicy sp = r.syscalls().get(nr);
        return sp != null && sp.unconditional().isEmpty();
    }

    private static List<Integer> allowed(Resolver.Resolved r) {
        List<Integer> out = new ArrayList<>();
        int max = Arch.X86_64.syscalls().values().stream().max(Integer::compare).orElseThrow();
        for (int nr = 0; nr <= max; nr++) {
            if (r.evaluate(nr, new long[6]).equals(Action.ALLOW)) {
                out.add(nr);
            }
        }
        return out;
    }
}
