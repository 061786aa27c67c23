package io.cordon.linux;

import io.cordon.api.Availability;
import io.cordon.api.CordonException;
import io.cordon.api.plan.Namespace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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

    /** The highest capability number the running kernel knows ({@code /proc/sys/kernel/cap_last_cap}). */
    public static int capLastCap() {
        Path p = Path.of("/proc/sys/kernel/cap_last_cap");
        // Not Files.readString: it reads a size-0 file one byte first, and an integer sysctl
        // read at a non-zero offset is EOF, so "40" would come back as "4".
        try (InputStream in = Files.newInputStream(p)) {
            int last = Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
            if (last < 0 || last > 63) {
                throw new CordonException(p + " says " + last + ": expected 0..63");
            }
            return last;
        } catch (IOException | NumberFormatException e) {
            throw new CordonException("cannot read " + p + ": " + e.getMessage());
        }
    }

    /**
     * The capabilities this process holds in its permitted set ({@code CapPrm} of
     * {@code /proc/self/status}): the most a child it launches can keep.
     */
    public static long permittedCapabilities() {
        Path p = Path.of("/proc/self/status");
        try {
            for (String line : Files.readAllLines(p)) {
                if (line.startsWith("CapPrm:")) {
                    return Long.parseUnsignedLong(line.substring("CapPrm:".length()).trim(), 16);
                }
            }
            throw new CordonException(p + " has no CapPrm line");
        } catch (IOException | NumberFormatException e) {
            throw new CordonException("cannot read the capabilities of this process from " + p + ": " + e.getMessage());
        }
    }
}
