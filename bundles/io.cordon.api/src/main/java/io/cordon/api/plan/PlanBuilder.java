package io.cordon.api.plan;

/** What a stage sees of the plan while it contributes. */
public interface PlanBuilder {

    /** Clone the child into a new namespace of this type. */
    PlanBuilder unshare(Namespace namespace);

    /** Join the namespace at {@code path} (a /proc/PID/ns file or a bind-mounted one). */
    PlanBuilder join(Namespace namespace, String path);

    /**
     * Deliberately keep the host's namespace of this type (e.g. {@code --network host}). Changes nothing in
     * the child; it makes the choice visible in {@code --dry-run}/{@code cordon:explain}. Ignored if a stage
     * creates or joins a namespace of this type.
     */
    default PlanBuilder share(Namespace namespace) {
        return this;
    }

    /** Append an op to a phase. */
    PlanBuilder add(Phase phase, Op op);

    /** Append an op that is skipped if its target does not exist in the child. */
    PlanBuilder addOptional(Phase phase, Op op);

    /**
     * Append {@code option} to the mount data of every mount of one of {@code fstypes} in the plan, also those
     * contributed before this call (an SELinux stage labels the container's tmpfs mounts with
     * {@code context="..."}, whichever stage made them).
     */
    PlanBuilder addMountOption(java.util.Set<String> fstypes, String option);

    /**
     * Add a one-line note to the plan for {@code --dry-run}/{@code cordon:explain}: something the reader should
     * know that no op shows (say, that the container keeps the runtime's SELinux context). Changes nothing in
     * the child.
     */
    default PlanBuilder note(String text) {
        return this;
    }

    /** Whether a stage that contributed before this one asked for a new namespace of this type. */
    boolean unshares(Namespace namespace);
}
