package io.cordon.stage.user;

import io.cordon.api.Availability;
import io.cordon.api.ContainerSpec;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.SyscallArg;
import io.cordon.linux.SyscallNumbers;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * The user the container's process runs as: {@code --user uid[:gid]} or
 * {@code name[:group]} looked up in the container's /etc/passwd and /etc/group (the
 * default root's /etc holds copies of the host's, so without --rootfs the host's are
 * read), plus {@code --group-add}. Without --user it is root with root's groups, as in
 * Docker, so nothing of the host's supplementary groups leaks in.
 *
 * <p>In the identity phase, before capabilities are trimmed: setgroups, setresgid,
 * then setresuid. For a non-root uid, PR_SET_KEEPCAPS is set first so the permitted
 * set survives the switch and the capabilities stage can still drop the bounding set
 * and raise ambient capabilities; without ambient ones, exec empties permitted and
 * effective for a non-root user.
 */
@Component(property = IsolationStage.ORDER + ":Integer=110")
public class UserStage implements IsolationStage {
    static final String USER = "user";
    static final String GROUP_ADD = "group-add";
    static final long PR_SET_KEEPCAPS = 8;

    @Override
    public String name() {
        return "user";
    }

    @Override
    public Phase phase() {
        return Phase.IDENTITY;
    }

    @Override
    public Set<String> handles() {
        return Set.of(USER, GROUP_ADD);
    }

    @Override
    public Availability probe() {
        return Availability.available("");
    }

    @Override
    public StageRun open(StageContext context) {
        ContainerSpec spec = context.spec();
        Path root = spec.rootfs().orElse(Path.of("/"));
        UserDatabase db = UserDatabase.parse(ContainerFiles.read(root, "/etc/passwd"),
                ContainerFiles.read(root, "/etc/group"));
        Identity id = Identity.resolve(spec.setting(USER), spec.settings(GROUP_ADD), db);
        List<Op> ops = ops(id, id.uid() == 0 ? 0 : SyscallNumbers.prctl());
        return plan -> ops.forEach(op -> plan.add(Phase.IDENTITY, op));
    }

    /** The identity ops in kernel order; {@code prctl} is the syscall number, used only for a non-root uid. */
    static List<Op> ops(Identity id, int prctl) {
        Op groups = new Op.SetGroups(id.groups());
        Op gid = new Op.SetResGid(id.gid());
        Op uid = new Op.SetResUid(id.uid());
        if (id.uid() == 0) {
            return List.of(groups, gid, uid);
        }
        Op keepCaps = new Op.Syscall(prctl, List.of(new SyscallArg.Immediate(PR_SET_KEEPCAPS),
                new SyscallArg.Immediate(1)));
        return List.of(groups, gid, keepCaps, uid);
    }
}
