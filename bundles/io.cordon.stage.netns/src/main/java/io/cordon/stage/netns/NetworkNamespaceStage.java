package io.cordon.stage.netns;

import io.cordon.api.Availability;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Namespace;
import io.cordon.api.plan.Phase;
import io.cordon.linux.KernelProbe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * The container's own network stack ({@code --network}): by default a new network
 * namespace with only {@code lo}; {@code host} keeps the host's; {@code ns:PATH} and
 * {@code container:ID} join an existing one; {@code bridge} or the name of a CNI
 * network gives it a namespace pinned in its state directory with {@code eth0},
 * an address and a default route from the CNI plugins, and {@code -p} publishes
 * ports through the portmap plugin.
 */
@Component(property = IsolationStage.ORDER + ":Integer=50")
public class NetworkNamespaceStage implements IsolationStage {
    static final String REQ_NETWORK = "network";
    static final String REQ_PUBLISH = "publish";
    /** Where users put their CNI network config lists. */
    static final String DEFAULT_CONF_DIR = "/etc/cordon/cni/net.d";
    /** Where the CNI plugin binaries are looked for: Debian's containernetworking-plugins, then the upstream place. */
    static final String DEFAULT_PLUGIN_PATH = "/usr/lib/cni:/opt/cni/bin";
    static final Duration PLUGIN_TIMEOUT = Duration.ofSeconds(60);

    @Override
    public String name() {
        return "netns";
    }

    @Override
    public Phase phase() {
        return Phase.NAMESPACES;
    }

    @Override
    public Set<String> handles() {
        return Set.of(REQ_NETWORK, REQ_PUBLISH);
    }

    @Override
    public Availability probe() {
        return KernelProbe.namespace(Namespace.NET);
    }

    @Override
    public StageRun open(StageContext context) {
        return NetworkRun.open(context, confDir(), pluginPath(), CniRunner.processExec(PLUGIN_TIMEOUT));
    }

    /** System property cordon.cni.confdir, else $CORDON_CNI_CONFDIR, else /etc/cordon/cni/net.d. */
    static Path confDir() {
        return Path.of(setting("cordon.cni.confdir", "CORDON_CNI_CONFDIR", DEFAULT_CONF_DIR));
    }

    /** System property cordon.cni.path, else $CORDON_CNI_PATH, else /usr/lib/cni:/opt/cni/bin. */
    static List<Path> pluginPath() {
        return Arrays.stream(setting("cordon.cni.path", "CORDON_CNI_PATH", DEFAULT_PLUGIN_PATH).split(":"))
                .filter(s -> !s.isBlank()).map(Path::of).toList();
    }

    private static String setting(String property, String env, String fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? fallback : v;
    }
}
