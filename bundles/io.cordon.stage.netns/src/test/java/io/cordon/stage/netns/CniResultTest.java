package io.cordon.stage.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cordon.api.CordonException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the container's /etc gets from a CNI result. */
class CniResultTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The bridge plugin's answer, as Debian's 1.1.1 gives it. */
    static final String BRIDGE_RESULT = """
            {"cniVersion": "1.0.0",
             "interfaces": [{"name": "cordon0", "mac": "6a:a6:a8:3e:c1:f3"},
                            {"name": "veth24309ca1", "mac": "a6:ab:9c:89:a3:c1"},
                            {"name": "eth0", "mac": "2a:1d:47:70:07:8c", "sandbox": "/run/cordon/containers/x/netns"}],
             "ips": [{"interface": 2, "address": "10.87.0.2/24", "gateway": "10.87.0.1"},
                     {"interface": 0, "address": "10.87.0.1/24"}],
             "routes": [{"dst": "0.0.0.0/0"}],
             "dns": {}}
            """;

    @Test
    void takesOnlyTheContainersInterfaceAddresses() throws Exception {
        CniResult r = CniResult.parse(JSON.readTree(BRIDGE_RESULT), "eth0");
        assertEquals(List.of(new CniResult.Address("10.87.0.2", 24, "10.87.0.1", false)), r.addresses());
        assertEquals("10.87.0.2", r.ipv4().orElseThrow().ip());
        assertEquals("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.87.0.2\tweb\n",
                r.hosts("web"));
    }

    @Test
    void addressesWithoutAnInterfaceIndexCountAndIpv6IsRecognised() throws Exception {
        CniResult r = CniResult.parse(JSON.readTree(
                "{\"ips\":[{\"address\":\"fd00:1::5/64\"},{\"address\":\"10.1.2.3/16\"}]}"), "eth0");
        assertEquals(2, r.addresses().size());
        assertTrue(r.addresses().get(0).ipv6());
        assertEquals("10.1.2.3", r.ipv4().orElseThrow().ip());
    }

    @Test
    void resolvConfFromTheNetworksDnsOrTheHostsWithoutLoopbackServers() throws Exception {
        CniResult withDns = CniResult.parse(JSON.readTree("""
                {"ips": [], "dns": {"nameservers": ["10.87.0.1"], "domain": "lab", "search": ["lab", "corp"],
                 "options": ["ndots:2"]}}
                """), "eth0");
        assertEquals("domain lab\nsearch lab corp\nnameserver 10.87.0.1\noptions ndots:2\n",
                withDns.resolvConf("nameserver 9.9.9.9\n"));
        CniResult noDns = CniResult.parse(JSON.readTree(BRIDGE_RESULT), "eth0");
        assertEquals("search corp\nnameserver 192.0.2.53\n", noDns.resolvConf(
                "search corp\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nnameserver ::1\n"));
    }

    @Test
    void malformedAddressesAreErrors() {
        assertThrows(CordonException.class, () -> CniResult.parse(JSON.readTree(
                "{\"ips\":[{\"address\":\"10.1.2.3\"}]}"), "eth0"));
        assertThrows(CordonException.class, () -> CniResult.parse(JSON.readTree("[]"), "eth0"));
    }
}
