package io.cordon.api;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the user asked for, independent of how it is achieved. Anything explicitly
 * asked for shows up in {@link #requirements()}; a launch whose requirements are
 * not all handled by an installed, available stage is refused (fail closed).
 */
public final class ContainerSpec {
    /** Requirement keys for the features the walking-skeleton stages handle. */
    public static final String REQ_HOSTNAME = "hostname";
    public static final String REQ_ROOTFS = "rootfs";
    public static final String REQ_READ_ONLY = "read-only";
    public static final String REQ_VOLUMES = "volumes";
    /** Requirement keys of the typed security fields, each asked for by the flag or field that set it. */
    public static final String REQ_NO_NEW_PRIVILEGES = "no-new-privileges";
    public static final String REQ_SECCOMP = "seccomp";
    public static final String REQ_APPARMOR = "apparmor";
    public static final String REQ_SELINUX = "selinux";
    public static final String REQ_CAP_ADD = "cap-add";
    public static final String REQ_CAP_DROP = "cap-drop";
    public static final String REQ_PRIVILEGED = "privileged";
    /**
     * Keys that are typed fields of the spec, not {@link #settings()}: their values are decided once, by
     * {@link SecurityOptions#parse} and {@link CapabilityRequest#parse}, and no stage parses them again.
     */
    static final Set<String> TYPED_KEYS = Set.of("security-opt", REQ_CAP_ADD, REQ_CAP_DROP, REQ_PRIVILEGED);
    /** Prefix of the requirement key for a generic {@code --opt KEY=VALUE} (vendor stages). */
    public static final String REQ_OPTION_PREFIX = "opt:";

    public static final List<String> DEFAULT_PATH_ENV = List.of(
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

    private final String id;
    private final List<String> command;
    private final List<String> env;
    private final String workdir;
    private final Optional<String> hostname;
    private final Optional<Path> rootfs;
    private final boolean readOnly;
    private final List<Volume> volumes;
    private final boolean interactive;
    private final Map<String, String> options;
    private final Map<String, List<String>> settings;
    private final NoNewPrivileges noNewPrivileges;
    private final SeccompProfile seccomp;
    private final AppArmorProfile appArmor;
    private final SelinuxLabel selinuxLabel;
    private final CapabilityRequest capabilities;

    private ContainerSpec(Builder b) {
        this.id = b.id == null ? randomId() : b.id;
        if (!id.matches("[0-9a-f]{64}")) {
            throw new CordonException("container id must be 64 lowercase hex digits, got '" + id + "'");
        }
        this.command = List.copyOf(b.command);
        this.env = List.copyOf(b.env);
        this.workdir = b.workdir;
        this.hostname = Optional.ofNullable(b.hostname);
        this.rootfs = Optional.ofNullable(b.rootfs);
        this.readOnly = b.readOnly;
        this.volumes = List.copyOf(b.volumes);
        this.interactive = b.interactive;
        this.options = Map.copyOf(b.options);
        Map<String, List<String>> s = new LinkedHashMap<>();
        b.settings.forEach((k, v) -> s.put(k, List.copyOf(v)));
        this.settings = java.util.Collections.unmodifiableMap(s);
        this.noNewPrivileges = b.noNewPrivileges;
        this.seccomp = b.seccomp;
        this.appArmor = b.appArmor;
        this.selinuxLabel = b.selinuxLabel;
        this.capabilities = b.capabilities;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static String randomId() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public String id() {
        return id;
    }

    public List<String> command() {
        return command;
    }

    /** {@code KEY=VALUE} entries the user added with {@code -e}. */
    public List<String> env() {
        return env;
    }

    public String workdir() {
        return workdir;
    }

    public Optional<String> hostname() {
        return hostname;
    }

    public Optional<Path> rootfs() {
        return rootfs;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public List<Volume> volumes() {
        return volumes;
    }

    public boolean interactive() {
        return interactive;
    }

    public Map<String, String> options() {
        return options;
    }

    /** Whether the container runs with no_new_privs. */
    public NoNewPrivileges noNewPrivileges() {
        return noNewPrivileges;
    }

    /** The syscall filter asked for. */
    public SeccompProfile seccomp() {
        return seccomp;
    }

    /** The AppArmor profile asked for. */
    public AppArmorProfile appArmor() {
        return appArmor;
    }

    /** The parts of the SELinux labels asked for. */
    public SelinuxLabel selinuxLabel() {
        return selinuxLabel;
    }

    /** What is asked of the capabilities, and the set that results. */
    public CapabilityRequest capabilities() {
        return capabilities;
    }

    /**
     * The other Docker-style isolation settings, keyed by the long flag name without dashes ({@code memory},
     * {@code cpus}, {@code user}, {@code ulimit}, {@code network}, {@code publish} …), in the order given. Each
     * present key is a requirement of the same name; the stage that handles a key parses its values.
     */
    public Map<String, List<String>> settings() {
        return settings;
    }

    /** All values of one setting (repeatable flags such as cap-add), or none. */
    public List<String> settings(String key) {
        return settings.getOrDefault(key, List.of());
    }

    /** The last value of one setting, as Docker takes the last of a repeated single-valued flag. */
    public Optional<String> setting(String key) {
        List<String> v = settings(key);
        return v.isEmpty() ? Optional.empty() : Optional.of(v.get(v.size() - 1));
    }

    /** Requirement key to the flag that asked for it, for refusal messages. */
    public Map<String, String> requirements() {
        Map<String, String> req = new LinkedHashMap<>();
        hostname.ifPresent(h -> req.put(REQ_HOSTNAME, "--hostname " + h));
        rootfs.ifPresent(r -> req.put(REQ_ROOTFS, "--rootfs " + r));
        if (readOnly) {
            req.put(REQ_READ_ONLY, "--read-only");
        }
        if (!volumes.isEmpty()) {
            req.put(REQ_VOLUMES, "-v " + volumes.get(0));
        }
        options.forEach((k, v) -> req.put(REQ_OPTION_PREFIX + k, "--opt " + k + "=" + v));
        if (capabilities.privileged()) {
            req.put(REQ_PRIVILEGED, "--privileged");
        }
        if (capabilities.adds()) {
            req.put(REQ_CAP_ADD, capabilities.addFlag());
        }
        if (capabilities.drops()) {
            req.put(REQ_CAP_DROP, capabilities.dropFlag());
        }
        seccomp.source().ifPresent(s -> req.put(REQ_SECCOMP, s));
        appArmor.source().ifPresent(s -> req.put(REQ_APPARMOR, s));
        if (selinuxLabel.asked()) {
            req.put(REQ_SELINUX, selinuxLabel.sources().get(0));
        }
        noNewPrivileges.source().ifPresent(s -> req.put(REQ_NO_NEW_PRIVILEGES, s));
        settings.forEach((k, values) -> {
            for (String v : values) {
                req.putIfAbsent(k, "--" + k + (v.isEmpty() ? "" : " " + v));
            }
        });
        return req;
    }

    /** The environment the command runs with: PATH, HOSTNAME, HOME, then the user's -e entries. */
    public List<String> effectiveEnv(String containerHostname) {
        Map<String, String> vars = new LinkedHashMap<>();
        for (String e : DEFAULT_PATH_ENV) {
            put(vars, e);
        }
        vars.put("HOSTNAME", containerHostname);
        vars.put("HOME", "/root");
        for (String e : env) {
            put(vars, e);
        }
        List<String> out = new ArrayList<>();
        vars.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    private static void put(Map<String, String> vars, String entry) {
        int eq = entry.indexOf('=');
        vars.put(entry.substring(0, eq), entry.substring(eq + 1));
    }

    /** A bind mount from the host ({@code -v SRC:DST[:ro]}). */
    public record Volume(Path source, String target, boolean readOnly) {
        public Volume {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
        }

        @Override
        public String toString() {
            return source + ":" + target + (readOnly ? ":ro" : "");
        }
    }

    public static final class Builder {
        private String id;
        private List<String> command = List.of();
        private final List<String> env = new ArrayList<>();
        private String workdir = "/";
        private String hostname;
        private Path rootfs;
        private boolean readOnly;
        private final List<Volume> volumes = new ArrayList<>();
        private boolean interactive;
        private final Map<String, String> options = new LinkedHashMap<>();
        private final Map<String, List<String>> settings = new LinkedHashMap<>();
        private NoNewPrivileges noNewPrivileges = NoNewPrivileges.NOT_ASKED;
        private SeccompProfile seccomp = SeccompProfile.NOT_ASKED;
        private AppArmorProfile appArmor = AppArmorProfile.NOT_ASKED;
        private SelinuxLabel selinuxLabel = SelinuxLabel.NOT_ASKED;
        private CapabilityRequest capabilities = CapabilityRequest.DEFAULT;

        private Builder() {
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder command(List<String> command) {
            this.command = List.copyOf(command);
            return this;
        }

        public Builder command(String... command) {
            return command(List.of(command));
        }

        public Builder env(String keyEqualsValue) {
            int eq = keyEqualsValue.indexOf('=');
            if (eq <= 0) {
                throw new CordonException("-e " + keyEqualsValue + ": expected KEY=VALUE");
            }
            env.add(keyEqualsValue);
            return this;
        }

        public Builder workdir(String workdir) {
            if (!workdir.startsWith("/")) {
                throw new CordonException("-w " + workdir + ": the working directory must be an absolute path");
            }
            this.workdir = workdir;
            return this;
        }

        public Builder hostname(String hostname) {
            if (hostname != null && !hostname.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,62})")) {
                throw new CordonException("--hostname " + hostname
                        + ": a hostname is 1-63 letters, digits, dots and dashes, starting with a letter or digit");
            }
            this.hostname = hostname;
            return this;
        }

        public Builder rootfs(Path rootfs) {
            this.rootfs = rootfs;
            return this;
        }

        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        public Builder volume(Volume volume) {
            volumes.add(volume);
            return this;
        }

        public Builder interactive(boolean interactive) {
            this.interactive = interactive;
            return this;
        }

        public Builder option(String key, String value) {
            options.put(key, value);
            return this;
        }

        /**
         * Add one value of an isolation setting (see {@link ContainerSpec#settings()}). The security options
         * and capabilities are typed fields with their own setters.
         */
        public Builder setting(String key, String value) {
            if (TYPED_KEYS.contains(key)) {
                throw new IllegalArgumentException(key + " is a typed field of the spec: use securityOpts(…),"
                        + " capabilities(…) or the field's own setter");
            }
            settings.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
            return this;
        }

        /**
         * The whole list of {@code --security-opt} values, decided by {@link SecurityOptions#parse}; sets the
         * no-new-privileges, seccomp, AppArmor and SELinux fields, replacing what they held.
         *
         * @throws CordonException for a malformed value, naming it and what is accepted
         */
        public Builder securityOpts(List<String> values) {
            return securityOptions(SecurityOptions.parse(values));
        }

        public Builder securityOptions(SecurityOptions options) {
            return noNewPrivileges(options.noNewPrivileges()).seccomp(options.seccomp())
                    .appArmor(options.appArmor()).selinuxLabel(options.selinuxLabel());
        }

        public Builder noNewPrivileges(NoNewPrivileges noNewPrivileges) {
            this.noNewPrivileges = Objects.requireNonNull(noNewPrivileges, "noNewPrivileges");
            return this;
        }

        public Builder seccomp(SeccompProfile seccomp) {
            this.seccomp = Objects.requireNonNull(seccomp, "seccomp");
            return this;
        }

        public Builder appArmor(AppArmorProfile appArmor) {
            this.appArmor = Objects.requireNonNull(appArmor, "appArmor");
            return this;
        }

        public Builder selinuxLabel(SelinuxLabel selinuxLabel) {
            this.selinuxLabel = Objects.requireNonNull(selinuxLabel, "selinuxLabel");
            return this;
        }

        /** See {@link CapabilityRequest#parse} for {@code --privileged}, {@code --cap-add} and {@code --cap-drop}. */
        public Builder capabilities(CapabilityRequest capabilities) {
            this.capabilities = Objects.requireNonNull(capabilities, "capabilities");
            return this;
        }

        public ContainerSpec build() {
            if (command.isEmpty()) {
                throw new CordonException("no command given: put the command after --, e.g. cordon run -- sh");
            }
            return new ContainerSpec(this);
        }
    }
}
