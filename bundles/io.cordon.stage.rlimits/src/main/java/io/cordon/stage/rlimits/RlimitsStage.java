package io.cordon.stage.rlimits;

import io.cordon.api.Availability;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.linux.KernelProbe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * {@code --ulimit name=soft[:hard]}: one SETRLIMIT op per limit in the system phase,
 * while the child is still root with every capability (raising a hard limit needs
 * CAP_SYS_RESOURCE), before the uid switch and before capabilities are trimmed.
 * Values are checked when the launch opens, before anything exists on the host.
 */
@Component(property = IsolationStage.ORDER + ":Integer=100")
public class RlimitsStage implements IsolationStage {
    static final String KEY = "ulimit";
    private static final int CAP_SYS_RESOURCE = 24;
    private static final Path NR_OPEN = Path.of("/proc/sys/fs/nr_open");

    @Override
    public String name() {
        return "rlimits";
    }

    @Override
    public Phase phase() {
        return Phase.SYSTEM;
    }

    @Override
    public Set<String> handles() {
        return Set.of(KEY);
    }

    @Override
    public Availability probe() {
        String arch = System.getProperty("os.arch");
        if (!Set.of("amd64", "x86_64", "aarch64", "arm64").contains(arch)) {
            return Availability.unavailable("no RLIMIT_* numbers for " + arch + ": cordon supports x86_64 and aarch64");
        }
        return Availability.available("");
    }

    @Override
    public StageRun open(StageContext context) {
        List<String> values = context.spec().settings(KEY);
        List<Op.SetRlimit> limits = values.isEmpty() ? List.of() : Ulimits.parse(values, host());
        return plan -> limits.forEach(l -> plan.add(Phase.SYSTEM, l));
    }

    static Ulimits.Host host() {
        boolean canRaise = (KernelProbe.permittedCapabilities() & (1L << CAP_SYS_RESOURCE)) != 0;
        try {
            return new Ulimits.Host(nrOpen(), canRaise ? new long[0]
                    : hardLimits(Files.readAllLines(Path.of("/proc/self/limits"))), canRaise);
        } catch (IOException e) {
            return new Ulimits.Host(nrOpen(), new long[0], canRaise);
        }
    }

    /**
     * The hard limits of {@code /proc/self/limits}, indexed by RLIMIT_* number: the
     * kernel prints one line per resource in that order after a header, the name in 25
     * columns, then soft and hard in 20 columns each.
     */
    static long[] hardLimits(List<String> lines) {
        long[] hard = new long[Math.max(0, lines.size() - 1)];
        for (int i = 0; i < hard.length; i++) {
            String line = lines.get(i + 1);
            String value = line.length() < 47 ? "" : line.substring(47, Math.min(line.length(), 67)).trim();
            try {
                hard[i] = value.equals("unlimited") ? Ulimits.INFINITY : Long.parseLong(value);
            } catch (NumberFormatException e) {
                return java.util.Arrays.copyOf(hard, i); // an unexpected format: check only what was understood
            }
        }
        return hard;
    }

    /** fs.nr_open, the most open files any process may have (1048576 unless changed). */
    static long nrOpen() {
        // Not Files.readString: it reads a size-0 file one byte first, and an integer sysctl
        // read at a non-zero offset is EOF, so "1048576" would come back as "1".
        try (InputStream in = Files.newInputStream(NR_OPEN)) {
            return Long.parseLong(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            return 1L << 20;
        }
    }
}
