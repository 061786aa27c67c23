package io.cordon.stage.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a profile into the per-syscall policy of one architecture, with the
 * semantics Docker users get from dockerd + runc + libseccomp:
 * <ul>
 * <li>Moby's {@code includes}/{@code excludes}: a rule applies only if every
 * included capability is in the bounding set, the architecture is included, and
 * the kernel is at least {@code minKernel}; any excluded capability, architecture
 * or a kernel at least the excluded {@code minKernel} drops it.</li>
 * <li>A syscall name the architecture does not have is skipped, with a note.</li>
 * <li>A rule whose action is the default action changes nothing and is dropped.</li>
 * <li>A rule that compares the same argument more than once is split into one
 * rule per comparison (runc's rule: those comparisons are OR-ed, the others
 * AND-ed).</li>
 * <li>For one syscall the first unconditional rule decides and its conditional
 * rules are dropped (libseccomp's rule); otherwise the conditional rules are tried
 * in profile order and the first whose comparisons all hold decides, and if none
 * does the default action applies.</li>
 * </ul>
 */
public final class Resolver {
    private Resolver() {
    }

    /** What a profile is resolved against: the target architecture, the bounding capabilities, the kernel. */
    public record Context(Arch arch, Set<String> capabilities, int kernelMajor, int kernelMinor) {
        public Context {
            capabilities = Set.copyOf(capabilities);
        }
    }

    /** One syscall's policy: an unconditional action, or conditional rules tried in order before the default. */
    public record SyscallPolicy(Optional<Action> unconditional, List<Conditional> rules) {
        public SyscallPolicy {
            rules = List.copyOf(rules);
        }

        /** The action for these argument values (a reference evaluation, used by tests). */
        public Action evaluate(long[] args, Action defaultAction) {
            if (unconditional.isPresent()) {
                return unconditional.get();
            }
            for (Conditional c : rules) {
                if (c.matches(args)) {
                    return c.action();
                }
            }
            return defaultAction;
        }
    }

    public record Conditional(Action action, List<Profile.Arg> args) {
        public Conditional {
            args = List.copyOf(args);
        }

        boolean matches(long[] a) {
            return args.stream().allMatch(x -> x.op().test(a[x.index()], x.value(), x.valueTwo()));
        }
    }

    /** A resolved filter: everything the compiler needs, plus notes for the user. */
    public record Resolved(Arch arch, Action defaultAction, int flags, Map<Integer, SyscallPolicy> syscalls,
            List<String> notes) {
        public Resolved {
            syscalls = java.util.Collections.unmodifiableMap(new TreeMap<>(syscalls));
            notes = List.copyOf(notes);
        }

        /** The action for a native-ABI syscall (a reference evaluation, used by tests). */
        public Action evaluate(int nr, long[] args) {
            SyscallPolicy p = syscalls.get(nr);
            return p == null ? defaultAction : p.evaluate(args, defaultAction);
        }
    }

    /** The rules that apply on this host after Moby's includes/excludes: what dockerd hands runc. */
    public static List<Profile.Rule> applicableRules(Profile profile, Context ctx) {
        List<Profile.Rule> out = new ArrayList<>();
        for (Profile.Rule r : profile.rules()) {
            if (applies(r, ctx)) {
                out.add(r);
            }
        }
        return out;
    }

    static boolean applies(Profile.Rule r, Context ctx) {
        if (r.excludes().isPresent()) {
            Profile.Filter x = r.excludes().get();
            if (x.arches().contains(ctx.arch().goArch())) {
                return false;
            }
            if (x.caps().stream().anyMatch(ctx.capabilities()::contains)) {
                return false;
            }
            if (x.minKernel().isPresent() && kernelAtLeast(ctx, x.minKernel().get())) {
                return false;
            }
        }
        if (r.includes().isPresent()) {
            Profile.Filter i = r.includes().get();
            if (!i.arches().isEmpty() && !i.arches().contains(ctx.arch().goArch())) {
                return false;
            }
            if (!ctx.capabilities().containsAll(i.caps())) {
                return false;
            }
            if (i.minKernel().isPresent() && !kernelAtLeast(ctx, i.minKernel().get())) {
                return false;
            }
        }
        return true;
    }

    private static boolean kernelAtLeast(Context ctx, int[] v) {
        return ctx.kernelMajor() > v[0] || ctx.kernelMajor() == v[0] && ctx.kernelMinor() >= v[1];
    }

    public static Resolved resolve(Profile profile, Context ctx) {
        Arch arch = ctx.arch();
        List<String> notes = new ArrayList<>();
        Set<String> foreign = new LinkedHashSet<>();
        List<String> listed = new ArrayList<>(profile.architectures());
        for (Profile.ArchMapEntry e : profile.archMap()) {
            if (e.architecture().equals(arch.scmpName())) {
                listed.add(e.architecture());
                listed.addAll(e.subArchitectures());
            }
        }
        for (String a : listed) {
            if (!a.equals(arch.scmpName()) && !a.equals("SCMP_ARCH_NATIVE")) {
                foreign.add(a);
            }
        }
        if (!foreign.isEmpty()) {
            notes.add("the profile also lists " + String.join(", ", foreign) + ": cordon admits only the native "
                    + arch.id() + " ABI, syscalls of " + (foreign.size() == 1 ? "that one" : "those") + " are refused");
        }

        Map<Integer, Optional<Action>> unconditional = new TreeMap<>();
        Map<Integer, List<Conditional>> conditional = new TreeMap<>();
        Set<String> unknown = new LinkedHashSet<>();
        for (Profile.Rule r : applicableRules(profile, ctx)) {
            if (r.action().equals(profile.defaultAction())) {
                continue;
            }
            for (String name : r.names()) {
                Optional<Integer> nr = arch.syscall(name);
                if (nr.isEmpty()) {
                    unknown.add(name);
                    continue;
                }
                int n = nr.get();
                if (unconditional.containsKey(n)) {
                    continue; // the first unconditional rule decides
                }
                if (r.args().isEmpty()) {
                    unconditional.put(n, Optional.of(r.action()));
                    conditional.remove(n);
                    continue;
                }
                List<Conditional> list = conditional.computeIfAbsent(n, k -> new ArrayList<>());
                if (repeatsAnArgument(r.args())) {
                    for (Profile.Arg a : r.args()) {
                        list.add(new Conditional(r.action(), List.of(a)));
                    }
                } else {
                    list.add(new Conditional(r.action(), r.args()));
                }
            }
        }
        if (!unknown.isEmpty()) {
            notes.add(unknown.size() + " syscall name" + (unknown.size() == 1 ? " is" : "s are") + " not known on "
                    + arch.id() + " and " + (unknown.size() == 1 ? "was" : "were") + " skipped: "
                    + String.join(", ", unknown));
        }
        Map<Integer, SyscallPolicy> policies = new TreeMap<>();
        unconditional.forEach((n, a) -> policies.put(n, new SyscallPolicy(a, List.of())));
        conditional.forEach((n, l) -> policies.put(n, new SyscallPolicy(Optional.empty(), l)));
        return new Resolved(arch, profile.defaultAction(), profile.flags(), policies, notes);
    }

    private static boolean repeatsAnArgument(List<Profile.Arg> args) {
        return args.stream().map(Profile.Arg::index).distinct().count() < args.size();
    }
}
