package io.cordon.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The op table exists three times: OP_TABLE in the launcher's plan.h (its decoder reads the fields from it),
 * PlanCodec.formats() in Java (the fields are the Op records' components) and the op table of
 * docs/launcher-protocol.md. Adding or changing an op in one and not the others fails here.
 */
class LauncherOpTableTest {
    static final Path PLAN_H = Path.of("src/main/c/plan.h");
    static final Path PROTOCOL = Path.of("../../docs/launcher-protocol.md");

    /** code -> "NAME fields", the fields as the protocol's words (str, u32, ...). */
    static Map<Integer, String> fromC() throws IOException {
        Map<String, String> words = new TreeMap<>();
        for (PlanCodec.Field f : PlanCodec.Field.values()) {
            words.put(String.valueOf(f.letter), f.word);
        }
        Map<Integer, String> out = new TreeMap<>();
        Matcher m = Pattern.compile("X\\((\\d+), (\\w+), \"(\\w*)\"\\)").matcher(Files.readString(PLAN_H));
        while (m.find()) {
            List<String> fields = new ArrayList<>();
            for (char c : m.group(3).toCharArray()) {
                String w = words.get(String.valueOf(c));
                fields.add(w == null ? "?" + c : w);
            }
            assertEquals(null, out.put(Integer.parseInt(m.group(1)), m.group(2) + " " + fields), "code twice in C");
        }
        return out;
    }

    static Map<Integer, String> fromJava() {
        Map<Integer, String> out = new TreeMap<>();
        for (PlanCodec.OpFormat f : PlanCodec.formats()) {
            assertEquals(null, out.put(f.code(), f.name() + " " + f.fields().stream().map(x -> x.word).toList()),
                    "code twice in Java");
        }
        return out;
    }

    /** Rows "| code | NAME | payload | does |" of the op table; a payload field starts with its type. */
    static Map<Integer, String> fromDocument() throws IOException {
        Map<Integer, String> out = new TreeMap<>();
        Pattern row = Pattern.compile("^\\| (\\d+) \\| ([A-Z_]+) \\| (.*?) \\| .* \\|$");
        boolean inOps = false;
        for (String line : Files.readAllLines(PROTOCOL)) {
            if (line.startsWith("| code | op | payload |")) {
                inOps = true;
                continue;
            }
            if (inOps && !line.startsWith("|")) {
                break;
            }
            Matcher m = row.matcher(line);
            if (inOps && m.matches()) {
                List<String> fields = new ArrayList<>();
                if (!m.group(3).equals("(empty)")) {
                    for (String field : topLevelCommas(m.group(3))) {
                        fields.add(field.trim().split(" ")[0]);
                    }
                }
                assertEquals(null, out.put(Integer.parseInt(m.group(1)), m.group(2) + " " + fields),
                        "code twice in the document");
            }
        }
        return out;
    }

    private static List<String> topLevelCommas(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (c == ',' && depth == 0) {
                parts.add(s.substring(from, i));
                from = i + 1;
            }
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String table(Map<Integer, String> t) {
        return t.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n"));
    }

    @Test
    void javaAndTheLauncherAgreeOnEveryOp() throws IOException {
        Map<Integer, String> c = fromC();
        assertFalse(c.isEmpty(), "no OP_TABLE entries found in " + PLAN_H);
        assertEquals(table(c), table(fromJava()), "plan.h OP_TABLE (expected) vs PlanCodec.formats() (actual)");
    }

    @Test
    void theProtocolDocumentAgreesWithTheLauncher() throws IOException {
        assertEquals(table(fromC()), table(fromDocument()),
                "plan.h OP_TABLE (expected) vs the op table of " + PROTOCOL + " (actual)");
    }

    @Test
    void theLauncherKnowsEveryLetterItUses() throws IOException {
        assertFalse(table(fromC()).contains("?"), table(fromC()));
    }
}
