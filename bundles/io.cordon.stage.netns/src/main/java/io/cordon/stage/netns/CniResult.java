package io.cordon.stage.netns;

import com.fasterxml.jackson.databind.JsonNode;
import io.cordon.api.CordonException;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a CNI result (spec 0.3.0 to 1.0.0) the container's /etc needs: the
 * addresses on the container's interface and the DNS settings.
 */
record CniResult(List<Address> addresses, List<String> nameservers, String domain, List<String> search,
        List<String> options) {

    /** One address as CIDR ({@code 10.87.0.2/24}), with its gateway if any. */
    record Address(String ip, int prefix, String gateway, boolean ipv6) {
    }

    CniResult {
        addresses = List.copyOf(addresses);
        nameservers = List.copyOf(nameservers);
        search = List.copyOf(search);
        options = List.copyOf(options);
    }

    /**
     * Parse a final result. Only addresses on {@code ifname} inside the sandbox count (an address whose
     * "interface" index is absent is taken as the container's, as the spec allows).
     */
    static CniResult parse(JsonNode result, String ifname) {
        if (result == null || !result.isObject()) {
            throw new CordonException("the CNI result is not a JSON object");
        }
        JsonNode interfaces = result.path("interfaces");
        List<Address> addresses = new ArrayList<>();
        for (JsonNode ip : result.path("ips")) {
            JsonNode idx = ip.get("interface");
            if (idx != null && idx.isInt()) {
                JsonNode itf = interfaces.path(idx.asInt());
                if (!itf.path("name").asText().equals(ifname) || itf.path("sandbox").asText().isEmpty()) {
                    continue;
                }
            }
            String cidr = ip.path("address").asText();
            int slash = cidr.indexOf('/');
            if (slash <= 0) {
                throw new CordonException("the CNI result has an address without a prefix length: '" + cidr + "'");
            }
            int prefix;
            try {
                prefix = Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new CordonException("the CNI result has a malformed address: '" + cidr + "'");
            }
            String addr = cidr.substring(0, slash);
            addresses.add(new Address(addr, prefix, ip.path("gateway").asText(""), addr.contains(":")));
        }
        JsonNode dns = result.path("dns");
        return new CniResult(addresses, strings(dns.path("nameservers")), dns.path("domain").asText(""),
                strings(dns.path("search")), strings(dns.path("options")));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            if (n.isTextual() && !n.asText().isBlank()) {
                out.add(n.asText());
            }
        }
        return out;
    }

    /** The container's first IPv4 address, if it got one. */
    java.util.Optional<Address> ipv4() {
        return addresses.stream().filter(a -> !a.ipv6()).findFirst();
    }

    /** /etc/hosts: localhost, then the container's addresses under its hostname. */
    String hosts(String hostname) {
        StringBuilder b = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (Address a : addresses) {
            b.append(a.ip()).append('\t').append(hostname).append('\n');
        }
        return b.toString();
    }

    /**
     * /etc/resolv.conf: the network's DNS settings if the result has nameservers; otherwise the host's
     * file without loopback nameservers, which the container cannot reach from its own namespace.
     */
    String resolvConf(String hostResolvConf) {
        StringBuilder b = new StringBuilder();
        if (!nameservers.isEmpty()) {
            if (!domain.isEmpty()) {
                b.append("domain ").append(domain).append('\n');
            }
            if (!search.isEmpty()) {
                b.append("search ").append(String.join(" ", search)).append('\n');
            }
            nameservers.forEach(n -> b.append("nameserver ").append(n).append('\n'));
            if (!options.isEmpty()) {
                b.append("options ").append(String.join(" ", options)).append('\n');
            }
            return b.toString();
        }
        for (String line : hostResolvConf.split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length >= 2 && w[0].equals("nameserver") && (w[1].startsWith("127.") || w[1].equals("::1"))) {
                continue;
            }
            if (!line.isBlank()) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }
}
