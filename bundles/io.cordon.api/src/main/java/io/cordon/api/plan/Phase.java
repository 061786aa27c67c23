package io.cordon.api.plan;

/**
 * Kernel-ordered phases of the in-child work. The order between phases is fixed
 * here because the kernel imposes it: mounts need the mount namespace, pivot_root
 * needs the mounts, masking needs the final root, the LSM exec label and the uid
 * switch must come before capabilities are trimmed. The seccomp phase comes last so
 * the launcher's own setup syscalls are not filtered; but installing a filter without
 * no_new_privs needs CAP_SYS_ADMIN, so the seccomp stage places its filter at the end
 * of {@link #LSM_LABEL}, before the uid and capability changes, unless no_new_privs is
 * asked for (as runc does). Stages order themselves within a phase with the
 * {@code cordon.stage.order} service property.
 */
public enum Phase {
    NAMESPACES("namespaces"),
    MOUNTS("mounts"),
    PIVOT_ROOT("pivot_root"),
    SYSTEM("hostname, sysctls, masked paths"),
    LSM_LABEL("LSM exec label"),
    IDENTITY("uid/gid"),
    CAPABILITIES("capabilities"),
    NO_NEW_PRIVS("no_new_privs"),
    SECCOMP("seccomp"),
    EXEC("exec");

    private final String description;

    Phase(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
