package io.cordon.stage.selinux;

import io.cordon.api.CordonException;
import io.cordon.api.SelinuxLabel;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import io.cordon.api.plan.SyscallArg;
import io.cordon.linux.SyscallNumbers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One launch's labels: chosen and checked against the policy in prepare, put into the plan in contribute. */
final class SelinuxRun implements StageRun {
    /** The exec label: the context the next execve enters. Newer kernels name the per-thread file first. */
    static final List<String> EXEC_ATTR = List.of("/proc/thread-self/attr/exec", "/proc/self/attr/exec");
    /** The label of keys (and keyrings) this thread creates. */
    static final List<String> KEYCREATE_ATTR = List.of("/proc/thread-self/attr/keycreate",
            "/proc/self/attr/keycreate");
    /**
     * The file systems whose mounts get {@code context=}. proc and sysfs keep the labels the policy gives their
     * files. mqueue is left alone too: its superblock exists from the IPC namespace's creation, and the kernel
     * refuses to mount it again with other security settings ("Same superblock, different security settings").
     */
    static final Set<String> LABELLED_FS = Set.of("tmpfs", "devpts");
    static final long KEYCTL_JOIN_SESSION_KEYRING = 1;
    /** The mount label's base when the policy says nothing (no lxc_contexts, or one naming undefined types). */
    static final SecurityContext TMPFS_FILE = new SecurityContext("system_u", "object_r", "tmpfs_t", Optional.empty());
    private static final Logger LOG = Logger.getLogger(SelinuxRun.class.getName());

    /** The canonical process and mount labels of one container. */
    record Labels(String process, String mount) {
    }

    private final SelinuxHost host;
    private final McsPairs pairs;
    private final StageContext context;
    private final LabelOptions options;
    private final boolean noNewPrivileges;

    private final List<String> notes = new ArrayList<>();
    /** Null when the container runs unlabelled, in the runtime's context. */
    private Labels labels;
    private String reservedLevel;
    /** Set when the policy was asked and said no_new_privs blocks the transition. */
    private boolean noNewPrivsRefused;

    SelinuxRun(SelinuxHost host, McsPairs pairs, StageContext context, LabelOptions options,
            boolean noNewPrivileges) {
        this.host = host;
        this.pairs = pairs;
        this.context = context;
        this.options = options;
        this.noNewPrivileges = noNewPrivileges;
    }

    @Override
    public void prepare() {
        if (options.disabled()) {
            SelinuxLabel label = options.label();
            notes.add(runsUnlabelled(label.disabledBy().orElseThrow() + (label.anyPart()
                    ? " (which, as in Docker, overrides the label parts also asked for)" : "")));
            return;
        }
        Optional<LxcContexts> lxc = host.lxcContexts();
        labels = options.asked() ? requested(lxc) : byDefault(lxc);
        if (labels != null && noNewPrivileges) {
            checkNoNewPrivsTransition();
        }
    }

    /** The labels the flags ask for, completed from lxc_contexts or the runtime's context; invalid ones refused. */
    private Labels requested(Optional<LxcContexts> lxc) {
        Optional<SecurityContext> lxcProcess = lxc.flatMap(LxcContexts::process);
        SecurityContext base = lxcProcess.orElseGet(host::currentContext);
        String baseOrigin = lxcProcess.isPresent() ? lxc.get().source() : "this runtime's own context";
        SecurityContext process = options.process(base);
        String processLabel = canonical(process).orElseThrow(() -> invalid(process, "process label",
                "the parts not given come from " + baseOrigin + "; use a user, role, type and level the policy"
                        + " defines and allows together (seinfo -u, -r and -t list them)"));

        Optional<SecurityContext> lxcFile = lxc.flatMap(LxcContexts::file);
        SecurityContext mount = options.mount(lxcFile.orElse(TMPFS_FILE), process);
        Optional<String> mountLabel = canonical(mount);
        if (mountLabel.isEmpty() && lxcFile.isPresent() && options.filetype().isEmpty()) {
            // Debian's policy, for one, ships an lxc_contexts that names container types it does not define.
            SecurityContext fallback = options.mount(TMPFS_FILE, process);
            mountLabel = canonical(fallback);
            if (mountLabel.isPresent()) {
                notes.add(lxc.get().source() + " gives the file label " + mount + ", which the loaded policy does"
                        + " not define: tmpfs and devpts mounts get " + mountLabel.get()
                        + " (choose with --security-opt label=filetype:TYPE)");
            }
        }
        return new Labels(processLabel, mountLabel.orElseThrow(() -> invalid(mount, "mount label",
                "use --security-opt label=filetype:TYPE with a file type the policy defines")));
    }

    /**
     * Nothing asked: the policy's lxc_contexts labels with an MCS pair of this container's own, or no label at
     * all when the policy names none (or names labels it does not define).
     */
    private Labels byDefault(Optional<LxcContexts> lxc) {
        Optional<SecurityContext> lxcProcess = lxc.flatMap(LxcContexts::process);
        if (lxcProcess.isEmpty()) {
            notes.add(runsUnlabelled("no label was asked for and "
                    + lxc.map(l -> l.source() + " has no process entry").orElse("the policy has no lxc_contexts"
                            + host.lxcContextsPath().map(p -> " (" + p + ")").orElse(""))));
            return null;
        }
        SecurityContext process = lxcProcess.get();
        if (process.sensitivity().isPresent()) {
            String level = pairs.choose(process.sensitivity().get(), host::levelsInUse, !context.dryRun());
            reservedLevel = context.dryRun() ? null : level;
            process = process.withLevel(Optional.of(level));
        }
        SecurityContext mount = lxc.get().file().orElse(TMPFS_FILE).withLevel(process.level());
        Optional<String> processLabel = canonical(process);
        Optional<String> mountLabel = processLabel.isPresent() ? canonical(mount) : Optional.empty();
        if (processLabel.isPresent() && mountLabel.isPresent()) {
            return new Labels(processLabel.get(), mountLabel.get());
        }
        release();
        String note = runsUnlabelled(lxc.get().source() + " gives " + (processLabel.isEmpty() ? process : mount)
                + ", which the loaded policy does not define") + "; ask for one with --security-opt label=type:TYPE";
        notes.add(note);
        // Not a warning on stderr: every `cordon run` on such a host would print it. The probe says it in
        // `cordon stages` and --dry-run shows this note.
        LOG.log(Level.FINE, "SELinux: {0}", note);
        return null;
    }

    private String runsUnlabelled(String why) {
        String current;
        try {
            current = host.currentContext().toString();
        } catch (CordonException e) {
            current = "unknown: " + e.getMessage();
        }
        return why + ": the container runs unlabelled, in the runtime's own SELinux context (" + current + ")";
    }

    private void checkNoNewPrivsTransition() {
        SecurityContext runtime = host.currentContext();
        String target = SecurityContext.parse(labels.process()).type();
        Optional<Boolean> allowed = host.allowsNoNewPrivsTransition(runtime.toString(), labels.process());
        if (allowed.isPresent() && !allowed.get()) {
            noNewPrivsRefused = true;
            notes.add("with no-new-privileges the loaded policy does not let " + runtime.type() + " enter " + target
                    + " (process2 nnp_transition is not allowed): exec will be refused; allow it in the policy or"
                    + " drop --security-opt no-new-privileges");
        }
    }

    /** The kernel's canonical form of {@code label}, or empty if the loaded policy does not accept it. */
    private Optional<String> canonical(SecurityContext label) {
        try {
            return host.canonical(label.toString());
        } catch (IOException e) {
            throw new CordonException("cannot check SELinux label " + label + " against the loaded policy through "
                    + SelinuxHost.SELINUXFS + "/context: " + e.getMessage());
        }
    }

    /** {@code which}: "process label" or "mount label". */
    private static CordonException invalid(SecurityContext label, String which, String whatToDo) {
        return new CordonException("SELinux label " + label + " is not valid in the loaded policy: the kernel"
                + " refuses it as the container's " + which + "; " + whatToDo);
    }

    @Override
    public void contribute(PlanBuilder plan) {
        notes.forEach(plan::note);
        if (labels == null) {
            return;
        }
        // Exactly the label's bytes, in one write: a trailing newline would make the kernel clear the label.
        byte[] process = labels.process().getBytes(StandardCharsets.UTF_8);
        // A session keyring of the container's own, created under its label, so it neither shares the
        // runtime's keys nor can be reached by another container's label (runc does the same).
        plan.add(Phase.LSM_LABEL, new Op.WriteProcfs(KEYCREATE_ATTR, process));
        plan.add(Phase.LSM_LABEL, new Op.Syscall(SyscallNumbers.keyctl(), List.of(
                new SyscallArg.Immediate(KEYCTL_JOIN_SESSION_KEYRING), new SyscallArg.Str(keyringName()))));
        plan.add(Phase.LSM_LABEL, new Op.WriteProcfs(EXEC_ATTR, process));
        // Quoted: an MCS level has a comma, which would otherwise end the option.
        plan.addMountOption(LABELLED_FS, "context=\"" + labels.mount() + "\"");
    }

    String keyringName() {
        return "cordon:" + context.containerId();
    }

    @Override
    public Optional<String> explainExit(int exitCode, int signal) {
        if (labels == null || signal != 0 || exitCode != 126) {
            return Optional.empty();
        }
        String target = SecurityContext.parse(labels.process()).type();
        if (noNewPrivsRefused) {
            return Optional.of("the command could not enter SELinux domain " + target + ": with no-new-privileges"
                    + " the policy must allow process2 nnp_transition into it, and does not; allow it or drop"
                    + " --security-opt no-new-privileges");
        }
        return Optional.of("if the command did not start, SELinux may have refused its transition into " + target
                + (noNewPrivileges ? " (with no-new-privileges it needs process2 nnp_transition)" : "")
                + ": look for avc: denied in dmesg or the audit log");
    }

    @Override
    public void release() {
        if (reservedLevel != null) {
            pairs.release(reservedLevel);
            reservedLevel = null;
        }
    }
}
