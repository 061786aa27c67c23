package io.cordon.stage.apparmor;

import io.cordon.api.CordonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The kernel's AppArmor as the host shows it in sysfs and securityfs. Every path is taken under {@link #root}
 * ({@code /} on a real host), so tests point it at a fake tree in a temporary directory.
 */
final class AppArmorHost {
    private final Path root;

    AppArmorHost(Path root) {
        this.root = root;
    }

    static AppArmorHost system() {
        return new AppArmorHost(Path.of("/"));
    }

    /** Whether AppArmor can confine containers here, or why not (one line with what to do). */
    record State(boolean active, String reason) {
    }

    /** Where /sys/kernel/security/apparmor/profiles is on a real host, for messages. */
    static final String PROFILES = "/sys/kernel/security/apparmor/profiles";
    private static final String LSM = "sys/kernel/security/lsm";
    private static final String POLICY = "sys/kernel/security/apparmor";
    private static final String MODULE = "sys/module/apparmor";
    private static final String ENABLED = "sys/module/apparmor/parameters/enabled";
    private static final String MODE = "sys/module/apparmor/parameters/mode";

    /**
     * AppArmor confines when it is one of the kernel's active LSMs and its policy interface is there. The
     * active LSMs are listed in securityfs; where securityfs is not mounted the module's {@code enabled}
     * parameter stands in, but the policy interface lives in securityfs, so it must be mounted all the same.
     */
    State probe() {
        Optional<String> lsms = read(LSM);
        boolean listed = lsms.map(l -> List.of(l.split(",")).contains("apparmor")).orElse(false);
        if (listed) {
            if (!Files.isDirectory(root.resolve(POLICY))) {
                return new State(false, "the kernel lists apparmor as an active LSM but /" + POLICY
                        + " (its policy interface) is missing");
            }
            return new State(true, "");
        }
        if (!Files.isDirectory(root.resolve(MODULE))) {
            return new State(false, "AppArmor is not in this kernel (no /" + MODULE + ")");
        }
        Optional<String> enabled = read(ENABLED);
        if (enabled.isPresent() && !enabled.get().equals("Y")) {
            return new State(false, "AppArmor is built in but not enabled (/" + ENABLED + " = " + enabled.get()
                    + "; boot with apparmor=1 security=apparmor)");
        }
        if (lsms.isEmpty()) {
            return new State(false, "securityfs is not mounted at /sys/kernel/security"
                    + " (mount -t securityfs securityfs /sys/kernel/security)");
        }
        return new State(false, "AppArmor is built in but not an active LSM (active: " + lsms.get()
                + "; boot with security=apparmor, or add apparmor to lsm=)");
    }

    /** The global mode from the module parameter ({@code enforce}, {@code complain} …), if shown. */
    Optional<String> mode() {
        return read(MODE);
    }

    /**
     * Whether the kernel has a profile of this name loaded, in any mode. Each line of the profiles list is
     * {@code NAME (MODE)}; names never contain whitespace (ProfileChoice refuses those).
     */
    boolean isLoaded(String name) {
        Path profiles = root.resolve(POLICY).resolve("profiles");
        try {
            for (String line : Files.readAllLines(profiles)) {
                int mode = line.lastIndexOf(" (");
                if ((mode < 0 ? line : line.substring(0, mode)).equals(name)) {
                    return true;
                }
            }
            return false;
        } catch (NoSuchFileException e) {
            throw new CordonException("cannot check the loaded AppArmor profiles: " + PROFILES
                    + " is missing (is securityfs mounted?)");
        } catch (IOException e) {
            throw new CordonException("cannot read " + PROFILES + ": " + e.getMessage());
        }
    }

    /** A sysfs file's content without the trailing newline, or empty if it is missing or unreadable. */
    private Optional<String> read(String relative) {
        try {
            return Optional.of(Files.readString(root.resolve(relative)).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
