package io.cordon.stage.caps;

import io.cordon.api.Capability;
import io.cordon.api.CapabilityRequest;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.plan.Op;
import java.util.Optional;
import java.util.Set;

/**
 * The five capability sets for one container, from the set the spec's
 * {@link CapabilityRequest} computes as Docker does, over the capabilities this kernel has.
 *
 * <p>Root keeps the mask in bounding, permitted and effective (after exec root's
 * effective set is its bounding set). A non-root {@code --user} loses permitted and
 * effective at exec, so the capabilities it explicitly asked for with --cap-add are
 * also put in inheritable and ambient, which survive exec; this relies on the
 * identity stage keeping permitted across the uid switch (PR_SET_KEEPCAPS). Its
 * effective set is the ambient one already before exec, so the chdir and exec of
 * the plan are checked as that user (as runc does), not with DAC_OVERRIDE.
 *
 * <p>A capability cordon itself does not hold cannot be given: it is left out of the
 * default set and ALL silently (that is only stricter), and an explicit --cap-add of
 * one is an error.
 */
final class CapabilityPolicy {
    static final String USER = "user";

    private CapabilityPolicy() {
    }

    static Op.CapSet plan(ContainerSpec spec, int lastCap, long held) {
        return plan(spec.capabilities(), nonRoot(spec.setting(USER)), lastCap, held);
    }

    static Op.CapSet plan(CapabilityRequest request, boolean nonRootUser, int lastCap, long held) {
        requireInKernel("--cap-add", request.add(), lastCap);
        requireInKernel("--cap-drop", request.drop(), lastCap);
        long all = Capability.allUpTo(lastCap);
        long mask = request.mask(all);
        long adds = Capability.mask(request.add());
        long notHeld = adds & mask & ~held;
        if (notHeld != 0) {
            String name = Capability.nameOf(Long.numberOfTrailingZeros(notHeld));
            throw new CordonException("--cap-add " + name + ": cordon itself does not hold CAP_" + name
                    + " (it is not in its permitted set), so it cannot give it to a container");
        }
        mask &= held;
        long asked = request.addAll() ? all : adds;
        if (!nonRootUser) {
            return new Op.CapSet(mask, mask, mask, 0, 0);
        }
        long ambient = asked & mask;
        return new Op.CapSet(mask, ambient, mask, ambient, ambient);
    }

    /** A capability named on a flag must exist in this kernel: one it lacks cannot be given or taken. */
    private static void requireInKernel(String flag, Set<Capability> named, int lastCap) {
        for (Capability c : named) {
            if (c.number() > lastCap) {
                throw new CordonException(flag + " " + c.name() + ": this kernel has no " + c.capName()
                        + " (its last capability is " + lastCap + ", CAP_" + Capability.nameOf(lastCap) + ")");
            }
        }
    }

    /**
     * Whether --user names someone other than root. The identity stage resolves names;
     * here only uid 0 and "root" count as root, which at worst puts the asked-for
     * capabilities in the ambient set of a root that already has them.
     */
    static boolean nonRoot(Optional<String> user) {
        if (user.isEmpty()) {
            return false;
        }
        String who = user.get().split(":", 2)[0].trim();
        return !(who.isEmpty() || who.equals("root") || who.matches("0+"));
    }
}
