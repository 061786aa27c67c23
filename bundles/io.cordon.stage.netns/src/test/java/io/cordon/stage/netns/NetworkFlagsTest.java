package io.cordon.stage.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.CordonException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --network and -p values. */
class NetworkFlagsTest {

    @Test
    void modes() {
        assertEquals(new NetworkMode.None(), NetworkMode.parse(null));
        assertEquals(new NetworkMode.None(), NetworkMode.parse("none"));
        assertEquals(new NetworkMode.Host(), NetworkMode.parse("host"));
        assertEquals(new NetworkMode.Cni("cordon"), NetworkMode.parse("bridge"));
        assertEquals(new NetworkMode.Cni("lab-net.1"), NetworkMode.parse("lab-net.1"));
        assertEquals(new NetworkMode.JoinPath("/run/netns/x"), NetworkMode.parse("ns:/run/netns/x"));
        assertEquals(new NetworkMode.JoinContainer("abc123"), NetworkMode.parse("container:abc123"));
    }

    @Test
    void badModesAreOneLineErrorsNamingTheValue() {
        for (String bad : new String[] {"ns:relative", "container:", "container:XYZ", "a/b", "", "-x", "a b"}) {
            CordonException e = assertThrows(CordonException.class, () -> NetworkMode.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--network " + bad + ":"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    @Test
    void ports() {
        assertEquals(new PortMapping("", 18080, 8080, "tcp"), PortMapping.parse("18080:8080"));
        assertEquals(new PortMapping("", 53, 5353, "udp"), PortMapping.parse("53:5353/udp"));
        assertEquals(new PortMapping("127.0.0.1", 80, 8080, "tcp"), PortMapping.parse("127.0.0.1:80:8080/tcp"));
        assertEquals(Map.of("hostPort", 18080, "containerPort", 8080, "protocol", "tcp"),
                PortMapping.parse("18080:8080").toCni());
        assertEquals("127.0.0.1", PortMapping.parse("127.0.0.1:80:8080").toCni().get("hostIP"));
    }

    @Test
    void badPortsAreOneLineErrors() {
        for (String bad : new String[] {"8080", "0:80", "80:70000", "80:80/sctp", "x:80", "1.2.3:80:80", "a:b:c:d"}) {
            CordonException e = assertThrows(CordonException.class, () -> PortMapping.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("-p " + bad + ":"), e.getMessage());
        }
    }
}
