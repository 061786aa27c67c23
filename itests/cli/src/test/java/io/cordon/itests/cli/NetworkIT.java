package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3: the network namespace stage end to end. Traffic goes only between the
 * host and namespaces on bridges these tests (or cordon for them) created, and to
 * the host's 127.0.0.1; never anywhere else. A missing prerequisite fails (never skips).
 */
class NetworkIT {
    /** The built-in network's subnet (bundles/io.cordon.stage.netns/.../cordon.conflist). */
    static final String SUBNET_PREFIX = "10.87.0.";
    static final Path IPAM = Path.of("/var/lib/cni/networks");
    /** A bridge and subnet only these tests use, for networks they configure themselves. */
    static final String TEST_BRIDGE = "cordon-t0";
    static final Pattern ETH0_V4 = Pattern.compile("\\beth0\\s+inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/(\\d+)");
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .proxy(java.net.ProxySelector.of(null)).build();

    @TempDir
    static Path confDir;

    @BeforeAll
    static void prerequisitesAndWarmUp() throws Exception {
        List<String> missing = new ArrayList<>();
        for (String p : List.of("/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap",
                "/usr/lib/cni/firewall", "/usr/lib/cni/tuning")) {
            if (!Files.isExecutable(Path.of(p))) {
                missing.add(p + " (containernetworking-plugins)");
            }
        }
        for (String cmd : List.of("ip", "iptables-save", "busybox")) {
            if (host("sh", "-c", "command -v " + cmd).isEmpty()) {
                missing.add(cmd);
            }
        }
        assertTrue(missing.isEmpty(), "prerequisites missing (.ci/run installs them): " + missing);
        Files.writeString(confDir.resolve("lost.conflist"), """
                {"cniVersion": "1.0.0", "name": "lost", "plugins": [
                  {"type": "bridge", "bridge": "cordon-t0", "ipam": {"type": "host-local",
                   "ranges": [[{"subnet": "10.87.1.0/24"}]]}},
                  {"type": "nosuch-plugin"}]}
                """);
        Files.writeString(confDir.resolve("broken.conflist"), "{\"cniVersion\": \"1.0.0\", \"name\": \"broken\",");
        // bridge ADD succeeds, then tuning fails: the partial ADD must be undone.
        Files.writeString(confDir.resolve("failing.conflist"), """
                {"cniVersion": "1.0.0", "name": "cordon-failing", "plugins": [
                  {"type": "bridge", "bridge": "cordon-t0", "isGateway": true, "ipMasq": false,
                   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.87.1.0/24"}]],
                            "routes": [{"dst": "0.0.0.0/0"}]}},
                  {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.no_such_setting": "1"}}]}
                """);
        // A user network with CHECK on (the built-in one disables it), on the tests' own bridge.
        Files.writeString(confDir.resolve("checked.conflist"), """
                {"cniVersion": "1.0.0", "name": "cordon-checked", "plugins": [
                  {"type": "bridge", "bridge": "cordon-t0", "isGateway": true, "ipMasq": false,
                   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.87.1.0/24"}]],
                            "routes": [{"dst": "0.0.0.0/0"}]}},
                  {"type": "tuning"}]}
                """);
        // The tests' bridge exists before any of their runs, so it is no difference between snapshots.
        if (host("ip", "-o", "link", "show", TEST_BRIDGE).isEmpty()) {
            host("ip", "link", "add", TEST_BRIDGE, "type", "bridge");
        }
        // CNI keeps a network's bridge and its plugins' top-level iptables chains (CNI-HOSTPORT-*,
        // CNI-FORWARD) once made; one run with a published port makes them before any snapshot.
        Cordon.Result warm = Cordon.run("run", "--network", "bridge", "-p", "18089:8089", "--", "true");
        assertEquals(0, warm.code(), warm.err());
    }

    @AfterAll
    static void removeTheTestsBridge() throws Exception {
        host("ip", "link", "del", TEST_BRIDGE);
    }

    Cordon.Result withConf(String... args) {
        return Cordon.runWithEnv(Map.of("CORDON_CNI_CONFDIR", confDir.toString()), null, args);
    }

    // ---- 1: none and host

    @Test
    void byDefaultOnlyLoopbackAndItIsUp() {
        Cordon.Result r = Cordon.run("run", "--", "ip", "-o", "link");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.lines().size(), "only lo inside:\n" + r.out());
        assertTrue(r.out().startsWith("1: lo: <LOOPBACK,UP,LOWER_UP>"), r.out());
        Cordon.Result ping = Cordon.run("run", "--", "busybox", "ping", "-c", "1", "-W", "2", "127.0.0.1");
        assertEquals(0, ping.code(), "lo works: " + ping.out() + ping.err());
    }

    @Test
    void hostNetworkSeesTheHostsInterfacesAndDryRunSaysSo() throws Exception {
        Cordon.Result r = Cordon.run("run", "--network", "host", "--", "ip", "-o", "link");
        assertEquals(0, r.code(), r.err());
        assertEquals(linkNames(host("ip", "-o", "link")), linkNames(r.out()));
        Cordon.Result plan = Cordon.run("run", "--dry-run", "--network", "host", "--", "true");
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("host net    (shared with the host) by netns"), plan.out());
        Cordon.Result none = Cordon.run("run", "--dry-run", "--", "true");
        assertTrue(none.out().contains("new net     by netns"), none.out());
    }

    // ---- 2: bridge, reachability, published port

    @Test
    void bridgeGivesEth0AnAddressADefaultRouteAndMatchingEtc() {
        Cordon.Result r = Cordon.run("run", "--network", "bridge", "--hostname", "web1", "--", "sh", "-c",
                "ip -o -4 addr show; echo ---; ip route; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf");
        assertEquals(0, r.code(), r.err());
        String[] parts = r.out().split("---\n");
        Matcher m = ETH0_V4.matcher(parts[0]);
        assertTrue(m.find(), "eth0 has an IPv4 address: " + parts[0]);
        String ip = m.group(1);
        assertTrue(ip.startsWith(SUBNET_PREFIX) && m.group(2).equals("24"), "in 10.87.0.0/24: " + ip);
        assertTrue(parts[1].startsWith("default via " + SUBNET_PREFIX + "1 dev eth0"), parts[1]);
        assertTrue(parts[2].contains(ip + "\tweb1\n"), "/etc/hosts names the address: " + parts[2]);
        assertTrue(parts[2].contains("127.0.0.1\tlocalhost"), parts[2]);
        assertTrue(!parts[3].matches("(?s).*nameserver (127\\.|::1).*"), "no unreachable loopback DNS: " + parts[3]);
    }

    @Test
    void aServerIsReachableFromTheHostAnotherContainerAndAPublishedPort() throws Exception {
        try (Server server = Server.start("-p", "18080:8080")) {
            assertEquals("hello\n", httpGet("http://" + server.ip + ":8080/"), "from the host over the bridge");
            Cordon.Result client = Cordon.run("run", "--network", "bridge", "--", "timeout", "20", "busybox", "wget",
                    "-q", "-O", "-", "http://" + server.ip + ":8080/");
            assertEquals(0, client.code(), client.err());
            assertEquals("hello\n", client.out(), "from a second container on the same network");
            assertEquals("hello\n", httpGet("http://127.0.0.1:18080/"), "published on the host's 127.0.0.1:18080");
        }
    }

    @Test
    void joiningAContainersNetworkSharesItsAddress() throws Exception {
        try (Server server = Server.start()) {
            Cordon.Result r = Cordon.run("run", "--network", "container:" + server.id, "--", "sh", "-c",
                    "ip -o -4 addr show eth0; timeout 20 busybox wget -q -O - http://127.0.0.1:8080/");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("inet " + server.ip + "/"), r.out());
            assertTrue(r.out().endsWith("hello\n"), "the server is on its loopback: " + r.out());
        }
        Cordon.Result gone = Cordon.run("run", "--network", "container:abcdef012345", "--", "true");
        assertEquals(125, gone.code());
        assertTrue(gone.err().contains("no running container with id abcdef012345"), gone.err());
    }

    @Test
    void joiningANamespaceFileAndCheckOnAUserNetwork() throws Exception {
        Cordon.Result checked = withConf("run", "--network", "cordon-checked", "--", "ip", "-o", "-4", "addr",
                "show", "eth0");
        assertEquals(0, checked.code(), checked.err());
        assertTrue(checked.out().contains("inet 10.87.1."), checked.out());
        Cordon.Result missing = Cordon.run("run", "--network", "ns:/no/such/netns", "--", "true");
        assertEquals(125, missing.code());
        assertEquals("cordon: --network ns:/no/such/netns: no such network namespace file /no/such/netns\n",
                missing.err());
    }

    // ---- 3: nothing left behind, also after failures

    @Test
    void noVethPinIptablesRuleOrLeaseIsLeftAfterGoodAndFailingRuns() throws Exception {
        HostState before = HostState.now();
        List<Cordon.Result> results = new ArrayList<>();
        results.add(Cordon.run("run", "--network", "bridge", "-p", "18081:8081", "--", "true"));
        results.add(withConf("run", "--network", "lost", "--", "true"));
        results.add(withConf("run", "--network", "broken", "--", "true"));
        results.add(withConf("run", "--network", "cordon-failing", "--", "true"));
        // plugins missing from the search path: found before anything is created
        results.add(Cordon.runWithEnv(Map.of("CORDON_CNI_PATH", confDir.toString()), null,
                "run", "--network", "bridge", "--", "true"));
        // failures after the network was set up: in the child, and at exec
        results.add(Cordon.run("run", "--network", "bridge", "-p", "18082:8082", "-w", "/no/such/dir", "--", "true"));
        results.add(Cordon.run("run", "--network", "bridge", "--", "no-such-command-xyz"));
        List<Integer> codes = results.stream().map(Cordon.Result::code).toList();
        assertEquals(List.of(0, 125, 125, 125, 125, 125, 127), codes, results.toString());
        assertTrue(results.get(3).err().contains("CNI plugin tuning ADD failed"), results.get(3).err());
        before.assertNothingLeft();
    }

    // ---- 4: one-line errors that name what is wrong

    @Test
    void missingPluginMalformedListAndUnknownNetworkAreOneLineErrorsNamingThem() {
        Cordon.Result lost = withConf("run", "--network", "lost", "--", "true");
        Cordon.Result broken = withConf("run", "--network", "broken", "--", "true");
        Cordon.Result unknown = withConf("run", "--network", "nosuchnet", "--", "true");
        Cordon.Result noPlugins = Cordon.runWithEnv(Map.of("CORDON_CNI_PATH", "/nonexistent/cni"), null,
                "run", "--network", "bridge", "--", "true");
        for (Cordon.Result r : List.of(lost, broken, unknown, noPlugins)) {
            assertEquals(125, r.code(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        assertTrue(lost.err().contains("CNI plugin 'nosuch-plugin' of network lost not found in /usr/lib/cni"),
                lost.err());
        assertTrue(broken.err().contains("malformed CNI network config list " + confDir.resolve("broken.conflist")),
                broken.err());
        assertTrue(unknown.err().contains("unknown network 'nosuchnet'"), unknown.err());
        assertTrue(noPlugins.err().contains("CNI plugin 'bridge' of network cordon not found in /nonexistent/cni"),
                noPlugins.err());
    }

    // ---- 5: many launches, concurrent launches

    @Test
    void fiftyLaunchesInARowLeaveNoLeasesOrInterfaces() throws Exception {
        HostState before = HostState.now();
        for (int i = 0; i < 50; i++) {
            Cordon.Result r = Cordon.run("run", "--network", "bridge", "--", "ip", "-o", "-4", "addr", "show", "eth0");
            assertEquals(0, r.code(), "launch " + i + ": " + r.err());
            Matcher m = ETH0_V4.matcher(r.out());
            assertTrue(m.find() && m.group(1).startsWith(SUBNET_PREFIX), "launch " + i + ": " + r.out());
        }
        before.assertNothingLeft();
    }

    @Test
    void concurrentContainersNeverShareAnAddress() throws Exception {
        HostState before = HostState.now();
        for (int round = 0; round < 3; round++) {
            List<Process> ps = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                // Each holds its address until all three have printed theirs (they overlap in time).
                ps.add(Cordon.builder("run", "--network", "bridge", "--", "sh", "-c",
                        "ip -o -4 addr show eth0; sleep 4").redirectError(ProcessBuilder.Redirect.INHERIT)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start());
            }
            Set<String> ips = new TreeSet<>();
            for (Process p : ps) {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(120, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), out);
                Matcher m = ETH0_V4.matcher(out);
                assertTrue(m.find(), out);
                ips.add(m.group(1));
            }
            assertEquals(3, ips.size(), "round " + round + ": three containers, three addresses: " + ips);
        }
        before.assertNothingLeft();
    }

    // ---- helpers

    /** A busybox httpd in a bridge container; closing it stops the container. */
    static final class Server implements AutoCloseable {
        final Process process;
        final String ip;
        final String id;

        private Server(Process process, String ip, String id) {
            this.process = process;
            this.ip = ip;
            this.id = id;
        }

        static Server start(String... extra) throws Exception {
            List<String> args = new ArrayList<>(List.of("run", "--network", "bridge"));
            args.addAll(List.of(extra));
            args.addAll(List.of("--", "sh", "-c", "mkdir /tmp/www && echo hello > /tmp/www/index.html"
                    + " && hostname && ip -o -4 addr show eth0; trap 'exit 0' TERM;"
                    + " busybox httpd -f -p 8080 -h /tmp/www & wait"));
            Process p = Cordon.builder(args.toArray(String[]::new)).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String id = out.readLine();
            String addr = out.readLine();
            Matcher m = addr == null ? null : ETH0_V4.matcher(addr);
            if (m == null || !m.find()) {
                p.destroyForcibly();
                fail("the server container printed no address: " + id + " / " + addr);
            }
            Server s = new Server(p, m.group(1), id);
            for (int i = 0; i < 100; i++) {
                try {
                    httpGet("http://" + s.ip + ":8080/");
                    return s;
                } catch (IOException e) {
                    Thread.sleep(100);
                }
            }
            s.close();
            throw new AssertionError("the server at " + s.ip + ":8080 never answered");
        }

        @Override
        public void close() throws Exception {
            process.destroy(); // SIGTERM to cordon run, forwarded to the container's shell
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("the server container did not stop on SIGTERM");
            }
        }
    }

    static String httpGet(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url);
        return r.body();
    }

    /** What a launch could leave behind on the host. */
    record HostState(Set<String> links, Set<String> leases, Set<String> iptables, Set<String> state,
            Set<String> pins) {

        static HostState now() throws Exception {
            return new HostState(linkNames(host("ip", "-o", "link")), readLeases(), readIptables(),
                    new TreeSet<>(Cordon.stateEntries()), readPins());
        }

        /**
         * Nothing that was not there before is there now. Things that were there may go: other users'
         * containers end. New things get a few seconds, in case another user's container just started.
         */
        void assertNothingLeft() throws Exception {
            HostState after = now();
            for (int i = 0; i < 50 && !after.addedTo(this).isEmpty(); i++) {
                Thread.sleep(200);
                after = now();
            }
            assertEquals(List.of(), after.addedTo(this), "left behind (interfaces, IPAM leases, iptables rules,"
                    + " state directories, pinned network namespaces)");
        }

        List<String> addedTo(HostState before) {
            List<String> added = new ArrayList<>();
            added(added, "link ", before.links, links);
            added(added, "lease ", before.leases, leases);
            added(added, "iptables ", before.iptables, iptables);
            added(added, "state ", before.state, state);
            added(added, "pin ", before.pins, pins);
            return added;
        }

        private static void added(List<String> out, String kind, Set<String> before, Set<String> after) {
            after.stream().filter(x -> !before.contains(x)).forEach(x -> out.add(kind + x));
        }

        static Set<String> readLeases() throws IOException {
            Set<String> out = new TreeSet<>();
            if (!Files.isDirectory(IPAM)) {
                return out;
            }
            try (Stream<Path> s = Files.walk(IPAM)) {
                s.filter(Files::isRegularFile).map(p -> IPAM.relativize(p).toString())
                        .filter(n -> !n.endsWith("/lock") && !n.contains("last_reserved_ip")).forEach(out::add);
            }
            return out;
        }

        static Set<String> readIptables() throws Exception {
            Set<String> out = new TreeSet<>();
            for (String line : host("iptables-save").split("\n")) {
                if (!line.startsWith("#")) {
                    out.add(line.replaceAll(" \\[\\d+:\\d+\\]$", ""));
                }
            }
            return out;
        }

        static Set<String> readPins() throws IOException {
            Set<String> out = new TreeSet<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                if (line.contains(" - nsfs ") && line.contains(" /run/cordon/")) {
                    out.add(line.split(" ")[4]);
                }
            }
            return out;
        }
    }

    static Set<String> linkNames(String ipOLink) {
        Set<String> names = new TreeSet<>();
        for (String line : ipOLink.split("\n")) {
            String[] f = line.split(":\\s+", 3);
            if (f.length >= 2) {
                names.add(f[1].split("@")[0]);
            }
        }
        return names;
    }

    static String host(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return p.exitValue() == 0 ? out : "";
    }
}
