package io.cordon.api;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a container asks of its capabilities ({@code --privileged}, {@code --cap-add}, {@code --cap-drop}), and
 * the set Docker computes from that (moby's TweakCapabilities): privileged keeps everything; adding ALL keeps
 * everything but the drops; dropping ALL keeps only the adds; otherwise Docker's default 14 minus the drops plus
 * the adds. The capabilities stage applies the set; the seccomp stage reads it for Moby's capability-conditional
 * rules.
 *
 * @param privileged whether every capability is kept
 * @param addAll     whether {@code ALL} was among the adds
 * @param add        the capabilities added by name
 * @param dropAll    whether {@code ALL} was among the drops
 * @param drop       the capabilities dropped by name
 */
public record CapabilityRequest(boolean privileged, boolean addAll, Set<Capability> add, boolean dropAll,
        Set<Capability> drop) {

    /** Nothing asked: Docker's default set. */
    public static final CapabilityRequest DEFAULT = new CapabilityRequest(false, false, Set.of(), false, Set.of());

    public CapabilityRequest {
        add = copy(add);
        drop = copy(drop);
    }

    private static Set<Capability> copy(Set<Capability> caps) {
        Set<Capability> s = EnumSet.noneOf(Capability.class);
        s.addAll(caps);
        return Collections.unmodifiableSet(s);
    }

    /**
     * The request of {@code --privileged}, {@code --cap-add} and {@code --cap-drop} as given: names with or
     * without {@code CAP_}, any case, or {@code ALL}, each value one name (as Docker takes them).
     *
     * @throws CordonException naming the flag and the name it does not know
     */
    public static CapabilityRequest parse(boolean privileged, List<String> add, List<String> drop) {
        Set<Capability> adds = EnumSet.noneOf(Capability.class);
        Set<Capability> drops = EnumSet.noneOf(Capability.class);
        boolean addAll = names("--cap-add", add, adds);
        boolean dropAll = names("--cap-drop", drop, drops);
        return new CapabilityRequest(privileged, addAll, adds, dropAll, drops);
    }

    /** Collects the names of one flag into {@code into}; returns whether ALL was among them. */
    private static boolean names(String flag, List<String> given, Set<Capability> into) {
        boolean all = false;
        for (String g : given) {
            if (g.trim().equalsIgnoreCase(Capability.ALL_WORD)) {
                all = true;
            } else {
                into.add(Capability.parse(flag, g));
            }
        }
        return all;
    }

    /** Whether {@code --cap-add} was given at all. */
    public boolean adds() {
        return addAll || !add.isEmpty();
    }

    /** Whether {@code --cap-drop} was given at all. */
    public boolean drops() {
        return dropAll || !drop.isEmpty();
    }

    /**
     * The resulting set as a mask over {@code all}, the bits ALL stands for (the kernel's capabilities, see
     * {@link Capability#allUpTo}). Capabilities added by name are in it even where {@code all} lacks them:
     * checking those against the kernel is the capabilities stage's part.
     */
    public long mask(long all) {
        long adds = Capability.mask(add);
        long drops = Capability.mask(drop);
        if (privileged) {
            return all;
        }
        if (addAll) {
            return all & ~drops;
        }
        if (dropAll) {
            return adds;
        }
        return (Capability.mask(Capability.DOCKER_DEFAULT) & all & ~drops) | adds;
    }

    /** The resulting set among the capabilities this table names (those a seccomp profile can name). */
    public Set<Capability> resulting() {
        return Capability.of(mask(Capability.mask(Capability.KNOWN)));
    }

    /** The flag text of the adds and drops, for messages: {@code --cap-add NET_ADMIN}, {@code --cap-drop ALL}. */
    String addFlag() {
        return "--cap-add " + (addAll ? Capability.ALL_WORD : add.iterator().next().name());
    }

    String dropFlag() {
        return "--cap-drop " + (dropAll ? Capability.ALL_WORD : drop.iterator().next().name());
    }
}
