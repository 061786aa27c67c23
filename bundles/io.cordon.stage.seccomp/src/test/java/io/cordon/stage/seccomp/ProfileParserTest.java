package io.cordon.stage.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProfileParserTest {

    private static Profile parse(String json) {
        return ProfileParser.parse(json.getBytes(StandardCharsets.UTF_8), "p.json");
    }

    private static String error(String json) {
        ProfileException e = assertThrows(ProfileException.class, () -> parse(json));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertEquals(125, e.exitCode());
        return e.getMessage();
    }

    /** The real profiles: Moby's default and its fixtures, and podman's default, by a short name. */
    static byte[] realProfile(String name) {
        return name.equals("podman") ? TestData.podman() : TestData.moby(name);
    }

    /**
     * Each real profile, unchanged, reads as its JSON says, rule by rule: the JSON is read again
     * here with plain Jackson and every field cordon uses is compared, so nothing is hard-coded
     * about the file's contents.
     */
    @ParameterizedTest
    @ValueSource(strings = {"default.json", "fixtures/default-old-format.json", "fixtures/example.json",
        "fixtures/conditional_include.json", "podman"})
    void realProfilesReadAsWritten(String name) throws Exception {
        byte[] json = realProfile(name);
        Profile p = ProfileParser.parse(json, name);
        JsonNode root = new ObjectMapper().readTree(json);
        assertEquals(expectedAction(root.get("defaultAction").asText(), root.get("defaultErrnoRet")),
                p.defaultAction());
        assertEquals(root.path("architectures").size(), p.architectures().size(), "architectures");
        assertEquals(root.path("archMap").size(), p.archMap().size(), "archMap");
        for (int i = 0; i < p.archMap().size(); i++) {
            JsonNode e = root.get("archMap").get(i);
            assertEquals(e.get("architecture").asText(), p.archMap().get(i).architecture());
            assertEquals(texts(e.get("subArchitectures")), p.archMap().get(i).subArchitectures());
        }
        JsonNode calls = root.get("syscalls");
        assertEquals(calls.size(), p.rules().size(), "rules");
        assertFalse(p.rules().isEmpty());
        for (int i = 0; i < calls.size(); i++) {
            JsonNode c = calls.get(i);
            Profile.Rule r = p.rules().get(i);
            String at = name + " syscalls[" + i + "]";
            assertEquals("syscalls[" + i + "]", r.path());
            List<String> names = c.hasNonNull("names") ? texts(c.get("names")) : List.of(c.get("name").asText());
            assertEquals(names, r.names(), at);
            assertEquals(expectedAction(c.get("action").asText(), c.get("errnoRet")), r.action(), at);
            JsonNode args = c.path("args");
            assertEquals(args.size(), r.args().size(), at + " args");
            for (int j = 0; j < args.size(); j++) {
                JsonNode a = args.get(j);
                Profile.Arg arg = r.args().get(j);
                assertEquals(a.get("index").asInt(), arg.index(), at);
                assertEquals(a.get("op").asText(), arg.op().scmpName, at);
                assertEquals(a.get("value").bigIntegerValue().longValue(), arg.value(), at);
                assertEquals(a.path("valueTwo").bigIntegerValue().longValue(), arg.valueTwo(), at);
            }
            for (String side : List.of("includes", "excludes")) {
                Optional<Profile.Filter> f = side.equals("includes") ? r.includes() : r.excludes();
                JsonNode want = c.path(side);
                assertEquals(texts(want.get("caps")), f.map(Profile.Filter::caps).orElse(List.of()), at + " " + side);
                assertEquals(texts(want.get("arches")), f.map(Profile.Filter::arches).orElse(List.of()),
                        at + " " + side);
                assertEquals(want.hasNonNull("minKernel") ? want.get("minKernel").asText() : "",
                        f.flatMap(Profile.Filter::minKernel).map(k -> k[0] + "." + k[1]).orElse(""), at + " " + side);
            }
        }
    }

    /** The action a JSON action and errnoRet stand for, EPERM when no value is given (runc's default). */
    private static Action expectedAction(String scmp, JsonNode errnoRet) {
        Action.Kind kind = scmp.equals("SCMP_ACT_KILL") ? Action.Kind.KILL_THREAD
                : Arrays.stream(Action.Kind.values()).filter(k -> k.scmpName.equals(scmp)).findFirst().orElseThrow();
        if (!kind.takesData()) {
            return new Action(kind, 0);
        }
        return new Action(kind, errnoRet == null || errnoRet.isNull() ? Action.EPERM : errnoRet.asInt());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    @Test
    void dockersDefaultProfileKeepsItsCapabilityAndKernelConditions() {
        Profile p = ProfileParser.parse(TestData.moby("default.json"), "docker");
        assertEquals(Action.errno(1), p.defaultAction(), "no defaultErrnoRet in this profile: EPERM, as in runc");
        assertEquals(List.of("SCMP_ARCH_X86", "SCMP_ARCH_X32"), p.archMap().stream()
                .filter(e -> e.architecture().equals("SCMP_ARCH_X86_64")).findFirst().orElseThrow()
                .subArchitectures());
        Profile.Rule clone = p.rules().stream().filter(r -> r.names().equals(List.of("clone"))
                && r.excludes().isPresent() && r.excludes().get().arches().contains("s390x")).findFirst().orElseThrow();
        assertEquals(List.of(new Profile.Arg(0, Profile.ArgOp.MASKED_EQ, 2114060288L, 0)), clone.args(),
                "clone without CLONE_NEW* flags");
        assertEquals(List.of("CAP_SYS_ADMIN"), clone.excludes().orElseThrow().caps());
        assertTrue(p.rules().stream().anyMatch(r -> r.names().equals(List.of("clone3"))
                && r.action().equals(Action.errno(Action.ENOSYS))), "clone3 gets ENOSYS so libc falls back to clone");
        assertTrue(p.rules().stream().anyMatch(r -> r.names().equals(List.of("ptrace"))
                && Arrays.equals(new int[] {4, 8}, r.includes().orElseThrow().minKernel().orElseThrow())));
    }

    @Test
    void podmansProfileNamesItsErrnos() {
        Profile p = ProfileParser.parse(TestData.podman(), "podman");
        assertEquals(Action.errno(Action.ENOSYS), p.defaultAction(), "defaultErrno ENOSYS, defaultErrnoRet 38");
        Profile.Rule audit = p.rules().stream().filter(r -> r.names().equals(List.of("socket"))
                && r.action().kind() == Action.Kind.ERRNO).findFirst().orElseThrow();
        assertEquals(Action.errno(22), audit.action(), "errno EINVAL: AF_NETLINK, NETLINK_AUDIT");
        assertEquals(List.of(new Profile.Arg(0, Profile.ArgOp.EQ, 16, 0), new Profile.Arg(2, Profile.ArgOp.EQ, 9, 0)),
                audit.args());
        assertTrue(p.rules().stream().flatMap(r -> r.args().stream()).anyMatch(a -> a.op() == Profile.ArgOp.NE));
    }

    @Test
    void mobysExampleFixtureUsesTheOldNameField() {
        Profile p = ProfileParser.parse(TestData.moby("fixtures/example.json"), "x");
        assertEquals(List.of(List.of("clone"), List.of("open"), List.of("close")),
                p.rules().stream().map(Profile.Rule::names).toList());
        assertTrue(p.rules().stream().allMatch(r -> r.action().equals(Action.ALLOW)));
    }

    @Test
    void errnoNamesAsPodmanWritesThem() {
        assertEquals(Action.errno(22), parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                + "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EINVAL\"}]}").rules().get(0).action());
        assertEquals(Action.errno(11), parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                + "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EWOULDBLOCK\"}]}").rules().get(0).action(),
                "an alias, as the kernel header defines it");
        assertEquals(new Action(Action.Kind.TRACE, 7), parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                + "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_TRACE\",\"errno\":\"7\"}]}").rules().get(0).action(),
                "a number in a string");
        assertEquals(Action.errno(38), parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"ENOSYS\"}")
                .defaultAction());
        assertEquals(Action.errno(1), parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"\"}")
                .defaultAction(), "empty: not given");
        assertEquals("p.json: defaultErrno: \"EPERM\" is 1 but defaultErrnoRet says 38: give one of them, or make"
                + " them agree", error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                + "\"defaultErrno\":\"EPERM\"}"));
        assertEquals("p.json: syscalls[0].errno: unknown errno \"EWHATEVER\" (expected a name such as EPERM or"
                + " ENOSYS, or a number)", error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                + "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EWHATEVER\"}]}"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ALLOW\",\"errno\":\"EPERM\"}]}").startsWith("p.json: syscalls[0].errno: only"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ERRNO\",\"errno\":5}]}").startsWith("p.json: syscalls[0].errno: expected a string"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ERRNO\",\"errno\":\"70000\"}]}").startsWith("p.json: syscalls[0].errno: 70000 is out"));
        assertEquals(133, ProfileParser.errnos().get("EHWPOISON"), "the whole generated table is there");
    }

    @Test
    void anOciConfigYieldsItsLinuxSeccomp() {
        Profile p = parse("{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                + "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                + "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5}]}}}");
        assertEquals(Action.ALLOW, p.defaultAction());
        assertEquals(2, p.flags());
        assertEquals(Action.errno(5), p.rules().get(0).action());
        assertTrue(error("{\"ociVersion\":\"1.0.2\",\"linux\":{}}").contains("linux.seccomp: missing"));
        assertTrue(error("{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}")
                .startsWith("p.json: linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\""));
    }

    @Test
    void errorsNameTheField() {
        assertTrue(error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [").startsWith(
                "p.json: not valid JSON at line 1 column "), error("{\"defaultAction\": [}"));
        assertEquals("p.json: syscalls[1].action: unknown action \"SCMP_ACT_EXPLODE\" (expected one of SCMP_ACT_ALLOW,"
                + " SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP,"
                + " SCMP_ACT_TRACE, SCMP_ACT_LOG)",
                error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                        + "\"SCMP_ACT_ALLOW\"},{\"names\":[\"write\"],\"action\":\"SCMP_ACT_EXPLODE\"}]}"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_LIKE\"}]}]}")
                .startsWith("p.json: syscalls[0].args[0].op: unknown comparison \"SCMP_CMP_LIKE\""));
        assertEquals("p.json: syscalls[0].args[1].index: 6 is out of range: a syscall has arguments 0..5",
                error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                        + "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
                        + "{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_VAX\"]}")
                .startsWith("p.json: architectures[0]: unknown architecture \"SCMP_ARCH_VAX\""));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"vax\"]}}]}")
                .startsWith("p.json: syscalls[0].includes.arches[0]: unknown architecture \"vax\""));
        assertEquals("p.json: defaultAction: missing", error("{}"));
        assertEquals("p.json: syscalls[0].action: missing", error("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                + "\"syscalls\":[{\"names\":[\"read\"]}]}"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":-1,\"op\":\"SCMP_CMP_EQ\"}]}]}")
                .startsWith("p.json: syscalls[0].args[0].value: -1 is out of range"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":\"0\",\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}")
                .startsWith("p.json: syscalls[0].args[0].index: expected an unsigned integer, got a string"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"name\":\"read\",\"names\":"
                + "[\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}").startsWith("p.json: syscalls[0].names: both"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ALLOW\",\"errnoRet\":3}]}").startsWith("p.json: syscalls[0].errnoRet: only"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}")
                .startsWith("p.json: defaultErrnoRet: 70000 is out of range"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}").contains("not supported"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"flags\":[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}")
                .startsWith("p.json: flags[0]: unsupported flag"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                + "\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"four\"}}]}")
                .startsWith("p.json: syscalls[0].includes.minKernel:"));
        assertTrue(error("[1,2]").startsWith("p.json: (top level): expected a JSON object"));
        assertTrue(error("").startsWith("p.json: empty file"));
        assertTrue(error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                + "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}").startsWith("p.json: archMap: both"));
    }

    @Test
    void oldFormatNameAndLargeValuesAreAccepted() {
        Profile p = parse("{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":[{\"name\":\"read\",\"action\":"
                + "\"SCMP_ACT_TRACE\",\"errnoRet\":9,\"args\":[{\"index\":5,\"value\":18446744073709551615,"
                + "\"valueTwo\":9223372036854775808,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}");
        assertEquals(new Action(Action.Kind.KILL_THREAD, 0), p.defaultAction());
        assertEquals(new Action(Action.Kind.TRACE, 9), p.rules().get(0).action());
        assertEquals(new Profile.Arg(5, Profile.ArgOp.MASKED_EQ, -1L, Long.MIN_VALUE), p.rules().get(0).args().get(0));
    }
}
