package io.cordon.stage.netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cordon.api.ChildProcess;
import io.cordon.api.ContainerInfo;
import io.cordon.api.CordonException;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import io.cordon.linux.NetworkNamespaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One launch's network: what {@code --network} and {@code -p} asked for, and the host state made for it. */
final class NetworkRun implements StageRun {
    static final String IFNAME = "eth0";
    static final String PIN_FILE = "netns";
    static final String RESULT_FILE = "cni-result.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StageContext context;
    private final NetworkMode mode;
    private final List<PortMapping> ports;
    private final CniRunner cni;
    private final String joinPath;
    private final Path pin;

    private boolean pinned;
    private boolean added;
    private JsonNode lastResult;
    private CniResult result;

    private NetworkRun(StageContext context, NetworkMode mode, List<PortMapping> ports, CniRunner cni,
            String joinPath) {
        this.context = context;
        this.mode = mode;
        this.ports = ports;
        this.cni = cni;
        this.joinPath = joinPath;
        this.pin = context.stateDirectory().resolve(PIN_FILE);
    }

    /** Parse and check everything the flags name (network config, plugins, namespace file); creates nothing. */
    static NetworkRun open(StageContext context, Path confDir, List<Path> pluginPath, CniRunner.PluginExec exec) {
        String value = context.spec().setting(NetworkNamespaceStage.REQ_NETWORK).orElse("none");
        String flag = "--network " + value;
        NetworkMode mode = NetworkMode.parse(value);
        List<PortMapping> ports = context.spec().settings(NetworkNamespaceStage.REQ_PUBLISH).stream()
                .map(PortMapping::parse).toList();
        if (!ports.isEmpty() && !(mode instanceof NetworkMode.Cni)) {
            throw new CordonException("-p " + ports.get(0) + ": publishing a port needs a CNI network"
                    + " (--network bridge or a configured one), not --network " + value);
        }
        CniRunner cni = null;
        String joinPath = null;
        if (mode instanceof NetworkMode.Cni c) {
            try {
                CniConfig config = CniConfig.load(c.network(), confDir);
                Map<String, Object> runtimeConfig = new LinkedHashMap<>();
                if (!ports.isEmpty()) {
                    if (!config.hasCapability("portMappings")) {
                        throw new CordonException("-p " + ports.get(0) + ": network " + config.name()
                                + " has no plugin with the portMappings capability (add {\"type\": \"portmap\","
                                + " \"capabilities\": {\"portMappings\": true}} to " + config.origin() + ")");
                    }
                    runtimeConfig.put("portMappings", ports.stream().map(PortMapping::toCni).toList());
                }
                cni = new CniRunner(config, pluginPath, context.containerId(),
                        context.stateDirectory().resolve(PIN_FILE).toString(), IFNAME, runtimeConfig, exec);
                cni.plugins();
            } catch (CordonException e) {
                throw e.getMessage().startsWith("-") ? e : new CordonException(flag + ": " + e.getMessage());
            }
        } else if (mode instanceof NetworkMode.JoinPath j) {
            if (!Files.exists(Path.of(j.path()))) {
                throw new CordonException(flag + ": no such network namespace file " + j.path());
            }
            joinPath = j.path();
        } else if (mode instanceof NetworkMode.JoinContainer j) {
            ContainerInfo target;
            try {
                target = context.runningContainer(j.id());
            } catch (CordonException e) {
                throw new CordonException(flag + ": " + e.getMessage());
            }
            joinPath = "/proc/" + target.pid() + "/ns/net";
        }
        return new NetworkRun(context, mode, ports, cni, joinPath);
    }

    NetworkMode mode() {
        return mode;
    }

    @Override
    public void prepare() throws IOException {
        if (context.dryRun() || cni == null) {
            return;
        }
        NetworkNamespaces.createPinned(pin);
        pinned = true;
        added = true; // from here on release runs DEL, whatever part of ADD got done
        JsonNode finalResult = cni.add(r -> lastResult = r);
        cni.check(finalResult);
        result = CniResult.parse(finalResult, IFNAME);
        Files.write(context.stateDirectory().resolve(RESULT_FILE), JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(finalResult));
    }

    @Override
    public void contribute(PlanBuilder plan) throws IOException {
        if (mode instanceof NetworkMode.None) {
            plan.unshare(Namespace.NET);
        } else if (mode instanceof NetworkMode.Host) {
            plan.share(Namespace.NET);
        } else if (cni == null) {
            plan.join(Namespace.NET, joinPath);
        } else {
            plan.join(Namespace.NET, pin.toString());
            // The container's /etc must name its address. Only in a private default root: never in the
            // host's /etc, nor in a --rootfs directory, which is the user's own. Right after pivot_root and
            // before the SYSTEM phase, which may remount the root read-only.
            if (plan.unshares(Namespace.MOUNT) && context.spec().rootfs().isEmpty()) {
                String hosts = result != null ? result.hosts(context.hostname()) : "(addresses assigned at launch)\n";
                String resolv = result != null ? result.resolvConf(hostResolvConf()) : "(DNS of the network)\n";
                plan.addOptional(Phase.PIVOT_ROOT, Op.WriteFileInRoot.create("/etc/hosts", 0644, hosts));
                plan.addOptional(Phase.PIVOT_ROOT, Op.WriteFileInRoot.create("/etc/resolv.conf", 0644, resolv));
            }
        }
    }

    private static String hostResolvConf() throws IOException {
        Path p = Path.of("/etc/resolv.conf");
        return Files.isRegularFile(p) ? Files.readString(p) : "";
    }

    @Override
    public void attach(ChildProcess child) {
        if (mode instanceof NetworkMode.None) {
            NetworkNamespaces.loopbackUp(Path.of("/proc/" + child.pid() + "/ns/net"));
        }
    }

    @Override
    public Map<String, String> stats() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("network", describe());
        if (result != null) {
            result.ipv4().ifPresent(a -> out.put("address", a.ip() + "/" + a.prefix()));
        }
        if (!ports.isEmpty()) {
            out.put("published", String.join(", ", ports.stream().map(PortMapping::toString).toList()));
        }
        return out;
    }

    String describe() {
        if (mode instanceof NetworkMode.None) {
            return "none";
        }
        if (mode instanceof NetworkMode.Host) {
            return "host";
        }
        return cni != null ? cni.config().name() : joinPath;
    }

    /** CNI DEL (always once ADD began, also after a failed ADD), then drop the pinned namespace. */
    @Override
    public void release() {
        List<String> errors = List.of();
        if (added) {
            added = false;
            errors = cni.del(lastResult);
        }
        if (pinned) {
            pinned = false;
            NetworkNamespaces.unpin(pin);
        }
        if (!errors.isEmpty()) {
            throw new CordonException("CNI DEL left state behind: " + String.join("; ", errors));
        }
    }
}
