package io.cordon.stage.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.Capability;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The compiled BPF, run in an interpreter, against the resolver's reference evaluation. */
class CompilerTest {
    private static final int I386 = 0x40000003;
    private static final int ARM = 0x40000028;

    @Test
    void randomProfilesMatchTheReferenceEvaluationForEveryNumberAndArgument() {
        for (long seed = 1; seed <= 60; seed++) {
            Profile p = TestData.random(seed, false);
            Resolver.Resolved r = Resolver.resolve(p, TestData.X86_DEFAULT_CAPS);
            BpfInterpreter bpf = new BpfInterpreter(Compiler.compile(r, "random " + seed));
            List<long[]> spread = TestData.argumentSpread(p.rules(), seed);
            for (int nr = 0; nr < 520; nr++) {
                boolean conditional = r.syscalls().containsKey(nr)
                        && r.syscalls().get(nr).unconditional().isEmpty();
                for (long[] args : conditional ? spread : spread.subList(0, 2)) {
                    Action want = r.evaluate(nr, args);
                    Action got = bpf.run(nr, Arch.X86_64.auditArch(), 0, args).action();
                    if (!want.equals(got)) {
                        throw new AssertionError("seed " + seed + " nr " + nr + " args " + java.util.Arrays.toString(args)
                                + ": want " + want + ", BPF says " + got + "\n" + bpf.disassemble());
                    }
                }
            }
        }
    }

    @Test
    void foreignArchitecturesAndX32AreRefusedButMinusOneIsNot() {
        Resolver.Resolved r = Resolver.resolve(ProfileParser.parse(TestData.cordonDefault(), "default"),
                TestData.X86_DEFAULT_CAPS);
        BpfInterpreter bpf = new BpfInterpreter(Compiler.compile(r, "default"));
        int read = Arch.X86_64.syscall("read").orElseThrow();
        assertEquals(Action.ALLOW, bpf.run(read, Arch.X86_64.auditArch(), 0, new long[6]).action());
        assertEquals(Action.KILL_PROCESS, bpf.run(read, I386, 0, new long[6]).action(), "i386 ABI");
        assertEquals(Action.KILL_PROCESS, bpf.run(read, Arch.AARCH64.auditArch(), 0, new long[6]).action());
        assertEquals(Action.KILL_PROCESS, bpf.run(read | Arch.X32_SYSCALL_BIT, Arch.X86_64.auditArch(), 0,
                new long[6]).action(), "x32 ABI");
        assertEquals(Action.errno(1), bpf.run(-1, Arch.X86_64.auditArch(), 0, new long[6]).action(),
                "-1 (a tracer's skipped syscall) gets the default action, as in libseccomp");

        Resolver.Resolved arm = Resolver.resolve(ProfileParser.parse(TestData.cordonDefault(), "default"),
                new Resolver.Context(Arch.AARCH64, Capability.capNames(Capability.DOCKER_DEFAULT), 6, 18));
        BpfInterpreter a = new BpfInterpreter(Compiler.compile(arm, "default"));
        int armRead = Arch.AARCH64.syscall("read").orElseThrow();
        assertEquals(Action.ALLOW, a.run(armRead, Arch.AARCH64.auditArch(), 0, new long[6]).action());
        assertEquals(Action.KILL_PROCESS, a.run(armRead, ARM, 0, new long[6]).action(), "32-bit ARM");
        assertEquals(Action.KILL_PROCESS, a.run(armRead, Arch.X86_64.auditArch(), 0, new long[6]).action());
        assertEquals(Action.errno(1), a.run(Arch.AARCH64.syscall("keyctl").orElseThrow(), Arch.AARCH64.auditArch(),
                0, new long[6]).action());
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker", "podman"})
    void theArchitectureIsCheckedFirstAndTheSearchIsLogarithmic(String name) {
        byte[] json = name.equals("docker") ? TestData.moby("default.json") : TestData.podman();
        Resolver.Resolved r = Resolver.resolve(ProfileParser.parse(json, name), TestData.X86_DEFAULT_CAPS);
        BpfInterpreter bpf = new BpfInterpreter(Compiler.compile(r, name));
        // ld arch; jeq; ret: three instructions for a foreign architecture
        assertEquals(3, bpf.run(0, I386, 0, new long[6]).executed());
        int worst = 0;
        for (int nr = 0; nr < 512; nr++) {
            worst = Math.max(worst, bpf.run(nr, Arch.X86_64.auditArch(), 0, new long[6]).executed());
        }
        // a linear chain over ~300 allowed syscalls would need hundreds
        assertTrue(worst < 40, "worst case " + worst + " instructions");
    }

    @Test
    void farJumpsGoThroughTrampolines() {
        // Many conditional syscalls: the binary search's branches span far more than 255 instructions.
        List<Profile.Rule> rules = new ArrayList<>();
        int i = 0;
        for (String name : Arch.X86_64.syscalls().keySet()) {
            if (i++ % 2 == 0) {
                rules.add(new Profile.Rule("syscalls[" + i + "]", List.of(name), Action.ALLOW,
                        List.of(new Profile.Arg(i % 6, Profile.ArgOp.GE, 0x100000000L * i + i, 0)), Optional.empty(),
                        Optional.empty()));
            }
        }
        Profile p = new Profile(Action.errno(1), List.of(), List.of(), 0, rules);
        Resolver.Resolved r = Resolver.resolve(p, TestData.X86_DEFAULT_CAPS);
        byte[] prog = Compiler.compile(r, "big");
        assertTrue(prog.length / 8 > 1000, "program has " + prog.length / 8 + " instructions");
        BpfInterpreter bpf = new BpfInterpreter(prog);
        for (long[] args : TestData.argumentSpread(p.rules(), 5)) {
            for (int nr = 0; nr < 460; nr++) {
                assertEquals(r.evaluate(nr, args), bpf.run(nr, Arch.X86_64.auditArch(), 0, args).action());
            }
        }
    }

    @Test
    void aProgramOverTheKernelLimitIsAnError() {
        List<Profile.Rule> rules = new ArrayList<>();
        for (String name : Arch.X86_64.syscalls().keySet()) {
            List<Profile.Arg> args = new ArrayList<>();
            for (int a = 0; a < 6; a++) {
                args.add(new Profile.Arg(a, Profile.ArgOp.GT, 0x500000005L, 0));
            }
            rules.add(new Profile.Rule("syscalls[0]", List.of(name), Action.ALLOW, args, Optional.empty(),
                    Optional.empty()));
        }
        Resolver.Resolved r = Resolver.resolve(new Profile(Action.errno(1), List.of(), List.of(), 0, rules),
                TestData.X86_DEFAULT_CAPS);
        ProfileException e = assertThrows(ProfileException.class, () -> Compiler.compile(r, "huge.json"));
        assertTrue(e.getMessage().startsWith("huge.json: syscalls: the filter needs "), e.getMessage());
    }
}
