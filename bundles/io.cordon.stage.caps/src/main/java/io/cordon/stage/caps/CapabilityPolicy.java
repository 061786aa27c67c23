package io.cordon.stage.caps;

import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.plan.Op;
import java.util.List;
import java.util.Optional;

/**
 * The five capability sets for one container, computed the way Docker does (moby's
 * TweakCapabilities): --privileged keeps everything; --cap-add ALL keeps everything
 * but the drops; --cap-drop ALL keeps only the adds; otherwise the default 14 minus
 * the drops plus the adds.
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
    static final String CAP_ADD = "cap-add";
    static final String CAP_DROP = "cap-drop";
    static final String PRIVILEGED = "privileged";
    static final String USER = "user";

    private CapabilityPolicy() {
    }

    /** The names given to one flag: ALL, and the mask of the others. */
    private record Names(boolean all, long mask) {
        static Names parse(String flag, List<String> given, int lastCap) {
            boolean all = false;
            long mask = 0;
            for (String g : given) {
                if (g.trim().equalsIgnoreCase(Capabilities.ALL)) {
                    all = true;
                } else {
                    mask |= 1L << Capabilities.number(flag, g, lastCap);
                }
            }
            return new Names(all, mask);
        }
    }

    static Op.CapSet plan(ContainerSpec spec, int lastCap, long held) {
        return plan(spec.settings(CAP_ADD), spec.settings(CAP_DROP), !spec.settings(PRIVILEGED).isEmpty(),
                nonRoot(spec.setting(USER)), lastCap, held);
    }

    static Op.CapSet plan(List<String> add, List<String> drop, boolean privileged, boolean nonRootUser,
            int lastCap, long held) {
        long all = Capabilities.all(lastCap);
        Names adds = Names.parse("--" + CAP_ADD, add, lastCap);
        Names drops = Names.parse("--" + CAP_DROP, drop, lastCap);
        long mask;
        if (privileged) {
            mask = all;
        } else if (adds.all()) {
            mask = all & ~drops.mask();
        } else if (drops.all()) {
            mask = adds.mask();
        } else {
            mask = (Capabilities.DOCKER_DEFAULT & all & ~drops.mask()) | adds.mask();
        }
        long notHeld = adds.mask() & mask & ~held;
        if (notHeld != 0) {
            String name = Capabilities.name(Long.numberOfTrailingZeros(notHeld));
            throw new CordonException("--" + CAP_ADD + " " + name + ": cordon itself does not hold CAP_" + name
                    + " (it is not in its permitted set), so it cannot give it to a container");
        }
        mask &= held;
        long asked = adds.all() ? all : adds.mask();
        if (!nonRootUser) {
            return new Op.CapSet(mask, mask, mask, 0, 0);
        }
        long ambient = asked & mask;
        return new Op.CapSet(mask, ambient, mask, ambient, ambient);
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
