package io.cordon.stage.seccomp;

import io.cordon.api.Availability;
import io.cordon.api.Capability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.SeccompProfile;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Component;

/**
 * Seccomp: a syscall filter, installed before the uid and capability changes (the
 * kernel requires CAP_SYS_ADMIN for a filter without no_new_privs, as runc does it),
 * or as the last step before exec with no-new-privileges. Without a
 * flag the container gets cordon's default profile ({@code cordon-default.json}
 * in this bundle); {@code --security-opt seccomp=PATH} loads an OCI or Docker
 * profile instead and {@code seccomp=unconfined} turns filtering off. Profiles
 * are compiled to classic BPF here, in Java, and cached by content.
 */
@Component(property = IsolationStage.ORDER + ":Integer=0")
public class SeccompStage implements IsolationStage {
    /** The requirement key of a spec that asks for a seccomp profile. */
    public static final String REQUIREMENT = ContainerSpec.REQ_SECCOMP;
    static final String DEFAULT_PROFILE = "cordon-default.json";
    static final String DEFAULT_ORIGIN = "cordon's default seccomp profile";
    private static final int SIGSYS = 31;
    private static final Logger LOG = Logger.getLogger(SeccompStage.class.getName());

    private final FilterCache cache = new FilterCache();

    @Override
    public String name() {
        return "seccomp";
    }

    @Override
    public Phase phase() {
        return Phase.SECCOMP;
    }

    @Override
    public Set<String> handles() {
        return Set.of(REQUIREMENT);
    }

    @Override
    public Availability probe() {
        Optional<Arch> arch = Arch.host();
        if (arch.isEmpty()) {
            return Availability.unavailable("cordon compiles seccomp filters for x86_64 and aarch64, not "
                    + System.getProperty("os.arch"));
        }
        try {
            boolean seccomp = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.startsWith("Seccomp:"));
            if (!seccomp) {
                return Availability.unavailable("this kernel has no seccomp (no Seccomp: line in /proc/self/status;"
                        + " CONFIG_SECCOMP_FILTER not set?)");
            }
        } catch (IOException e) {
            return Availability.unavailable("cannot read /proc/self/status: " + e.getMessage());
        }
        return Availability.available(arch.get().id());
    }

    @Override
    public StageRun open(StageContext context) {
        return new Run(context.spec());
    }

    private final class Run implements StageRun {
        private final SeccompProfile choice;
        private final ContainerSpec spec;
        private FilterCache.Compiled compiled;
        private String origin = DEFAULT_ORIGIN;

        Run(ContainerSpec spec) {
            this.choice = spec.seccomp();
            this.spec = spec;
        }

        @Override
        public void prepare() {
            if (choice.kind() == SeccompProfile.Kind.UNCONFINED) {
                return;
            }
            Arch arch = Arch.host().orElseThrow(() -> new CordonException("seccomp: unsupported architecture "
                    + System.getProperty("os.arch")));
            byte[] profile;
            if (choice.file().isPresent()) {
                Path file = choice.file().get();
                String flag = choice.source().orElse("seccomp profile");
                origin = "seccomp profile " + file;
                try {
                    profile = Files.readAllBytes(file);
                } catch (NoSuchFileException e) {
                    throw new CordonException(flag + ": no such file " + file);
                } catch (IOException e) {
                    throw new CordonException(flag + ": cannot read " + file + ": " + e.getMessage());
                }
            } else {
                profile = defaultProfile();
            }
            int[] kernel = kernelVersion();
            // Moby's rules that depend on capabilities see the container's own set, which the spec decides.
            Resolver.Context ctx = new Resolver.Context(arch, Capability.capNames(spec.capabilities().resulting()),
                    kernel[0], kernel[1]);
            compiled = cache.get(profile, origin, ctx);
            for (String note : compiled.notes()) {
                LOG.log(Level.FINE, "{0}: {1}", new Object[] {origin, note});
            }
        }

        @Override
        public void contribute(PlanBuilder plan) {
            if (compiled != null) {
                // Without no_new_privs the kernel only lets a process with CAP_SYS_ADMIN install a filter,
                // and the identity and capability phases take that away. So, as runc does, the filter goes
                // in before them (last in the LSM label phase) unless no_new_privs is asked for; the
                // profile then also governs the setresuid, capset and prctl calls that follow.
                plan.add(spec.noNewPrivileges().on() ? Phase.SECCOMP : Phase.LSM_LABEL,
                        new Op.Seccomp(compiled.flags(), compiled.program()));
            }
        }

        @Override
        public Optional<String> explainExit(int exitCode, int signal) {
            if (compiled == null) {
                return Optional.empty();
            }
            if (!compiled.startBlockers().isEmpty() && (signal != 0 || exitCode >= 125)) {
                return Optional.of(origin + " does not allow " + String.join(", ", compiled.startBlockers())
                        + ", which the container needs to start");
            }
            if (signal == SIGSYS) {
                return Optional.of("killed by SIGSYS: a syscall that " + origin + " answers with KILL or TRAP");
            }
            return Optional.empty();
        }

        @Override
        public Map<String, String> stats() {
            Map<String, String> s = new LinkedHashMap<>();
            if (compiled == null) {
                s.put("profile", "unconfined");
                return s;
            }
            s.put("profile", origin);
            s.put("sha256", compiled.sha256());
            s.put("instructions", Integer.toString(compiled.instructions()));
            List<String> notes = compiled.notes();
            for (int i = 0; i < notes.size(); i++) {
                s.put("note" + (i + 1), notes.get(i));
            }
            return s;
        }
    }

    static byte[] defaultProfile() {
        try (InputStream in = SeccompStage.class.getResourceAsStream(DEFAULT_PROFILE)) {
            if (in == null) {
                throw new CordonException("the seccomp stage bundle lacks " + DEFAULT_PROFILE);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CordonException("cannot read " + DEFAULT_PROFILE + ": " + e.getMessage());
        }
    }

    /** Major and minor of the running kernel, for Moby's minKernel. */
    static int[] kernelVersion() {
        String release;
        try {
            release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            release = System.getProperty("os.version", "");
        }
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            throw new CordonException("seccomp: cannot tell the kernel version from \"" + release + "\"");
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }
}
