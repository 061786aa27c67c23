package io.cordon.stage.cgroups;

import java.util.List;

/**
 * One allowed kind of device access, in the devices controller's terms: type
 * {@code a} (all), {@code b} or {@code c}; major and minor, -1 for any; access a
 * non-empty subset of {@code rwm} (read, write, mknod).
 */
record DeviceRule(char type, int major, int minor, String access) {
    static final int ANY = -1;

    /**
     * What every container may use, as runc allows it: create any node (mknod is
     * harmless when opening it is refused), and read and write only the
     * pseudo-devices a process expects plus its terminals.
     */
    static final List<DeviceRule> DEFAULTS = List.of(
            new DeviceRule('c', ANY, ANY, "m"),
            new DeviceRule('b', ANY, ANY, "m"),
            new DeviceRule('c', 1, 3, "rwm"), // null
            new DeviceRule('c', 1, 5, "rwm"), // zero
            new DeviceRule('c', 1, 7, "rwm"), // full
            new DeviceRule('c', 1, 8, "rwm"), // random
            new DeviceRule('c', 1, 9, "rwm"), // urandom
            new DeviceRule('c', 5, 0, "rwm"), // tty
            new DeviceRule('c', 5, 1, "rwm"), // console
            new DeviceRule('c', 5, 2, "rwm"), // ptmx
            new DeviceRule('c', 136, ANY, "rwm")); // pts/*

    DeviceRule {
        if ("abc".indexOf(type) < 0) {
            throw new IllegalArgumentException("device type " + type);
        }
        if (access.isEmpty() || !access.matches("r?w?m?")) {
            throw new IllegalArgumentException("device access " + access);
        }
    }

    /** The line the v1 devices controller takes in devices.allow, e.g. {@code c 136:* rwm}. */
    String v1() {
        if (type == 'a') {
            return "a";
        }
        return type + " " + (major == ANY ? "*" : Integer.toString(major)) + ":"
                + (minor == ANY ? "*" : Integer.toString(minor)) + " " + access;
    }
}
