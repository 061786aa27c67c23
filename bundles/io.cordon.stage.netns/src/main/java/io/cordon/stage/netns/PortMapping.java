package io.cordon.stage.netns;

import io.cordon.api.CordonException;
import java.util.LinkedHashMap;
import java.util.Map;

/** One {@code -p [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]}, as the CNI portMappings capability takes it. */
record PortMapping(String hostIp, int hostPort, int containerPort, String protocol) {

    static PortMapping parse(String value) {
        String flag = "-p " + value;
        String spec = value;
        String protocol = "tcp";
        int slash = spec.lastIndexOf('/');
        if (slash >= 0) {
            protocol = spec.substring(slash + 1);
            spec = spec.substring(0, slash);
            if (!protocol.equals("tcp") && !protocol.equals("udp")) {
                throw new CordonException(flag + ": the protocol must be tcp or udp, not '" + protocol + "'");
            }
        }
        String[] parts = spec.split(":", -1);
        String hostIp = "";
        if (parts.length == 3) {
            hostIp = parts[0];
            if (!hostIp.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                throw new CordonException(flag + ": '" + hostIp + "' is not an IPv4 address");
            }
            parts = new String[] {parts[1], parts[2]};
        }
        if (parts.length != 2) {
            throw new CordonException(flag + ": expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]");
        }
        return new PortMapping(hostIp, port(flag, parts[0]), port(flag, parts[1]), protocol);
    }

    private static int port(String flag, String s) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new CordonException(flag + ": '" + s + "' is not a port number (1-65535)");
    }

    /** The entry of the CNI {@code portMappings} runtime config. */
    Map<String, Object> toCni() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hostPort", hostPort);
        m.put("containerPort", containerPort);
        m.put("protocol", protocol);
        if (!hostIp.isEmpty()) {
            m.put("hostIP", hostIp);
        }
        return m;
    }

    @Override
    public String toString() {
        return (hostIp.isEmpty() ? "" : hostIp + ":") + hostPort + ":" + containerPort + "/" + protocol;
    }
}
