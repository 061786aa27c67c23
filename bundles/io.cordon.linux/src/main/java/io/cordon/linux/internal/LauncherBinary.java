package io.cordon.linux.internal;

import io.cordon.api.CordonException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The launcher executable ships inside this bundle (compiled by the Maven build).
 * The kernel can only exec a file, so it is copied once to a root-owned directory,
 * named by its content hash so that two cordon versions never share a binary.
 */
final class LauncherBinary {
    static final String RESOURCE = "/native/cordon-launcher";

    private LauncherBinary() {
    }

    static Path install(Path binDir) {
        byte[] bytes;
        try (InputStream in = LauncherBinary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new CordonException("the cordon-launcher executable is missing from io.cordon.linux: "
                        + "rebuild with mvn (gcc is needed)");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new CordonException("cannot read the launcher from the bundle: " + e.getMessage());
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path target = binDir.resolve("cordon-launcher-" + hash);
        try {
            if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
                return target;
            }
            Files.createDirectories(binDir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Path tmp = Files.createTempFile(binDir, ".launcher", ".tmp");
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new CordonException("cannot install the launcher in " + binDir + ": " + e.getMessage()
                    + " (cordon must run as root)");
        }
    }
}
