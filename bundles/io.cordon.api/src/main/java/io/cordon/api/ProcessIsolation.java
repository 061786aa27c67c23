package io.cordon.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What makes one host process a container, in the kernel's own terms: each namespace beside the host's
 * ({@code namespaceReference} says whose: pid 1's, or the runtime's own where pid 1 cannot be read), the cgroup of each hierarchy with the limits in force there, the five capability sets,
 * no_new_privs, the seccomp mode and filter count, and the LSM label. It shows what the kernel enforces for
 * that process, not what cordon meant to do ({@link ContainerRuntime#kernelView(int)}).
 */
public record ProcessIsolation(int pid, String namespaceReference, List<NamespaceLink> namespaces, List<CgroupMembership> cgroups,
        Map<String, Long> capabilities, boolean noNewPrivs, SeccompMode seccomp, int seccompFilters,
        Optional<String> lsmLabel) {

    /** The five sets in the order /proc/PID/status lists them. */
    public static final List<String> CAPABILITY_SETS = List.of("inheritable", "permitted", "effective", "bounding",
            "ambient");

    /** Namespace types as /proc/PID/ns names them; {@code *_for_children} are what its children get. */
    public static final List<String> NAMESPACE_TYPES = List.of("cgroup", "ipc", "mnt", "net", "pid",
            "pid_for_children", "time", "time_for_children", "user", "uts");

    /** One namespace of the process beside the reference process's namespace of the same type. */
    public record NamespaceLink(String type, long inode, long hostInode) {
        public boolean own() {
            return inode != hostInode;
        }
    }

    /** The process's cgroup in one hierarchy, and the limits that hierarchy's files hold there. */
    public record CgroupMembership(String hierarchy, String path, Map<String, String> limits) {
    }

    /** {@code Seccomp:} in /proc/PID/status. */
    public enum SeccompMode {
        DISABLED, STRICT, FILTER;

        public static SeccompMode of(String v) {
            return switch (v.trim()) {
                case "0" -> DISABLED;
                case "1" -> STRICT;
                case "2" -> FILTER;
                default -> throw new IllegalArgumentException("unknown seccomp mode " + v);
            };
        }
    }

    /** True when at least one namespace differs from the host's. */
    public boolean anyOwnNamespace() {
        return namespaces.stream().anyMatch(NamespaceLink::own);
    }
}
