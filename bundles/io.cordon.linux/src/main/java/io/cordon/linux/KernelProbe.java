package io.cordon.linux;

import io.cordon.api.Availability;
import io.cordon.api.plan.Namespace;
import java.nio.file.Files;
import java.nio.file.Path;

/** Read-only checks of what the running kernel offers. */
public final class KernelProbe {
    private KernelProbe() {
    }

    /** A namespace type is available when the kernel exposes it under /proc/self/ns. */
    public static Availability namespace(Namespace ns) {
        Path p = Path.of("/proc/self/ns", ns.procName());
        if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return Availability.available("");
        }
        return Availability.unavailable("this kernel has no " + ns.procName() + " namespaces (" + p
                + " is missing; CONFIG_" + ns.name() + "_NS not set?)");
    }
}
