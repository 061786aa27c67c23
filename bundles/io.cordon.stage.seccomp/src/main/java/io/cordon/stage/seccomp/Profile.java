package io.cordon.stage.seccomp;

import java.util.List;
import java.util.Optional;

/**
 * A seccomp profile as written: the OCI runtime-spec {@code linux.seccomp} object,
 * or its superset, the Moby/Docker profile ({@code archMap}, {@code name},
 * {@code includes}/{@code excludes}). Nothing here depends on the host yet; {@link
 * Resolver} applies the architecture, capabilities and kernel version.
 *
 * @param architectures the {@code architectures} list (SCMP_ARCH_* names)
 * @param archMap the {@code archMap} entries: an architecture and its sub-architectures
 * @param flags SECCOMP_FILTER_FLAG_* bits for seccomp(2)
 */
public record Profile(Action defaultAction, List<String> architectures, List<ArchMapEntry> archMap, int flags,
        List<Rule> rules) {

    public Profile {
        architectures = List.copyOf(architectures);
        archMap = List.copyOf(archMap);
        rules = List.copyOf(rules);
    }

    public record ArchMapEntry(String architecture, List<String> subArchitectures) {
        public ArchMapEntry {
            subArchitectures = List.copyOf(subArchitectures);
        }
    }

    /**
     * One entry of {@code syscalls}. {@code path} names it in messages
     * ({@code syscalls[3]}).
     */
    public record Rule(String path, List<String> names, Action action, List<Arg> args, Optional<Filter> includes,
            Optional<Filter> excludes) {
        public Rule {
            names = List.copyOf(names);
            args = List.copyOf(args);
        }
    }

    /** Moby's includes/excludes: capabilities, Go architecture names, minimum kernel (major, minor). */
    public record Filter(List<String> caps, List<String> arches, Optional<int[]> minKernel) {
        public Filter {
            caps = List.copyOf(caps);
            arches = List.copyOf(arches);
        }
    }

    /** One argument comparison; for MASKED_EQ {@code value} is the mask and {@code valueTwo} the expected value. */
    public record Arg(int index, ArgOp op, long value, long valueTwo) {
    }

    /** Argument comparisons, all unsigned 64-bit, as in libseccomp. */
    public enum ArgOp {
        NE("SCMP_CMP_NE"), LT("SCMP_CMP_LT"), LE("SCMP_CMP_LE"), EQ("SCMP_CMP_EQ"), GE("SCMP_CMP_GE"),
        GT("SCMP_CMP_GT"), MASKED_EQ("SCMP_CMP_MASKED_EQ");

        final String scmpName;

        ArgOp(String scmpName) {
            this.scmpName = scmpName;
        }

        public String scmpName() {
            return scmpName;
        }

        /** What the comparison means, for tests and for the interpreter-free reference evaluation. */
        public boolean test(long arg, long value, long valueTwo) {
            return switch (this) {
                case NE -> arg != value;
                case LT -> Long.compareUnsigned(arg, value) < 0;
                case LE -> Long.compareUnsigned(arg, value) <= 0;
                case EQ -> arg == value;
                case GE -> Long.compareUnsigned(arg, value) >= 0;
                case GT -> Long.compareUnsigned(arg, value) > 0;
                case MASKED_EQ -> (arg & value) == valueTwo;
            };
        }
    }
}
