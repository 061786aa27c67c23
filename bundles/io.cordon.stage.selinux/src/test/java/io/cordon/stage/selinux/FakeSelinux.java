package io.cordon.stage.selinux;

import io.cordon.api.ContainerSpec;
import io.cordon.api.StageContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A host tree under a temp dir (selinuxfs, /etc/selinux, /proc) and a kernel stand-in for the selinuxfs
 * transactions: a context is valid when its type is one of {@link #types}.
 */
final class FakeSelinux extends SelinuxHost {
    /** Debian 12's lxc_contexts, as selinux-policy-default ships it. */
    static final String DEBIAN_LXC_CONTEXTS = String.join("\n",
            "process = \"system_u:system_r:container_t:s0\"",
            "content = \"system_u:object_r:virt_var_lib_t:s0\"",
            "file = \"system_u:object_r:container_file_t:s0\"",
            "ro_file = \"system_u:object_r:container_ro_file_t:s0\"",
            "sandbox_lxc_process = \"system_u:system_r:container_t:s0\"", "");
    static final String RUNTIME_CONTEXT = "system_u:system_r:kernel_t:s0";

    final Path root;
    final Set<String> types = new HashSet<>(Set.of("kernel_t", "container_t", "container_file_t", "tmpfs_t",
            "cordon_test_t", "cordon_test_file_t"));
    final List<String> requests = new ArrayList<>();
    /** selinuxfs's answer to an access question, or null to refuse the question. */
    String accessAnswer;

    FakeSelinux(Path root) {
        super(root);
        this.root = root;
    }

    /** An enforcing host with Debian's lxc_contexts, the runtime in kernel_t, process2 in the policy. */
    static FakeSelinux enforcing(Path root) {
        FakeSelinux h = new FakeSelinux(root);
        h.write("sys/fs/selinux/enforce", "1");
        h.write("sys/fs/selinux/policyvers", "33");
        h.write("sys/fs/selinux/class/process/index", "2");
        h.write("sys/fs/selinux/class/process2/index", "125");
        h.write("sys/fs/selinux/class/process2/perms/nnp_transition", "1");
        h.write("sys/fs/selinux/context", "");
        h.write("etc/selinux/config", "# comment\nSELINUX=enforcing\nSELINUXTYPE=default\n");
        h.write("etc/selinux/default/contexts/lxc_contexts", DEBIAN_LXC_CONTEXTS);
        h.write("proc/self/attr/current", RUNTIME_CONTEXT + "\0");
        return h;
    }

    FakeSelinux write(String relative, String content) {
        try {
            Path p = root.resolve(relative);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeSelinux delete(String relative) {
        try {
            Files.delete(root.resolve(relative));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    String transact(String file, String request) throws IOException {
        requests.add(file + " <- " + request);
        if (file.equals(SELINUXFS + "/context")) {
            SecurityContext c;
            try {
                c = SecurityContext.parse(request);
            } catch (IllegalArgumentException e) {
                throw new IOException("Invalid argument");
            }
            if (!types.contains(c.type()) || request.endsWith("\n")) {
                throw new IOException("Invalid argument");
            }
            return request + "\0";
        }
        if (file.equals(SELINUXFS + "/access") && accessAnswer != null) {
            return accessAnswer;
        }
        throw new IOException("Permission denied");
    }

    record Context(ContainerSpec spec, Path stateDirectory, boolean dryRun) implements StageContext {
        @Override
        public String containerId() {
            return spec.id();
        }
    }

    static ContainerSpec spec(String... securityOpts) {
        return ContainerSpec.builder().command("true").securityOpts(java.util.List.of(securityOpts)).build();
    }
}
