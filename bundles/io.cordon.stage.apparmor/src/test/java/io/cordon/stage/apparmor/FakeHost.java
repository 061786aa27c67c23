package io.cordon.stage.apparmor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A fake host under a temporary directory: the sysfs and securityfs files AppArmorHost reads, a fake
 * apparmor_parser that "loads" a profile by adding its name to the fake profiles list, and the loader's own
 * run and cache directories.
 */
final class FakeHost {
    final Path root;
    final Path run;
    final Path cache;
    final Path bin;
    final Path parserLog;

    FakeHost(Path temp) {
        this.root = temp.resolve("root");
        this.run = temp.resolve("run/cordon/apparmor");
        this.cache = temp.resolve("var/cache/cordon/apparmor");
        this.bin = temp.resolve("bin");
        this.parserLog = temp.resolve("parser.log");
    }

    /** A kernel where AppArmor is the active LSM, with securityfs mounted and {@code loaded} in its list. */
    static FakeHost activeAppArmor(Path temp, String... loaded) {
        FakeHost h = new FakeHost(temp);
        h.write("sys/module/apparmor/parameters/enabled", "Y\n");
        h.write("sys/module/apparmor/parameters/mode", "enforce\n");
        h.write("sys/kernel/security/lsm", "lockdown,capability,landlock,yama,apparmor");
        StringBuilder profiles = new StringBuilder();
        for (String p : loaded) {
            profiles.append(p).append(" (enforce)\n");
        }
        h.write("sys/kernel/security/apparmor/profiles", profiles.toString());
        return h;
    }

    AppArmorHost host() {
        return new AppArmorHost(root);
    }

    void write(String relative, String content) {
        try {
            Path p = root.resolve(relative);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void mkdir(String relative) {
        try {
            Files.createDirectories(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path profilesList() {
        return root.resolve("sys/kernel/security/apparmor/profiles");
    }

    /**
     * A fake apparmor_parser: logs its arguments, then runs {@code body} with $SRC the last argument (the source
     * file). The default body "loads" the profile the source names by adding it to the fake profiles list.
     */
    Path parser(String body) {
        try {
            Files.createDirectories(bin);
            Path p = bin.resolve("apparmor_parser");
            Files.writeString(p, String.join("\n",
                    "#!/bin/sh",
                    "echo \"$@\" >> '" + parserLog + "'",
                    "for SRC; do :; done",
                    "PROFILES='" + profilesList() + "'",
                    body,
                    ""));
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final String LOADS = "name=$(sed -n 's/^profile \\([^ ]*\\) .*/\\1/p' \"$SRC\")\n"
            + "echo \"$name (enforce)\" >> \"$PROFILES\"";

    Path loadingParser() {
        return parser(LOADS);
    }

    ProfileLoader loader(Optional<Path> parser) {
        Supplier<Optional<Path>> p = () -> parser;
        return new ProfileLoader(host(), p, run, cache, Duration.ofSeconds(20));
    }

    /** Each apparmor_parser invocation's arguments, one per line. */
    List<String> parserCalls() {
        try {
            return Files.exists(parserLog) ? Files.readAllLines(parserLog) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file and directory under {@code dir}, relative, for "created nothing" checks. */
    static List<String> tree(Path dir) {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (var s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
