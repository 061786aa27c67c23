package io.cordon.stage.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
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

    @ParameterizedTest
    @ValueSource(strings = {"moby-default.json", "moby-default-old-format.json", "moby-example.json",
        "moby-conditional_include.json"})
    void dockersProfilesParseUnchanged(String name) {
        Profile p = ProfileParser.parse(TestData.shared(name), name);
        assertFalse(p.rules().isEmpty());
        assertEquals(Action.Kind.ERRNO, p.defaultAction().kind());
    }

    @Test
    void dockersDefaultProfileReadsAsWritten() {
        Profile p = ProfileParser.parse(TestData.shared("moby-default.json"), "docker");
        assertEquals(Action.errno(1), p.defaultAction());
        assertEquals(9, p.archMap().size());
        assertEquals(List.of("SCMP_ARCH_X86", "SCMP_ARCH_X32"), p.archMap().get(0).subArchitectures());
        Profile.Rule clone = p.rules().get(18);
        assertEquals(List.of("clone"), clone.names());
        assertEquals(new Profile.Arg(0, Profile.ArgOp.MASKED_EQ, 2114060288L, 0), clone.args().get(0));
        assertEquals(List.of("CAP_SYS_ADMIN"), clone.excludes().orElseThrow().caps());
        assertEquals(Action.errno(38), p.rules().get(20).action());
        assertEquals(4, p.rules().get(1).includes().orElseThrow().minKernel().orElseThrow()[0]);
    }

    @Test
    void theMobyExampleKeepsItsLargeErrno() {
        Profile p = ProfileParser.parse(TestData.shared("moby-example.json"), "x");
        assertEquals(Action.errno(12345), p.rules().get(3).action());
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
