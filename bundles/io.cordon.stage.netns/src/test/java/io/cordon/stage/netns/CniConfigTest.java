package io.cordon.stage.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cordon.api.CordonException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading and checking network config lists, and what each plugin gets on stdin. */
class CniConfigTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String LAB = """
            {"cniVersion": "1.0.0", "name": "lab", "plugins": [
              {"type": "bridge", "bridge": "lab0", "ipam": {"type": "host-local", "subnet": "10.99.0.0/24"}},
              {"type": "portmap", "capabilities": {"portMappings": true}},
              {"type": "tuning"}]}
            """;

    @TempDir
    Path dir;

    @Test
    void theBuiltInNetworkIsABridgeWithoutMasqueradeOnAPrivateSubnet() {
        CniConfig c = CniConfig.builtIn();
        assertEquals("cordon", c.name());
        assertEquals(List.of("bridge", "portmap", "firewall"), List.of(c.type(0), c.type(1), c.type(2)));
        JsonNode bridge = c.plugins().get(0);
        assertFalse(bridge.path("ipMasq").asBoolean(true), "no masquerade to the outside");
        assertEquals("host-local", bridge.path("ipam").path("type").asText());
        assertEquals("10.87.0.0/24", bridge.path("ipam").path("ranges").path(0).path(0).path("subnet").asText());
        assertTrue(c.hasCapability("portMappings"));
    }

    @Test
    void parsesAListAndASinglePluginConfig() {
        CniConfig c = CniConfig.parse(LAB, "lab.conflist");
        assertEquals("lab", c.name());
        assertEquals(3, c.plugins().size());
        assertTrue(c.atLeast040());
        CniConfig single = CniConfig.parse("{\"cniVersion\":\"0.3.1\",\"name\":\"one\",\"type\":\"bridge\"}", "x");
        assertEquals(1, single.plugins().size());
        assertEquals("bridge", single.type(0));
        assertFalse(single.plugins().get(0).has("name"));
        assertFalse(single.atLeast040(), "0.3.1 has no CHECK");
    }

    @Test
    void malformedListsAreOneLineErrorsNamingTheFile() {
        Map<String, String> bad = Map.of(
                "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": [", "invalid JSON",
                "[]", "expected a JSON object",
                "{\"name\": \"x\", \"plugins\": [{\"type\": \"bridge\"}]}", "\"cniVersion\"",
                "{\"cniVersion\": \"1.0.0\", \"plugins\": [{\"type\": \"bridge\"}]}", "\"name\"",
                "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": []}", "non-empty array",
                "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": [{\"type\": \"../evil\"}]}", "\"type\"",
                "{\"cniVersion\": \"1.0.0\", \"name\": \"a/b\", \"plugins\": [{\"type\": \"bridge\"}]}", "network name");
        bad.forEach((text, why) -> {
            CordonException e = assertThrows(CordonException.class, () -> CniConfig.parse(text, "/etc/x.conflist"));
            assertTrue(e.getMessage().startsWith("malformed CNI network config list /etc/x.conflist: "), e.getMessage());
            assertTrue(e.getMessage().contains(why), why + " in " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        });
    }

    @Test
    void loadsByFileNameThenByNameFieldThenTheBuiltIn() throws Exception {
        Files.writeString(dir.resolve("lab.conflist"), LAB);
        Files.writeString(dir.resolve("10-other.conflist"), LAB.replace("\"lab\"", "\"other\""));
        Files.writeString(dir.resolve("broken.conflist"), "{nope");
        assertEquals("lab", CniConfig.load("lab", dir).name());
        assertEquals(dir.resolve("10-other.conflist").toString(), CniConfig.load("other", dir).origin());
        assertTrue(CniConfig.load("cordon", dir).origin().startsWith("built-in"));
        assertTrue(CniConfig.load("cordon", dir.resolve("missing")).origin().startsWith("built-in"));
        Files.writeString(dir.resolve("cordon.conflist"), LAB.replace("\"lab\"", "\"cordon\""));
        assertEquals(dir.resolve("cordon.conflist").toString(), CniConfig.load("cordon", dir).origin(),
                "a user's cordon network replaces the built-in one");
    }

    @Test
    void unknownNetworkAndNameMismatchAreErrors() throws Exception {
        Files.writeString(dir.resolve("broken.conflist"), "{nope");
        CordonException unknown = assertThrows(CordonException.class, () -> CniConfig.load("nosuch", dir));
        assertTrue(unknown.getMessage().contains("unknown network 'nosuch'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains(dir.toString()), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("skipped malformed broken.conflist"), unknown.getMessage());
        Files.writeString(dir.resolve("lab.conflist"), LAB.replace("\"lab\"", "\"elsewhere\""));
        CordonException mismatch = assertThrows(CordonException.class, () -> CniConfig.load("lab", dir));
        assertTrue(mismatch.getMessage().contains("not 'lab'"), mismatch.getMessage());
        CordonException malformed = assertThrows(CordonException.class, () -> CniConfig.load("broken", dir));
        assertTrue(malformed.getMessage().contains("broken.conflist: invalid JSON"), malformed.getMessage());
    }

    @Test
    void eachPluginGetsNameVersionPrevResultAndOnlyTheRuntimeConfigItDeclares() throws Exception {
        CniConfig c = CniConfig.parse(LAB, "lab");
        JsonNode prev = JSON.readTree("{\"cniVersion\":\"1.0.0\",\"ips\":[]}");
        Map<String, Object> rc = Map.of("portMappings", List.of(Map.of("hostPort", 1, "containerPort", 2)));
        JsonNode bridge = JSON.readTree(c.pluginInput(0, null, rc));
        assertEquals("lab", bridge.path("name").asText());
        assertEquals("1.0.0", bridge.path("cniVersion").asText());
        assertFalse(bridge.has("prevResult"));
        assertFalse(bridge.has("runtimeConfig"), "bridge does not declare portMappings");
        JsonNode portmap = JSON.readTree(c.pluginInput(1, prev, rc));
        assertEquals(prev, portmap.get("prevResult"));
        assertEquals(2, portmap.path("runtimeConfig").path("portMappings").path(0).path("containerPort").asInt());
    }
}
