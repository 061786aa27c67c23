package io.cordon.stage.seccomp;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cordon.api.CordonException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reads a profile in the OCI runtime-spec {@code linux.seccomp} format or the
 * Moby/Docker format (a superset, which podman's containers/common also reads and
 * extends with errno names: {@code "errno": "EPERM"}, {@code "defaultErrno"}), or a
 * whole OCI {@code config.json}, strictly:
 * an unknown action, comparison, architecture or flag, a number out of range or a
 * field of the wrong type is an error whose one-line message names the field
 * ({@code syscalls[3].args[0].index}). Fields this reader does not use (comments,
 * listener metadata) are ignored, as Docker ignores them.
 */
public final class ProfileParser {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Every SCMP_ARCH_* name libseccomp and the OCI spec know; only x86_64 and aarch64 are compiled. */
    static final Set<String> SCMP_ARCHES = Set.of("SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64",
            "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
            "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
            "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
            "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
            "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB");

    /**
     * The names includes/excludes "arches" may use: Moby compares them with its own name for
     * the host (amd64, arm64, x86, mipsel, and "mips3l64n32" as Moby spells mipsel64n32, which
     * Docker's own profile uses), podman with libseccomp's (the same, plus mipsel64n32, parisc,
     * sh, ...); Go's GOARCH names are accepted too. cordon's hosts match "amd64" and "arm64".
     */
    static final Set<String> GO_ARCHES = Set.of("386", "x86", "x32", "amd64", "arm", "arm64", "loong64", "mips",
            "mipsle", "mipsel", "mips64", "mips64le", "mipsel64", "mips64p32", "mips64p32le", "mips64n32",
            "mipsel64n32", "mips3l64n32", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x", "parisc",
            "parisc64", "sparc", "sparc64", "m68k", "sh", "sheb");

    private static final List<String> FLAG_NAMES = List.of("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW");

    private static final String ERRNO_TABLE = "errnos.txt";

    private final String origin;

    private ProfileParser(String origin) {
        this.origin = origin;
    }

    /**
     * Parse a profile. {@code origin} names it in messages, e.g. the file path.
     *
     * @throws ProfileException if the JSON is malformed or a field is wrong
     */
    public static Profile parse(byte[] json, String origin) {
        return new ProfileParser(origin).parse(json);
    }

    private Profile parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String what = e.getOriginalMessage().split("\n", 2)[0];
            throw new ProfileException(origin + ": not valid JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr()) + ": " + what);
        } catch (IOException e) {
            throw new ProfileException(origin + ": cannot read: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw new ProfileException(origin + ": empty file: expected a seccomp profile (a JSON object)");
        }
        String prefix = "";
        if (root.isObject() && root.has("ociVersion") || root.has("linux") && root.get("linux").isObject()) {
            // A whole OCI config.json: the profile is linux.seccomp.
            prefix = "linux.seccomp.";
            JsonNode linux = root.path("linux");
            if (!linux.has("seccomp") || linux.get("seccomp").isNull()) {
                throw error("linux.seccomp", "missing: this OCI config has no seccomp profile");
            }
            root = linux.get("seccomp");
        }
        if (!root.isObject()) {
            throw error(prefix.isEmpty() ? "(top level)" : "linux.seccomp", "expected a JSON object, got " + type(root));
        }
        return profile(root, prefix);
    }

    private Profile profile(JsonNode p, String pre) {
        String defName = string(p, "defaultAction", pre + "defaultAction", true);
        Action def = action(defName, p.get("defaultErrnoRet"), p.get("defaultErrno"), pre + "defaultAction",
                pre + "defaultErrnoRet", pre + "defaultErrno");

        List<String> arches = new ArrayList<>();
        JsonNode a = p.get("architectures");
        for (int i = 0; a != null && !a.isNull() && i < array(a, pre + "architectures").size(); i++) {
            arches.add(scmpArch(a.get(i), pre + "architectures[" + i + "]"));
        }
        List<Profile.ArchMapEntry> archMap = new ArrayList<>();
        JsonNode m = p.get("archMap");
        for (int i = 0; m != null && !m.isNull() && i < array(m, pre + "archMap").size(); i++) {
            String path = pre + "archMap[" + i + "]";
            JsonNode e = object(m.get(i), path);
            String arch = scmpArch(required(e, "architecture", path + ".architecture"), path + ".architecture");
            List<String> subs = new ArrayList<>();
            JsonNode s = e.get("subArchitectures");
            for (int j = 0; s != null && !s.isNull() && j < array(s, path + ".subArchitectures").size(); j++) {
                subs.add(scmpArch(s.get(j), path + ".subArchitectures[" + j + "]"));
            }
            archMap.add(new Profile.ArchMapEntry(arch, subs));
        }
        if (!arches.isEmpty() && !archMap.isEmpty()) {
            throw error(pre + "archMap", "both architectures and archMap are given: use one of them");
        }

        int flags = 0;
        JsonNode f = p.get("flags");
        for (int i = 0; f != null && !f.isNull() && i < array(f, pre + "flags").size(); i++) {
            String path = pre + "flags[" + i + "]";
            String name = text(f.get(i), path);
            int bit = FLAG_NAMES.indexOf(name);
            if (bit < 0) {
                throw error(path, "unsupported flag \"" + name + "\" (cordon supports " + String.join(", ", FLAG_NAMES)
                        + ")");
            }
            flags |= 1 << bit;
        }
        JsonNode listener = p.get("listenerPath");
        if (listener != null && !listener.isNull() && !listener.asText().isEmpty()) {
            throw error(pre + "listenerPath", "seccomp user notification (a listener) is not supported by cordon");
        }

        List<Profile.Rule> rules = new ArrayList<>();
        JsonNode calls = p.get("syscalls");
        for (int i = 0; calls != null && !calls.isNull() && i < array(calls, pre + "syscalls").size(); i++) {
            rules.add(rule(calls.get(i), pre + "syscalls[" + i + "]"));
        }
        return new Profile(def, arches, archMap, flags, rules);
    }

    private Profile.Rule rule(JsonNode node, String path) {
        JsonNode r = object(node, path);
        List<String> names = new ArrayList<>();
        JsonNode name = r.get("name");
        JsonNode list = r.get("names");
        boolean hasList = list != null && !list.isNull() && !(list.isArray() && list.isEmpty());
        if (name != null && !name.isNull() && !text(name, path + ".name").isEmpty()) {
            if (hasList) {
                throw error(path + ".names", "both name and names are given: use one of them");
            }
            names.add(name.asText());
        }
        for (int i = 0; list != null && !list.isNull() && i < array(list, path + ".names").size(); i++) {
            String n = text(list.get(i), path + ".names[" + i + "]");
            if (n.isEmpty()) {
                throw error(path + ".names[" + i + "]", "empty syscall name");
            }
            names.add(n);
        }
        String act = string(r, "action", path + ".action", true);
        Action action = action(act, r.get("errnoRet"), r.get("errno"), path + ".action", path + ".errnoRet",
                path + ".errno");
        List<Profile.Arg> args = new ArrayList<>();
        JsonNode a = r.get("args");
        for (int i = 0; a != null && !a.isNull() && i < array(a, path + ".args").size(); i++) {
            args.add(arg(a.get(i), path + ".args[" + i + "]"));
        }
        if (args.size() > 6) {
            throw error(path + ".args", args.size() + " comparisons: a rule takes at most 6");
        }
        return new Profile.Rule(path, names, action, args, filter(r.get("includes"), path + ".includes"),
                filter(r.get("excludes"), path + ".excludes"));
    }

    private Profile.Arg arg(JsonNode node, String path) {
        JsonNode a = object(node, path);
        long index = u64(required(a, "index", path + ".index"), path + ".index");
        if (index > 5) {
            throw error(path + ".index", Long.toUnsignedString(index) + " is out of range: a syscall has arguments 0..5");
        }
        long value = u64(required(a, "value", path + ".value"), path + ".value");
        JsonNode two = a.get("valueTwo");
        long valueTwo = two == null || two.isNull() ? 0 : u64(two, path + ".valueTwo");
        String opName = string(a, "op", path + ".op", true);
        Profile.ArgOp op = Arrays.stream(Profile.ArgOp.values()).filter(o -> o.scmpName.equals(opName)).findFirst()
                .orElseThrow(() -> error(path + ".op", "unknown comparison \"" + opName + "\" (expected one of "
                        + Arrays.stream(Profile.ArgOp.values()).map(o -> o.scmpName).collect(Collectors.joining(", "))
                        + ")"));
        return new Profile.Arg((int) index, op, value, valueTwo);
    }

    private Optional<Profile.Filter> filter(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        JsonNode f = object(node, path);
        List<String> caps = new ArrayList<>();
        JsonNode c = f.get("caps");
        for (int i = 0; c != null && !c.isNull() && i < array(c, path + ".caps").size(); i++) {
            String cap = text(c.get(i), path + ".caps[" + i + "]").toUpperCase(Locale.ROOT);
            caps.add(cap.startsWith("CAP_") ? cap : "CAP_" + cap);
        }
        List<String> arches = new ArrayList<>();
        JsonNode a = f.get("arches");
        for (int i = 0; a != null && !a.isNull() && i < array(a, path + ".arches").size(); i++) {
            String arch = text(a.get(i), path + ".arches[" + i + "]");
            if (!GO_ARCHES.contains(arch)) {
                throw error(path + ".arches[" + i + "]", "unknown architecture \"" + arch
                        + "\" (Moby profiles name architectures as Go does: amd64, arm64, x86, x32, arm, ...)");
            }
            arches.add(arch);
        }
        Optional<int[]> minKernel = Optional.empty();
        JsonNode k = f.get("minKernel");
        if (k != null && !k.isNull()) {
            String v = text(k, path + ".minKernel");
            if (!v.matches("\\d{1,4}\\.\\d{1,4}")) {
                throw error(path + ".minKernel", "\"" + v + "\" is not a kernel version MAJOR.MINOR, e.g. \"4.8\"");
            }
            String[] mm = v.split("\\.");
            minKernel = Optional.of(new int[] {Integer.parseInt(mm[0]), Integer.parseInt(mm[1])});
        }
        return Optional.of(new Profile.Filter(caps, arches, minKernel));
    }

    /**
     * An action with its value: {@code errnoRet} (a number) or podman's {@code errno} (a name
     * such as EPERM, or a number as a string, as containers/common reads it). Both may be
     * given, as podman's own profile does, but then they must agree.
     */
    private Action action(String name, JsonNode errnoRet, JsonNode errnoName, String path, String retPath,
            String namePath) {
        Action.Kind kind = switch (name) {
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> Action.Kind.KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS" -> Action.Kind.KILL_PROCESS;
            case "SCMP_ACT_TRAP" -> Action.Kind.TRAP;
            case "SCMP_ACT_ERRNO" -> Action.Kind.ERRNO;
            case "SCMP_ACT_TRACE" -> Action.Kind.TRACE;
            case "SCMP_ACT_LOG" -> Action.Kind.LOG;
            case "SCMP_ACT_ALLOW" -> Action.Kind.ALLOW;
            case "SCMP_ACT_NOTIFY" -> throw error(path, "SCMP_ACT_NOTIFY (user notification) is not supported by cordon");
            default -> throw error(path, "unknown action \"" + name + "\" (expected one of SCMP_ACT_ALLOW,"
                    + " SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP,"
                    + " SCMP_ACT_TRACE, SCMP_ACT_LOG)");
        };
        OptionalInt ret = OptionalInt.empty();
        if (errnoRet != null && !errnoRet.isNull()) {
            long v = u64(errnoRet, retPath);
            if (v > 0xffff) {
                throw error(retPath, Long.toUnsignedString(v) + " is out of range 0..65535");
            }
            ret = OptionalInt.of((int) v);
        }
        OptionalInt named = OptionalInt.empty();
        if (errnoName != null && !errnoName.isNull() && !text(errnoName, namePath).isEmpty()) {
            named = OptionalInt.of(errnoNumber(errnoName.asText(), namePath));
        }
        if (!kind.takesData() && (ret.isPresent() || named.isPresent())) {
            throw error(ret.isPresent() ? retPath : namePath, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return"
                    + " value, not " + name);
        }
        if (ret.isPresent() && named.isPresent() && ret.getAsInt() != named.getAsInt()) {
            throw error(namePath, "\"" + errnoName.asText() + "\" is " + named.getAsInt() + " but "
                    + retPath.substring(retPath.lastIndexOf('.') + 1) + " says " + ret.getAsInt()
                    + ": give one of them, or make them agree");
        }
        if (!kind.takesData()) {
            return new Action(kind, 0);
        }
        // runc's default for both ERRNO and TRACE is EPERM; a name, like containers/common, wins
        return new Action(kind, named.orElse(ret.orElse(Action.EPERM)));
    }

    private int errnoNumber(String value, String path) {
        if (value.matches("[0-9]{1,10}")) {
            long v = Long.parseLong(value);
            if (v > 0xffff) {
                throw error(path, value + " is out of range 0..65535");
            }
            return (int) v;
        }
        Integer n = errnos().get(value);
        if (n == null) {
            throw error(path, "unknown errno \"" + value + "\" (expected a name such as EPERM or ENOSYS, or a number)");
        }
        return n;
    }

    private static volatile Map<String, Integer> errnos;

    /** Errno name to number, from the generated table (gen/errnos.sh); the same on x86_64 and aarch64. */
    static Map<String, Integer> errnos() {
        Map<String, Integer> m = errnos;
        if (m == null) {
            m = new TreeMap<>();
            try (InputStream in = ProfileParser.class.getResourceAsStream(ERRNO_TABLE)) {
                if (in == null) {
                    throw new CordonException("the seccomp stage bundle lacks its errno table " + ERRNO_TABLE);
                }
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                for (String line; (line = r.readLine()) != null;) {
                    if (!line.isBlank() && !line.startsWith("#")) {
                        String[] f = line.trim().split("\\s+");
                        m.put(f[0], Integer.parseInt(f[1]));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            m = Collections.unmodifiableMap(m);
            errnos = m;
        }
        return m;
    }

    private String scmpArch(JsonNode node, String path) {
        String a = text(node, path);
        if (!SCMP_ARCHES.contains(a)) {
            throw error(path, "unknown architecture \"" + a + "\" (expected SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, ...)");
        }
        return a;
    }

    private long u64(JsonNode n, String path) {
        if (!n.isIntegralNumber()) {
            throw error(path, "expected an unsigned integer, got " + type(n));
        }
        BigInteger v = n.bigIntegerValue();
        if (v.signum() < 0 || v.bitLength() > 64) {
            throw error(path, v + " is out of range for an unsigned 64-bit integer");
        }
        return v.longValue();
    }

    private JsonNode required(JsonNode obj, String field, String path) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            throw error(path, "missing");
        }
        return n;
    }

    private String string(JsonNode obj, String field, String path, boolean needed) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull() || n.isTextual() && n.asText().isEmpty()) {
            if (needed) {
                throw error(path, "missing");
            }
            return "";
        }
        return text(n, path);
    }

    private String text(JsonNode n, String path) {
        if (!n.isTextual()) {
            throw error(path, "expected a string, got " + type(n));
        }
        return n.asText();
    }

    private JsonNode array(JsonNode n, String path) {
        if (!n.isArray()) {
            throw error(path, "expected an array, got " + type(n));
        }
        return n;
    }

    private JsonNode object(JsonNode n, String path) {
        if (n == null || !n.isObject()) {
            throw error(path, "expected an object, got " + type(n));
        }
        return n;
    }

    private static String type(JsonNode n) {
        if (n == null || n.isNull()) {
            return "null";
        }
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> n.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    private ProfileException error(String path, String what) {
        return new ProfileException(origin + ": " + path + ": " + what);
    }
}
