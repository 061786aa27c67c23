package io.cordon.stage.seccomp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.Capability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Test inputs: the real profiles as Debian packages ship them (loaded unchanged), cordon's
 * default, and generated profiles.
 */
final class TestData {
    /** Docker's default capabilities, the kernel this runs on. */
    static final Resolver.Context X86_DEFAULT_CAPS = new Resolver.Context(Arch.X86_64,
            Capability.capNames(Capability.DOCKER_DEFAULT), 6, 18);
    static final Resolver.Context X86_ALL_CAPS = new Resolver.Context(Arch.X86_64,
            Capability.capNames(Capability.KNOWN), 6, 18);

    /** Moby's default profile and its test fixtures, from Debian's golang-github-docker-docker-dev. */
    static final Path MOBY = Path.of("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp");
    static final String MOBY_PACKAGE = "golang-github-docker-docker-dev";
    /** podman's default profile (containers/common), from Debian's golang-github-containers-common. */
    static final Path PODMAN = Path.of("/usr/share/containers/seccomp.json");
    static final String PODMAN_PACKAGE = "golang-github-containers-common";

    private TestData() {
    }

    /** A file of Moby's profile directory, e.g. {@code default.json} or {@code fixtures/example.json}. */
    static byte[] moby(String name) {
        return read(MOBY.resolve(name), MOBY_PACKAGE);
    }

    static byte[] podman() {
        return read(PODMAN, PODMAN_PACKAGE);
    }

    /** A missing file fails the test (never skips it), naming the package that ships it. */
    static byte[] read(Path file, String debianPackage) {
        assertTrue(Files.isRegularFile(file), file + " is missing: install " + debianPackage + " (apt-get install "
                + debianPackage + "; bin/test does)");
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] cordonDefault() {
        return SeccompStage.defaultProfile();
    }

    static final long[] INTERESTING = {0, 1, 2, 7, 38, 39, 40, 41, 0xff, 0x7fffffffL, 0x80000000L, 0xffffffffL,
        0x100000000L, 0x100000001L, 0x7E020000L, 0x7E020001L, 0xfffffffffffffffeL, -1L, 0x8000000000000000L,
        0x1234567800000000L, 0x12345678deadbeefL, 0x00000000deadbeefL};

    /**
     * A random profile over x86_64 syscalls with argument rules using every
     * comparison. With {@code libseccompSafe} the rules of one syscall never mix
     * actions when they are conditional (libseccomp orders such rules by its own
     * tree, or refuses them) and never compare one argument twice (libseccomp
     * 2.5.4 miscompiles that, see DifferentialTest), so both compilers must agree.
     */
    static Profile random(long seed, boolean libseccompSafe) {
        Random rnd = new Random(seed);
        List<String> names = new ArrayList<>(Arch.X86_64.syscalls().keySet());
        Action[] actions = {Action.ALLOW, Action.errno(1), Action.errno(13), Action.KILL_PROCESS,
            new Action(Action.Kind.KILL_THREAD, 0), new Action(Action.Kind.TRAP, 0), new Action(Action.Kind.LOG, 0),
            new Action(Action.Kind.TRACE, 7)};
        Action def = actions[rnd.nextInt(actions.length)];
        List<Profile.Rule> rules = new ArrayList<>();
        java.util.Map<String, Action> conditionalAction = new java.util.HashMap<>();
        java.util.Map<String, Set<Integer>> usedArgs = new java.util.HashMap<>();
        int n = 1 + rnd.nextInt(80);
        for (int i = 0; i < n; i++) {
            List<String> ruleNames = new ArrayList<>();
            int count = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 40);
            for (int j = 0; j < count; j++) {
                ruleNames.add(names.get(rnd.nextInt(names.size())));
            }
            if (rnd.nextInt(10) == 0) {
                ruleNames.add("chown32"); // not an x86_64 syscall: skipped
            }
            List<Profile.Arg> args = new ArrayList<>();
            if (rnd.nextInt(3) == 0) {
                ruleNames = ruleNames.subList(0, 1);
                int nargs = 1 + rnd.nextInt(3);
                for (int j = 0; j < nargs; j++) {
                    Profile.ArgOp op = Profile.ArgOp.values()[rnd.nextInt(Profile.ArgOp.values().length)];
                    long v = rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)] : rnd.nextLong();
                    long two = op == Profile.ArgOp.MASKED_EQ ? v & INTERESTING[rnd.nextInt(INTERESTING.length)] : 0;
                    int index = rnd.nextInt(6);
                    if (libseccompSafe && !usedArgs.computeIfAbsent(ruleNames.get(0), k -> new java.util.HashSet<>())
                            .add(index)) {
                        continue;
                    }
                    args.add(new Profile.Arg(index, op, v, two));
                }
            }
            Action act = actions[rnd.nextInt(actions.length)];
            if (libseccompSafe && args.isEmpty() && ruleNames.size() == 1 && usedArgs.containsKey(ruleNames.get(0))) {
                continue; // its conditional rules would have had no comparison left: keep them conditional
            }
            if (libseccompSafe && !args.isEmpty()) {
                Action before = conditionalAction.putIfAbsent(ruleNames.get(0), act);
                if (before != null) {
                    act = before;
                }
            }
            rules.add(new Profile.Rule("syscalls[" + i + "]", ruleNames, act, args, Optional.empty(),
                    Optional.empty()));
        }
        return new Profile(def, List.of(), List.of(), 0, rules);
    }

    /** Argument vectors that hit both sides of every comparison of a profile, plus a few random ones. */
    static List<long[]> argumentSpread(List<Profile.Rule> rules, long seed) {
        Set<Long> values = new java.util.TreeSet<>();
        for (long v : INTERESTING) {
            values.add(v);
        }
        for (Profile.Rule r : rules) {
            for (Profile.Arg a : r.args()) {
                for (long v : new long[] {a.value(), a.valueTwo()}) {
                    values.add(v);
                    values.add(v - 1);
                    values.add(v + 1);
                    values.add(v ^ 0xffffffff00000000L);
                    values.add(v + 0x100000000L);
                    values.add(v - 0x100000000L);
                }
            }
        }
        List<Long> pool = new ArrayList<>(values);
        Random rnd = new Random(seed);
        List<long[]> out = new ArrayList<>();
        out.add(new long[6]);
        for (long v : pool) {
            out.add(new long[] {v, v, v, v, v, v});
        }
        for (int i = 0; i < 64; i++) {
            long[] a = new long[6];
            for (int j = 0; j < 6; j++) {
                a[j] = rnd.nextInt(4) == 0 ? rnd.nextLong() : pool.get(rnd.nextInt(pool.size()));
            }
            out.add(a);
        }
        return out;
    }
}
