package io.cordon.stage.nonewprivs;

import io.cordon.api.Availability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * {@code --security-opt no-new-privileges[=true|false]} (the spec decides it, the last
 * value winning): prctl(PR_SET_NO_NEW_PRIVS) after the capabilities are set, so no exec in
 * the container can gain privileges through a setuid bit or file capabilities. Off asks
 * for nothing in the plan.
 */
@Component(property = IsolationStage.ORDER + ":Integer=130")
public class NoNewPrivilegesStage implements IsolationStage {
    static final String KEY = ContainerSpec.REQ_NO_NEW_PRIVILEGES;

    @Override
    public String name() {
        return "nonewprivs";
    }

    @Override
    public Phase phase() {
        return Phase.NO_NEW_PRIVS;
    }

    @Override
    public Set<String> handles() {
        return Set.of(KEY);
    }

    @Override
    public Availability probe() {
        try {
            boolean known = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.startsWith("NoNewPrivs:"));
            return known ? Availability.available("")
                    : Availability.unavailable("this kernel shows no NoNewPrivs in /proc/self/status (before Linux 4.10?)");
        } catch (IOException e) {
            return Availability.unavailable("cannot read /proc/self/status: " + e.getMessage());
        }
    }

    @Override
    public StageRun open(StageContext context) {
        boolean on = context.spec().noNewPrivileges().on();
        return plan -> {
            if (on) {
                plan.add(Phase.NO_NEW_PRIVS, new Op.NoNewPrivs());
            }
        };
    }
}
