package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code cordon inspect --kernel ID | --pid PID}: what the kernel enforces, read back from /proc. */
class KernelViewIT {
    private static boolean has(String out, String regex) {
        return Pattern.compile(regex, Pattern.MULTILINE).matcher(out).find();
    }

    @Test
    void aDefaultContainerHasItsOwnNamespacesCgroupLimitsDockerCapsAndAFilter() throws Exception {
        try (LiveShell shell = new LiveShell(Map.of())) {
            String started = shell.say("cordon:run -d --memory 64m --pids-limit 20"
                    + " --security-opt no-new-privileges -- sleep 60");
            Matcher m = Pattern.compile("\\b([0-9a-f]{12})[0-9a-f]{52}\\b").matcher(started);
            assertTrue(m.find(), "cordon:run -d printed no container id:\n" + started);
            String id = m.group(1);
            try {
                String view = "";
                // Until the child has exec'd sleep its filter and no_new_privs are not in place yet.
                for (int i = 0; i < 50 && !has(view, "^seccomp +filter"); i++) {
                    view = shell.say("cordon:inspect --kernel " + id);
                    Thread.sleep(100);
                }
                for (String ns : new String[] {"mnt", "pid", "net", "uts", "ipc", "cgroup"}) {
                    assertTrue(has(view, "^  " + ns + " +own +\\d+ +\\d+$"), ns + " is not its own:\n" + view);
                }
                assertTrue(has(view, "^  user +host "), "no user namespace by default:\n" + view);
                assertTrue(has(view, "^  bounding +00000000a80425fb  CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,"
                        + "SETGID,SETUID,SETPCAP,NET_BIND_SERVICE,NET_RAW,SYS_CHROOT,MKNOD,AUDIT_WRITE,SETFCAP$"), view);
                assertTrue(has(view, "^  memory +/cordon/" + id + "[0-9a-f]{52}$"), view);
                assertTrue(has(view, "^ +memory\\.limit_in_bytes = 67108864$"), view);
                assertTrue(has(view, "^ +pids\\.max = 20$"), view);
                assertTrue(has(view, "^no_new_privs +1$"), view);
                assertTrue(has(view, "^seccomp +filter \\(1 filter\\)$"), view);
                assertTrue(has(view, "^lsm label +none"), "no LSM labels processes on this host:\n" + view);
            } finally {
                shell.say("cordon:kill " + id);
            }
        }
    }

    @Test
    void anyHostProcessByPidSharesEveryNamespaceAndHasNoFilter() {
        long self = ProcessHandle.current().pid();
        Cordon.Result r = Cordon.run("inspect", "--pid", Long.toString(self));
        assertEquals(0, r.code(), r.err());
        assertTrue(has(r.out(), "^pid " + self + "$"), r.out());
        assertTrue(!has(r.out(), "^  \\S+ +own "), "the test JVM runs in the host's namespaces:\n" + r.out());
        assertTrue(has(r.out(), "^no_new_privs +0$"), r.out());
        assertTrue(has(r.out(), "^seccomp +disabled$"), r.out());
    }

    @Test
    void aMissingProcessOrContainerIsOneLine() {
        Cordon.Result r = Cordon.run("inspect", "--pid", "999999999");
        assertEquals(125, r.code());
        assertEquals("cordon: no process with pid 999999999 on this host (see ps -e)\n", r.err());
        r = Cordon.run("inspect", "--kernel", "abcdef");
        assertEquals(125, r.code());
        assertEquals("cordon: no running container with id abcdef (see cordon ps)\n", r.err());
        r = Cordon.run("inspect");
        assertEquals(125, r.code());
        assertEquals(1, r.err().split("\n").length, r.err());
    }
}
