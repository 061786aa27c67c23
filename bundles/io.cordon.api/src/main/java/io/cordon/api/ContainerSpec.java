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
    /**
     * Docker-style isolation settings, keyed by the long flag name without dashes
     * ({@code memory}, {@code cpus}, {@code cap-add}, {@code user}, {@code ulimit},
     * {@code network}, {@code publish} …). Each present key is a requirement of the
     * same name, except {@code security-opt}, whose values are requirements by
     * kind: {@code seccomp}, {@code apparmor}, {@code selinux} (label=…) and
     * {@code no-new-privileges}. The stage that handles a key parses its values.
     */
    public static final String SECURITY_OPT = "security-opt";
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

    /** Every isolation setting given, in the order given. */
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

    /** The kind of a --security-opt value: seccomp, apparmor, selinux (label) or no-new-privileges. */
    public static String securityOptKind(String value) {
        String kind = value.split("[=:]", 2)[0];
        return kind.equals("label") ? "selinux" : kind;
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
        settings.forEach((k, values) -> {
            for (String v : values) {
                if (k.equals(SECURITY_OPT)) {
                    req.putIfAbsent(securityOptKind(v), "--security-opt " + v);
                } else {
                    req.putIfAbsent(k, "--" + k + (v.isEmpty() ? "" : " " + v));
                }
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

        /** Add one value of an isolation setting (see {@link ContainerSpec#settings()}). */
        public Builder setting(String key, String value) {
            settings.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
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
