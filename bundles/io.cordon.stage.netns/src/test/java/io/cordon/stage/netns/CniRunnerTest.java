package io.cordon.stage.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cordon.api.CordonException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libcni's list semantics with recorded plugin runs in place of the real binaries. */
class CniRunnerTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path bin;

    record Call(String command, String plugin, Map<String, String> env, JsonNode stdin) {
    }

    final List<Call> calls = new ArrayList<>();
    String failing = "";
    String failOutput = "{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no such sysctl\",\"details\":\"net.x\"}";

    final CniRunner.PluginExec recorder = (binary, env, stdin) -> {
        String plugin = binary.getFileName().toString();
        calls.add(new Call(env.get("CNI_COMMAND"), plugin, env, JSON.readTree(stdin)));
        if ((env.get("CNI_COMMAND") + " " + plugin).equals(failing)) {
            return new CniRunner.Outcome(1, failOutput.getBytes(StandardCharsets.UTF_8), "");
        }
        String result = "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.9.0." + calls.size() + "/24\"}],"
                + "\"by\":\"" + plugin + "\"}";
        return new CniRunner.Outcome(0, env.get("CNI_COMMAND").equals("ADD") ? result.getBytes() : new byte[0], "");
    };

    @BeforeEach
    void plugins() throws Exception {
        for (String p : List.of("bridge", "portmap", "tuning")) {
            Files.createFile(bin.resolve(p), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwxr-xr-x")));
        }
    }

    CniRunner runner(String conf) {
        return new CniRunner(CniConfig.parse(conf, "lab.conflist"), List.of(bin.resolve("none"), bin), "c0ffee",
                "/run/cordon/containers/c0ffee/netns", "eth0",
                Map.of("portMappings", List.of(Map.of("hostPort", 18080, "containerPort", 8080))), recorder);
    }

    @Test
    void addRunsThePluginsInOrderEachWithThePreviousResultAndTheCniEnvironment() {
        List<JsonNode> progress = new ArrayList<>();
        JsonNode result = runner(CniConfigTest.LAB).add(progress::add);
        assertEquals(List.of("bridge", "portmap", "tuning"), calls.stream().map(Call::plugin).toList());
        assertEquals("tuning", result.path("by").asText());
        assertEquals(3, progress.size());
        assertFalse(calls.get(0).stdin().has("prevResult"));
        assertEquals("bridge", calls.get(1).stdin().path("prevResult").path("by").asText());
        assertEquals("portmap", calls.get(2).stdin().path("prevResult").path("by").asText());
        Map<String, String> env = calls.get(0).env();
        assertEquals("ADD", env.get("CNI_COMMAND"));
        assertEquals("c0ffee", env.get("CNI_CONTAINERID"));
        assertEquals("/run/cordon/containers/c0ffee/netns", env.get("CNI_NETNS"));
        assertEquals("eth0", env.get("CNI_IFNAME"));
        assertEquals(bin.resolve("none") + ":" + bin, env.get("CNI_PATH"));
        assertTrue(calls.get(1).stdin().has("runtimeConfig"), "portmap declares portMappings");
    }

    @Test
    void aFailingPluginIsAOneLineErrorWithItsMessage() {
        failing = "ADD tuning";
        CniRunner r = runner(CniConfigTest.LAB);
        List<JsonNode> progress = new ArrayList<>();
        CordonException e = assertThrows(CordonException.class, () -> r.add(progress::add));
        assertEquals("network lab: CNI plugin tuning ADD failed: no such sysctl: net.x", e.getMessage());
        assertEquals(2, progress.size(), "what was made so far is known for DEL");
        failOutput = "not json";
        calls.clear();
        CordonException plain = assertThrows(CordonException.class, () -> r.add(x -> { }));
        assertTrue(plain.getMessage().endsWith("failed: not json"), plain.getMessage());
    }

    @Test
    void delRunsEveryPluginInReverseEvenAfterAFailure() {
        failing = "DEL portmap";
        List<String> errors = runner(CniConfigTest.LAB).del(null);
        assertEquals(List.of("tuning", "portmap", "bridge"), calls.stream().map(Call::plugin).toList());
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).contains("portmap DEL failed"), errors.get(0));
    }

    @Test
    void checkOnlyFromSpec040AndUnlessDisabled() throws Exception {
        JsonNode result = JSON.readTree("{\"cniVersion\":\"1.0.0\",\"ips\":[]}");
        assertTrue(runner(CniConfigTest.LAB).check(result));
        assertEquals(List.of("CHECK"), calls.stream().map(Call::command).distinct().toList());
        assertEquals(result, calls.get(0).stdin().get("prevResult"));
        calls.clear();
        assertFalse(runner(CniConfigTest.LAB.replace("\"1.0.0\"", "\"0.3.1\"")).check(result));
        assertFalse(runner(CniConfigTest.LAB.replace("\"name\": \"lab\",", "\"name\": \"lab\", \"disableCheck\": true,"))
                .check(result));
        assertTrue(calls.isEmpty());
    }

    @Test
    void aMissingPluginBinaryIsNamedWithTheSearchPath() {
        CniRunner r = runner(CniConfigTest.LAB.replace("\"tuning\"", "\"nosuch\""));
        CordonException e = assertThrows(CordonException.class, r::plugins);
        assertTrue(e.getMessage().contains("CNI plugin 'nosuch' of network lab not found in " + bin.resolve("none") + ":" + bin),
                e.getMessage());
        assertThrows(CordonException.class, () -> r.add(x -> { }));
        assertTrue(calls.isEmpty(), "nothing runs when a plugin is missing");
    }

    @Test
    void realProcessExecPassesEnvironmentAndStdinAndReportsExitCode() throws Exception {
        Path script = bin.resolve("echoer");
        Files.writeString(script, "#!/bin/sh\necho \"$CNI_COMMAND\"; cat; echo oops >&2; exit 3\n");
        script.toFile().setExecutable(true);
        CniRunner.Outcome out = CniRunner.processExec(java.time.Duration.ofSeconds(30))
                .exec(script, Map.of("CNI_COMMAND", "ADD", "PATH", CniRunner.PATH_ENV), "{}".getBytes());
        assertEquals(3, out.exitCode());
        assertEquals("ADD\n{}", new String(out.stdout(), StandardCharsets.UTF_8));
        assertEquals("oops\n", out.stderr());
    }
}
