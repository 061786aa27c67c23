package io.cordon.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each subcommand's help says what that subcommand does and lists only options that work there. */
class HelpTextTest {
    private static final List<String> SUBCOMMANDS = List.of("run", "explain", "stages", "ps", "kill", "stats", "inspect", "bench");

    /** The help needs no runtime: picocli prints it before any command runs. */
    private static String[] execute(boolean oneShotProcess, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CordonCommandLine(null).execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), oneShotProcess, null);
        return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8)};
    }

    /** The description: the help's second line, after the usage synopsis. */
    private static String description(String help) {
        String[] lines = help.split("\n");
        for (int i = 1; i < lines.length; i++) {
            if (!lines[i].startsWith(" ")) {
                return lines[i];
            }
        }
        throw new AssertionError("no description in: " + help);
    }

    @Test
    void everySubcommandDescribesItselfDifferently() {
        Set<String> seen = new HashSet<>();
        for (String sub : SUBCOMMANDS) {
            String[] r = execute(true, sub, "--help");
            assertEquals("0", r[0], sub + " --help");
            String d = description(r[1]);
            assertTrue(seen.add(d), sub + " --help repeats another subcommand's description: " + d);
        }
        assertTrue(description(execute(true, "explain", "--help")[1]).startsWith("Show the plan"));
        assertTrue(execute(true, "explain", "--help")[1].startsWith("Usage: cordon explain "));
        assertTrue(description(execute(true, "run", "--help")[1]).startsWith("Run a command"));
    }

    @Test
    void runHelpListsNoTerminalOptionWhileTerminalsAreRefused() {
        String help = execute(true, "run", "--help")[1];
        assertFalse(help.contains("--tty"), help);
        assertFalse(help.contains("-t,"), help);
        assertTrue(help.contains("--interactive"), help);
        String[] refused = execute(true, "run", "-t", "--", "true");
        assertEquals("125", refused[0]);
        assertEquals("cordon: -t: terminals are not supported yet; use -i to pass stdin through\n", refused[2]);
    }

    @Test
    void detachIsListedOnlyWhereItWorks() {
        assertFalse(execute(true, "run", "--help")[1].contains("--detach"), "a one-shot process cannot detach");
        assertTrue(execute(false, "run", "--help")[1].contains("--detach"), "the shell's runtime stays up");
    }

    @Test
    void explainHelpListsNoOptionAboutAStartedContainer() {
        String help = execute(true, "explain", "--help")[1];
        for (String o : List.of("--detach", "--interactive", "--rm", "--dry-run", "--tty")) {
            assertFalse(help.contains(o), o + " in: " + help);
        }
        assertTrue(help.contains("--memory"), help);
    }
}
