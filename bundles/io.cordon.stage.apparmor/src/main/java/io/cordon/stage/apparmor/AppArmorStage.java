package io.cordon.stage.apparmor;

import io.cordon.api.Availability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.CordonException;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * AppArmor: the container's programs run confined by an AppArmor profile. As in Docker,
 * {@code --security-opt apparmor=PROFILE} names a profile already loaded into the kernel,
 * {@code apparmor=unconfined} asks for none, and with neither every container on an AppArmor host gets
 * cordon's own default profile, {@value #DEFAULT_PROFILE}, which this stage loads when the kernel lacks it or
 * its text changed (see {@link ProfileLoader}).
 *
 * <p>The confinement starts at the container's exec: the launcher writes {@code exec PROFILE} to the child's
 * own {@code attr/exec} in procfs after pivot_root, and the kernel applies it at the next execve. The launcher
 * itself, and everything it does before exec, stays unconfined.
 */
@Component(property = IsolationStage.ORDER + ":Integer=10")
public class AppArmorStage implements IsolationStage {
    /** The requirement key of a spec that asks for an AppArmor profile. */
    public static final String REQUIREMENT = ContainerSpec.REQ_APPARMOR;
    static final String DEFAULT_PROFILE = "cordon-default";
    /**
     * Where the exec label goes, resolved inside the container (its own /proc). Kernels since 5.1 give each LSM
     * its own attr directory; the shared attr/exec is the older name and still works where AppArmor is the
     * major LSM. thread-self: the label is per thread, and the launcher's child is single-threaded anyway.
     */
    static final List<String> EXEC_ATTR = List.of("/proc/thread-self/attr/apparmor/exec", "/proc/self/attr/exec");

    private final AppArmorHost host;
    private final ProfileLoader loader;

    public AppArmorStage() {
        this(AppArmorHost.system());
    }

    private AppArmorStage(AppArmorHost host) {
        this(host, ProfileLoader.system(host));
    }

    AppArmorStage(AppArmorHost host, ProfileLoader loader) {
        this.host = host;
        this.loader = loader;
    }

    @Override
    public String name() {
        return "apparmor";
    }

    @Override
    public Phase phase() {
        return Phase.LSM_LABEL;
    }

    @Override
    public Set<String> handles() {
        return Set.of(REQUIREMENT);
    }

    @Override
    public Availability probe() {
        AppArmorHost.State state = host.probe();
        if (!state.active()) {
            return Availability.unavailable(state.reason());
        }
        String mode = host.mode().orElse("enforce");
        StringBuilder detail = new StringBuilder(mode.equals("enforce") ? "enforcing" : "global mode " + mode
                + ": profiles log what they would deny but deny nothing");
        detail.append(" (default profile ").append(DEFAULT_PROFILE);
        try {
            if (!host.isLoaded(DEFAULT_PROFILE)) {
                detail.append(", loaded at the first launch");
            }
        } catch (CordonException e) {
            detail.append(", ").append(e.getMessage());
        }
        detail.append(')');
        if (loader.parser().isEmpty()) {
            detail.append("; ").append(ProfileLoader.PARSER).append(" is not installed, so only profiles already"
                    + " loaded can be used (apt-get install apparmor)");
        }
        return Availability.available(detail.toString());
    }

    @Override
    public StageRun open(StageContext context) {
        return new Run(ProfileChoice.of(context.spec(), DEFAULT_PROFILE), context.dryRun());
    }

    /** The bytes the launcher writes to the exec attribute: exactly these, as a trailing newline clears it. */
    static byte[] execLabel(String profile) {
        return ("exec " + profile).getBytes(StandardCharsets.UTF_8);
    }

    private final class Run implements StageRun {
        private final ProfileChoice choice;
        private final boolean dryRun;

        Run(ProfileChoice choice, boolean dryRun) {
            this.choice = choice;
            this.dryRun = dryRun;
        }

        @Override
        public void prepare() {
            switch (choice.kind()) {
                case UNCONFINED -> {
                }
                case NAMED -> {
                    // Only reads the kernel's list, so a dry run checks it too.
                    if (!host.isLoaded(choice.profile())) {
                        throw new CordonException("apparmor profile '" + choice.profile() + "' is not loaded (load"
                                + " it with apparmor_parser -r FILE, then retry)");
                    }
                }
                case DEFAULT -> {
                    if (!dryRun) {
                        loader.ensureLoaded(DEFAULT_PROFILE, DefaultProfile.render(DEFAULT_PROFILE));
                    }
                }
            }
        }

        @Override
        public void contribute(PlanBuilder plan) {
            Optional<String> label = choice.label();
            if (label.isPresent()) {
                plan.add(Phase.LSM_LABEL, new Op.WriteProcfs(EXEC_ATTR, execLabel(label.get())));
            }
        }

        @Override
        public Map<String, String> stats() {
            return Map.of("profile", choice.label().orElse(ProfileChoice.UNCONFINED));
        }
    }
}
