package io.cordon.stage.selinux;

import io.cordon.api.Availability;
import io.cordon.api.CordonException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What the stage reads from and asks of the host's SELinux: selinuxfs, {@code /etc/selinux} and
 * {@code /proc}. Every path is taken under {@code root} ({@code /} on a real host) so tests can point it at a
 * tree of their own; messages always show the real path.
 */
class SelinuxHost {
    static final String SELINUXFS = "/sys/fs/selinux";
    /** The bit selinuxfs's access answer sets in its flags when the source domain is permissive. */
    private static final int AVD_FLAGS_PERMISSIVE = 1;

    private final Path root;

    SelinuxHost(Path root) {
        this.root = root;
    }

    /** {@code absolute} (a path starting with {@code /}) under this host's root. */
    Path path(String absolute) {
        return root.resolve(absolute.substring(1));
    }

    /**
     * Available when selinuxfs is mounted and a policy is loaded. selinuxfs creates its class directory
     * entries only when a policy is loaded, which tells "mounted" from "mounted with a policy".
     */
    Availability probe() {
        Path fs = path(SELINUXFS);
        if (!Files.isDirectory(fs)) {
            return Availability.unavailable("SELinux is not active in this kernel (no selinuxfs at " + SELINUXFS
                    + "; boot with security=selinux selinux=1)");
        }
        if (!Files.exists(fs.resolve("enforce"))) {
            return Availability.unavailable("SELinux is active but selinuxfs is not mounted at " + SELINUXFS
                    + " (mount -t selinuxfs selinuxfs " + SELINUXFS + ")");
        }
        String mode;
        try {
            mode = read(fs.resolve("enforce")).equals("1") ? "enforcing" : "permissive";
        } catch (IOException e) {
            return Availability.unavailable("cannot read " + SELINUXFS + "/enforce: " + e.getMessage());
        }
        if (!policyLoaded()) {
            return Availability.unavailable("selinuxfs is mounted at " + SELINUXFS
                    + " but no SELinux policy is loaded (load one with load_policy)");
        }
        return Availability.available(mode + policyType().map(t -> ", policy " + t).orElse(""));
    }

    private boolean policyLoaded() {
        try (DirectoryStream<Path> classes = Files.newDirectoryStream(path(SELINUXFS + "/class"))) {
            return classes.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    boolean enforcing() {
        try {
            return read(path(SELINUXFS + "/enforce")).equals("1");
        } catch (IOException e) {
            return true; // unknown: assume the strict case
        }
    }

    /** {@code SELINUXTYPE} of {@code /etc/selinux/config}: the policy whose files apply. */
    Optional<String> policyType() {
        try {
            for (String line : Files.readAllLines(path("/etc/selinux/config"))) {
                String l = line.strip();
                if (l.startsWith("SELINUXTYPE=")) {
                    String type = l.substring("SELINUXTYPE=".length()).strip();
                    return type.matches("[A-Za-z0-9_.-]+") ? Optional.of(type) : Optional.empty();
                }
            }
        } catch (IOException e) {
            // no config: the policy type is unknown
        }
        return Optional.empty();
    }

    /** Where the policy's {@code lxc_contexts} is, whether or not it exists. */
    Optional<String> lxcContextsPath() {
        return policyType().map(t -> "/etc/selinux/" + t + "/contexts/lxc_contexts");
    }

    Optional<LxcContexts> lxcContexts() {
        Optional<String> file = lxcContextsPath();
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LxcContexts.parse(file.get(), Files.readString(path(file.get()))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CordonException("cannot read " + file.get() + ": " + e.getMessage());
        }
    }

    /**
     * Why a container that asks for no label would run in the runtime's context (no lxc_contexts, no process
     * entry in it, or labels the loaded policy does not define), or empty if it gets the lxc_contexts labels.
     * Never throws: a probe must not fail over it.
     */
    Optional<String> whyUnlabelledByDefault() {
        try {
            Optional<LxcContexts> lxc = lxcContexts();
            if (lxc.isEmpty()) {
                return Optional.of("the policy has no lxc_contexts");
            }
            Optional<SecurityContext> process = lxc.get().process();
            if (process.isEmpty()) {
                return Optional.of(lxc.get().source() + " has no process entry");
            }
            SecurityContext file = lxc.get().file().orElse(SelinuxRun.TMPFS_FILE).withLevel(process.get().level());
            for (SecurityContext c : java.util.List.of(process.get(), file)) {
                if (canonical(c.toString()).isEmpty()) {
                    return Optional.of(lxc.get().source() + " names " + c.type()
                            + ", which the loaded policy does not define");
                }
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a launch then says what is wrong, in prepare
        }
    }

    /** The runtime's own label: the context its containers run in when nothing labels them. */
    SecurityContext currentContext() {
        String file = "/proc/self/attr/current";
        try {
            return SecurityContext.parse(read(path(file)));
        } catch (IOException | IllegalArgumentException e) {
            throw new CordonException("cannot read this runtime's SELinux context from " + file + ": "
                    + e.getMessage());
        }
    }

    /**
     * The canonical form of {@code context} if the loaded policy accepts it, or empty if the kernel refuses it
     * (EINVAL). selinuxfs's {@code context} file is a transaction: write the context, read the answer.
     *
     * @throws IOException when the check itself cannot be made (no permission, no selinuxfs)
     */
    Optional<String> canonical(String context) throws IOException {
        String answer;
        try {
            answer = transact(SELINUXFS + "/context", context);
        } catch (IOException e) {
            if ("Invalid argument".equals(e.getMessage())) {
                return Optional.empty();
            }
            throw e;
        }
        return Optional.of(stripNul(answer));
    }

    /**
     * Whether the loaded policy lets a process in {@code source} exec into {@code target} with no_new_privs
     * set ({@code process2 nnp_transition}, or a permissive source or global permissive mode). Empty when that
     * cannot be told (the policy has no process2 class, selinuxfs refuses the question).
     */
    Optional<Boolean> allowsNoNewPrivsTransition(String source, String target) {
        try {
            String cls = SELINUXFS + "/class/process2";
            int index = Integer.parseInt(read(path(cls + "/index")));
            int perm = Integer.parseInt(read(path(cls + "/perms/nnp_transition")));
            String[] answer = stripNul(transact(SELINUXFS + "/access", source + " " + target + " " + index))
                    .split(" ");
            long allowed = Long.parseLong(answer[0], 16);
            int flags = answer.length > 5 ? Integer.parseInt(answer[5], 16) : 0;
            return Optional.of(!enforcing() || (flags & AVD_FLAGS_PERMISSIVE) != 0
                    || (allowed & (1L << (perm - 1))) != 0);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * MCS levels ({@code s0:cA,cB}) that running processes have, from {@code /proc/PID/attr/current}, so a
     * new container's pair can differ from every other container's.
     */
    Set<String> levelsInUse() {
        Set<String> levels = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(path("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    SecurityContext.parse(read(p.resolve("attr/current"))).level()
                            .filter(l -> l.matches("s\\d+:c\\d+,c\\d+")).ifPresent(levels::add);
                } catch (IOException | IllegalArgumentException e) {
                    // gone meanwhile, or a kernel thread: nothing to avoid
                }
            }
        } catch (IOException e) {
            // no /proc to scan: only this runtime's own reservations count
        }
        return levels;
    }

    /**
     * One selinuxfs transaction: one write of {@code request} and the kernel's answer, read back from offset 0
     * of the same open file. Tests stand in for the kernel here.
     */
    String transact(String file, String request) throws IOException {
        try (FileChannel ch = FileChannel.open(path(file), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ByteBuffer answer = ByteBuffer.allocate(4096);
            int n = ch.read(answer, 0);
            return n <= 0 ? "" : new String(answer.array(), 0, n, StandardCharsets.UTF_8);
        }
    }

    /**
     * Kernel files through a stream, not {@code Files.readString}: they report size 0, and that reads the first
     * byte alone, which some kernel files answer only at offset 0.
     */
    private static String read(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return stripNul(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static String stripNul(String s) {
        String t = s.strip();
        while (t.endsWith("\0")) {
            t = t.substring(0, t.length() - 1).strip();
        }
        return t;
    }
}
