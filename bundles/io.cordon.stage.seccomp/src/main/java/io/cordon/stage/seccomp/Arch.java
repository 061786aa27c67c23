package io.cordon.stage.seccomp;

import io.cordon.api.CordonException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The architectures cordon compiles filters for. A filter only ever admits the
 * native ABI: another audit architecture (i386 via int 0x80, 32-bit ARM) and, on
 * x86_64, the x32 ABI (syscall numbers with bit 30 set) get the bad-arch action.
 */
public enum Arch {
    X86_64("x86_64", 0xC000003E, "SCMP_ARCH_X86_64", "amd64", true),
    AARCH64("aarch64", 0xC00000B7, "SCMP_ARCH_AARCH64", "arm64", false);

    /** Bit 30 of the syscall number marks the x32 ABI on x86_64. */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    private final String id;
    private final int auditArch;
    private final String scmpName;
    private final String goArch;
    private final boolean hasX32;
    private volatile Map<String, Integer> syscalls;

    Arch(String id, int auditArch, String scmpName, String goArch, boolean hasX32) {
        this.id = id;
        this.auditArch = auditArch;
        this.scmpName = scmpName;
        this.goArch = goArch;
        this.hasX32 = hasX32;
    }

    /** The architecture of this JVM, if cordon can filter it. */
    public static Optional<Arch> host() {
        String a = System.getProperty("os.arch", "");
        return switch (a) {
            case "amd64", "x86_64" -> Optional.of(X86_64);
            case "aarch64", "arm64" -> Optional.of(AARCH64);
            default -> Optional.empty();
        };
    }

    public String id() {
        return id;
    }

    /** AUDIT_ARCH_* value in seccomp_data.arch. */
    public int auditArch() {
        return auditArch;
    }

    /** The name libseccomp and the OCI spec use, e.g. SCMP_ARCH_X86_64. */
    public String scmpName() {
        return scmpName;
    }

    /** The name Go (and so Moby's includes/excludes "arches") uses, e.g. amd64. */
    public String goArch() {
        return goArch;
    }

    public boolean hasX32() {
        return hasX32;
    }

    /** Syscall name to number, from the generated table (gen/syscalls.sh). */
    public Map<String, Integer> syscalls() {
        Map<String, Integer> s = syscalls;
        if (s == null) {
            s = load("syscalls-" + id + ".txt");
            syscalls = s;
        }
        return s;
    }

    public Optional<Integer> syscall(String name) {
        return Optional.ofNullable(syscalls().get(name));
    }

    private static Map<String, Integer> load(String resource) {
        Map<String, Integer> m = new TreeMap<>();
        try (InputStream in = Arch.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CordonException("the seccomp stage bundle lacks its syscall table " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null;) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                m.put(f[0], Integer.parseInt(f[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(m);
    }
}
