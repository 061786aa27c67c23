package io.cordon.itest.vm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One cordon runtime in a guest: a {@code bin/cordon shell} fed a Gogo script, with bash before and after it.
 * A JVM and Felix take ~50 s to start under emulation, so a test class puts all its launches into one
 * session, each a named step whose output and {@code cordon:run} exit status come back separately.
 */
final class GuestSession {
    /** Where the runtime in the guest watches for bundles (the guest's own /tmp). */
    static final String DEPLOY = "/tmp/cordon-deploy";
    private static final Pattern MARK = Pattern.compile("(?m)^@@ (\\S+) rc=(\\S*)$");

    private final StringBuilder gogo = new StringBuilder();
    private final StringBuilder before = new StringBuilder();
    private final StringBuilder after = new StringBuilder();

    /** What one step printed, and the exit status the last cordon:run in it left. */
    record Step(String output, String exitCode) {
        int code() {
            return Integer.parseInt(exitCode);
        }
    }

    /** What the whole session printed, step by step. */
    record Transcript(String output, Map<String, Step> steps, String afterShell) {
        Step step(String name) {
            Step s = steps.get(name);
            assertTrue(s != null, "step '" + name + "' never ran; the guest printed:\n" + output);
            return s;
        }
    }

    /** Bash run in the guest before the runtime starts (load a profile, label a file ...). */
    GuestSession before(String bash) {
        before.append(bash).append('\n');
        return this;
    }

    /** Bash run in the guest after the runtime stopped (look for leftovers ...); its output is {@code afterShell}. */
    GuestSession after(String bash) {
        after.append(bash).append('\n');
        return this;
    }

    /** Gogo lines whose output ends a step named {@code name}, with the last cordon:run's exit status. */
    GuestSession step(String name, String... gogoLines) {
        for (String l : gogoLines) {
            gogo.append(l).append('\n');
        }
        gogo.append("echo \"@@ ").append(name).append(" rc=$exitcode\"\n");
        // A step without a cordon:run of its own must not show the previous step's status.
        gogo.append("exitcode = \"\"\n");
        return this;
    }

    Transcript run(GuestVm.Mode mode, Duration timeout) {
        String script = String.join("\n",
                "set -u",
                "cd " + GuestVm.HOME,
                "export CORDON_NO_BUILD=1 CORDON_DEPLOY=" + DEPLOY,
                "mkdir -p " + DEPLOY,
                before.toString(),
                "cat > /tmp/session.gosh <<'CORDON_GOSH'",
                gogo + "CORDON_GOSH",
                "bin/cordon shell < /tmp/session.gosh 2>&1 | sed -u 's/cordon> //g'",
                "echo '@@ shell-exit rc='\"${PIPESTATUS[0]}\"",
                after.toString());
        GuestVm.Result r = GuestVm.run(mode, script, timeout);
        String out = r.output();
        Map<String, Step> steps = new LinkedHashMap<>();
        Matcher m = MARK.matcher(out);
        int from = 0;
        int afterShell = out.length();
        while (m.find()) {
            steps.put(m.group(1), new Step(out.substring(from, m.start()), m.group(2)));
            from = m.end() + 1;
            if (m.group(1).equals("shell-exit")) {
                afterShell = Math.min(from, out.length());
            }
        }
        Transcript t = new Transcript(out, steps, out.substring(afterShell));
        assertTrue(steps.containsKey("shell-exit") && t.step("shell-exit").exitCode().equals("0"),
                "the runtime in the guest did not end normally (exit " + r.exitCode() + "):\n" + out);
        return t;
    }
}
