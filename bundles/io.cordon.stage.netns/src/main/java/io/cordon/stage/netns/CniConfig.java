package io.cordon.stage.netns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cordon.api.CordonException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A CNI network configuration list (CNI spec, "Network configuration lists"):
 * a named network, its spec version and the plugins that build it, in order.
 * A single-plugin network config ({@code .conf}) is read as a list of one.
 */
record CniConfig(String name, String cniVersion, boolean disableCheck, List<ObjectNode> plugins, String origin) {
    static final String BUILT_IN_RESOURCE = "/io/cordon/stage/netns/cordon.conflist";
    static final List<String> EXTENSIONS = List.of(".conflist", ".conf", ".json");
    private static final ObjectMapper JSON = new ObjectMapper();

    CniConfig {
        plugins = List.copyOf(plugins);
    }

    /** Network names as CNI and the host-local IPAM store (a directory per network) allow them. */
    static boolean validName(String name) {
        return name != null && name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}") && !name.equals("none")
                && !name.equals("host");
    }

    /** Parse and check one config list; {@code origin} names it in errors (a path, or "built-in"). */
    static CniConfig parse(String text, String origin) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw malformed(origin, "invalid JSON: " + e.getOriginalMessage().lines().findFirst().orElse("") + where);
        }
        if (root == null || !root.isObject()) {
            throw malformed(origin, "expected a JSON object");
        }
        String version = text(root, "cniVersion", origin);
        String name = text(root, "name", origin);
        if (!validName(name)) {
            throw malformed(origin, "'" + name + "' is not a valid network name");
        }
        List<ObjectNode> plugins = new ArrayList<>();
        JsonNode list = root.get("plugins");
        if (list == null && root.has("type")) {
            ObjectNode single = ((ObjectNode) root).deepCopy();
            single.remove(List.of("cniVersion", "name"));
            plugins.add(single);
        } else if (list == null || !list.isArray() || list.isEmpty()) {
            throw malformed(origin, "\"plugins\" must be a non-empty array");
        } else {
            for (JsonNode p : list) {
                if (!p.isObject()) {
                    throw malformed(origin, "each entry of \"plugins\" must be an object");
                }
                plugins.add((ObjectNode) p.deepCopy());
            }
        }
        for (ObjectNode p : plugins) {
            JsonNode type = p.get("type");
            if (type == null || !type.isTextual() || !type.asText().matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                throw malformed(origin, "every plugin needs a \"type\": the name of a plugin binary");
            }
        }
        return new CniConfig(name, version, root.path("disableCheck").asBoolean(false), plugins, origin);
    }

    private static String text(JsonNode root, String field, String origin) {
        JsonNode n = root.get(field);
        if (n == null || !n.isTextual() || n.asText().isBlank()) {
            throw malformed(origin, "\"" + field + "\" is missing or not a string");
        }
        return n.asText();
    }

    private static CordonException malformed(String origin, String why) {
        return new CordonException("malformed CNI network config list " + origin + ": " + why);
    }

    /**
     * The config list of network {@code network}: {@code DIR/NAME.conflist} (or .conf/.json), else any
     * file in {@code confDir} whose "name" is {@code network}, else the built-in {@code cordon} network.
     */
    static CniConfig load(String network, Path confDir) {
        List<String> skipped = new ArrayList<>();
        if (Files.isDirectory(confDir)) {
            for (String ext : EXTENSIONS) {
                Path exact = confDir.resolve(network + ext);
                if (Files.isRegularFile(exact)) {
                    CniConfig c = parse(read(exact), exact.toString());
                    if (!c.name().equals(network)) {
                        throw malformed(exact.toString(), "its \"name\" is '" + c.name() + "', not '" + network + "'");
                    }
                    return c;
                }
            }
            List<Path> files;
            try (Stream<Path> s = Files.list(confDir)) {
                files = s.filter(p -> EXTENSIONS.stream().anyMatch(e -> p.getFileName().toString().endsWith(e)))
                        .filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
                throw new CordonException("cannot read the CNI config directory " + confDir + ": " + e);
            }
            for (Path f : files) {
                try {
                    CniConfig c = parse(read(f), f.toString());
                    if (c.name().equals(network)) {
                        return c;
                    }
                } catch (CordonException e) {
                    skipped.add(f.getFileName().toString());
                }
            }
        }
        if (network.equals(NetworkMode.DEFAULT_NETWORK)) {
            return builtIn();
        }
        throw new CordonException("--network " + network + ": unknown network '" + network + "': no CNI config list"
                + " named " + network + " in " + confDir + " (add " + confDir.resolve(network + ".conflist")
                + "; 'bridge' is the built-in network)"
                + (skipped.isEmpty() ? "" : "; skipped malformed " + String.join(", ", skipped)));
    }

    static CniConfig builtIn() {
        try (InputStream in = CniConfig.class.getResourceAsStream(BUILT_IN_RESOURCE)) {
            if (in == null) {
                throw new CordonException("the built-in network config " + BUILT_IN_RESOURCE + " is missing");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in " + BUILT_IN_RESOURCE);
        } catch (IOException e) {
            throw new CordonException("cannot read the built-in network config: " + e);
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new CordonException("cannot read " + f + ": " + e);
        }
    }

    String type(int plugin) {
        return plugins.get(plugin).get("type").asText();
    }

    /** Whether a plugin of this list declares a capability, e.g. portMappings. */
    boolean hasCapability(String capability) {
        return plugins.stream().anyMatch(p -> p.path("capabilities").path(capability).asBoolean(false));
    }

    /** CHECK exists from spec 0.4.0 on, as does prevResult for DEL. */
    boolean atLeast040() {
        String[] v = cniVersion.split("\\.");
        try {
            int major = Integer.parseInt(v[0]);
            int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
            return major > 0 || minor >= 4;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * What one plugin reads on stdin: its own config with the list's name and cniVersion, the previous
     * plugin's result, and the runtime config for the capabilities it declares (libcni's buildOneConfig).
     */
    byte[] pluginInput(int plugin, JsonNode prevResult, Map<String, Object> runtimeConfig) {
        ObjectNode conf = plugins.get(plugin).deepCopy();
        conf.put("cniVersion", cniVersion);
        conf.put("name", name);
        if (prevResult != null) {
            conf.set("prevResult", prevResult);
        }
        ObjectNode rc = JSON.createObjectNode();
        JsonNode caps = conf.path("capabilities");
        runtimeConfig.forEach((cap, value) -> {
            if (caps.path(cap).asBoolean(false)) {
                rc.set(cap, JSON.valueToTree(value));
            }
        });
        if (!rc.isEmpty()) {
            conf.set("runtimeConfig", rc);
        }
        try {
            return JSON.writeValueAsBytes(conf);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
