package io.cordon.stage.selinux;

import io.cordon.api.Availability;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Phase;
import java.nio.file.Path;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * SELinux: the container's processes run under their own label and its tmpfs and devpts mounts carry a
 * matching file label. {@code --security-opt label=user:U}, {@code label=role:R}, {@code label=type:T} and
 * {@code label=level:L} choose parts of the process label, {@code label=filetype:T} the type of the mount label,
 * and {@code label=disable} turns labelling off. Parts not given come from the policy's {@code lxc_contexts},
 * else from the runtime's own context. With nothing asked and an {@code lxc_contexts}, each container gets its
 * labels with an MCS pair of its own, as podman does. Labels are checked against the loaded policy before the
 * child exists.
 */
@Component(property = IsolationStage.ORDER + ":Integer=20")
public class SelinuxStage implements IsolationStage {
    private final SelinuxHost host;
    private final McsPairs pairs;

    public SelinuxStage() {
        this(new SelinuxHost(Path.of("/")), new McsPairs());
    }

    SelinuxStage(SelinuxHost host, McsPairs pairs) {
        this.host = host;
        this.pairs = pairs;
    }

    @Override
    public String name() {
        return "selinux";
    }

    @Override
    public Phase phase() {
        return Phase.LSM_LABEL;
    }

    @Override
    public Set<String> handles() {
        return Set.of(LabelOptions.KIND);
    }

    /**
     * The host's SELinux state, and when containers that ask for no label would run unlabelled, why: on such
     * a host that is worth seeing in {@code cordon stages} without a dry run.
     */
    @Override
    public Availability probe() {
        Availability a = host.probe();
        if (!a.available()) {
            return a;
        }
        return host.whyUnlabelledByDefault().map(why -> Availability.available(a.reason()
                + "; containers that ask for no label run unlabelled: " + why)).orElse(a);
    }

    @Override
    public StageRun open(StageContext context) {
        // The nonewprivs stage sets no_new_privs; this stage only needs to know for its explanations.
        return new SelinuxRun(host, pairs, context, LabelOptions.of(context.spec()),
                context.spec().noNewPrivileges().on());
    }
}
