package io.cordon.stage.netns;

import io.cordon.api.CordonException;

/** The value of {@code --network}: where the container's network stack comes from. */
sealed interface NetworkMode {
    /** The network name {@code bridge} stands for: the default CNI network shipped with cordon. */
    String DEFAULT_NETWORK = "cordon";

    /** A new network namespace with only {@code lo}, up. The default. */
    record None() implements NetworkMode {
    }

    /** The host's network namespace. */
    record Host() implements NetworkMode {
    }

    /** An existing network namespace file ({@code ns:/run/netns/x}, {@code /proc/PID/ns/net}). */
    record JoinPath(String path) implements NetworkMode {
    }

    /** The network namespace of another running container ({@code container:ID}). */
    record JoinContainer(String id) implements NetworkMode {
    }

    /** A new network namespace attached to a CNI network by its config list. */
    record Cni(String network) implements NetworkMode {
    }

    static NetworkMode parse(String value) {
        String flag = "--network " + value;
        if (value == null || value.equals("none")) {
            return new None();
        }
        if (value.equals("host")) {
            return new Host();
        }
        if (value.equals("bridge")) {
            return new Cni(DEFAULT_NETWORK);
        }
        if (value.startsWith("ns:")) {
            String path = value.substring(3);
            if (!path.startsWith("/")) {
                throw new CordonException(flag + ": give the absolute path of a network namespace file,"
                        + " e.g. ns:/run/netns/NAME");
            }
            return new JoinPath(path);
        }
        if (value.startsWith("container:")) {
            String id = value.substring("container:".length());
            if (!id.matches("[0-9a-f]{1,64}")) {
                throw new CordonException(flag + ": give a container id or a unique prefix of one (see cordon ps)");
            }
            return new JoinContainer(id);
        }
        if (!CniConfig.validName(value)) {
            throw new CordonException(flag + ": expected none, host, bridge, ns:PATH, container:ID or the name"
                    + " of a CNI network (letters, digits, '.', '_', '-')");
        }
        return new Cni(value);
    }
}
