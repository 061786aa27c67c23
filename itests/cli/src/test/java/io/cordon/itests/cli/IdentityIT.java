package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5: root in a container is not root on the host. Capabilities (caps stage),
 * user identity (user stage), no_new_privs (nonewprivs stage) and rlimits (rlimits stage).
 *
 * <p>There is no network namespace stage yet, so a container shares the host's network
 * namespace. The NET_ADMIN checks therefore run {@code ip link add} only inside a fresh
 * network namespace made with {@code unshare -n} in the container; if unshare fails
 * (no CAP_SYS_ADMIN) the ip command never runs, so nothing can reach the host's links.
 */
class IdentityIT {
    static final String DOCKER_DEFAULT = "00000000a80425fb";
    static final String NONE = "0000000000000000";
    static final String NET_BIND_SERVICE = "0000000000000400";

    /** The Cap* lines of /proc/self/status inside a container run with {@code flags}. */
    static Map<String, String> caps(String... flags) {
        Cordon.Result r = Cordon.run(args(flags, "grep", "^Cap", "/proc/self/status"));
        assertEquals(0, r.code(), r.err());
        Map<String, String> caps = new LinkedHashMap<>();
        for (String line : r.lines()) {
            String[] kv = line.split(":\\s*", 2);
            caps.put(kv[0], kv[1].trim());
        }
        assertEquals(Set.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"), caps.keySet(), r.out());
        return caps;
    }

    static String[] args(String[] flags, String... command) {
        List<String> a = new java.util.ArrayList<>(List.of("run"));
        a.addAll(List.of(flags));
        a.add("--");
        a.addAll(List.of(command));
        return a.toArray(String[]::new);
    }

    static boolean hostHasLink(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    @Test
    void defaultIsDockersFourteenCapabilities() {
        Map<String, String> caps = caps();
        assertEquals(DOCKER_DEFAULT, caps.get("CapBnd"), caps.toString());
        assertEquals(DOCKER_DEFAULT, caps.get("CapEff"), caps.toString());
        assertEquals(DOCKER_DEFAULT, caps.get("CapPrm"), caps.toString());
        assertEquals(NONE, caps.get("CapInh"), caps.toString());
        assertEquals(NONE, caps.get("CapAmb"), caps.toString());
    }

    @Test
    void netAdminDecidesWhetherALinkCanBeAdded() {
        assertFalse(hostHasLink("d0"), "the host already has a link d0");
        // Default: no CAP_SYS_ADMIN, so not even a private network namespace; ip never runs.
        Cordon.Result deflt = Cordon.sh("unshare -n sh -c 'ip link add d0 type dummy'");
        assertNotEquals(0, deflt.code(), deflt.out());
        assertTrue(deflt.err().contains("Operation not permitted"), deflt.err());
        // A private network namespace (CAP_SYS_ADMIN) but still no CAP_NET_ADMIN: the add is refused.
        Cordon.Result noNetAdmin = Cordon.run("run", "--cap-add", "SYS_ADMIN", "--", "sh", "-c",
                "unshare -n sh -c 'ip link add d0 type dummy'");
        assertNotEquals(0, noNetAdmin.code(), noNetAdmin.out());
        assertTrue(noNetAdmin.err().contains("RTNETLINK answers: Operation not permitted"), noNetAdmin.err());
        // With --cap-add NET_ADMIN it works. This kernel may lack the dummy driver (CONFIG_DUMMY);
        // a bridge is then the link type that proves the same thing.
        Cordon.Result netAdmin = Cordon.run("run", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--", "sh",
                "-c", "unshare -n sh -c 'ip link add d0 type dummy 2>/dev/null || ip link add d0 type bridge"
                        + " && ip link show d0'");
        assertEquals(0, netAdmin.code(), netAdmin.err());
        assertTrue(netAdmin.out().contains(": d0: "), netAdmin.out());
        assertFalse(hostHasLink("d0"), "d0 must have been made in the container's own network namespace");
    }

    @Test
    void dropAllEmptiesEverySet() {
        Map<String, String> caps = caps("--cap-drop", "ALL");
        for (Map.Entry<String, String> c : caps.entrySet()) {
            assertEquals(NONE, c.getValue(), c.getKey());
        }
    }

    @Test
    void capNamesAnyCaseWithOrWithoutPrefix() {
        Map<String, String> caps = caps("--cap-drop", "all", "--cap-add", "cap_chown", "--cap-add", "Kill");
        assertEquals("0000000000000021", caps.get("CapEff"), caps.toString());
        assertEquals("0000000000000021", caps.get("CapBnd"), caps.toString());
    }

    @Test
    void numericUserHasNoCapabilities() {
        Cordon.Result r = Cordon.run("run", "--user", "1000:1000", "--", "sh", "-c",
                "id -u; id -g; id; grep -E '^Cap(Eff|Prm|Amb)' /proc/self/status");
        assertEquals(0, r.code(), r.err());
        List<String> l = r.lines();
        assertEquals("1000", l.get(0));
        assertEquals("1000", l.get(1));
        assertTrue(l.get(2).startsWith("uid=1000") && l.get(2).contains(" gid=1000"), l.get(2));
        assertEquals("CapPrm:\t" + NONE, l.get(3));
        assertEquals("CapEff:\t" + NONE, l.get(4));
        assertEquals("CapAmb:\t" + NONE, l.get(5));
    }

    @Test
    void addedCapabilityReachesANonRootUserThroughTheAmbientSet() {
        Map<String, String> caps = caps("--cap-add", "NET_BIND_SERVICE", "--user", "1000");
        assertEquals(NET_BIND_SERVICE, caps.get("CapEff"), caps.toString());
        assertEquals(NET_BIND_SERVICE, caps.get("CapAmb"), caps.toString());
        assertEquals(NET_BIND_SERVICE, caps.get("CapPrm"), caps.toString());
        assertEquals(DOCKER_DEFAULT, caps.get("CapBnd"), caps.toString());
    }

    @Test
    void nonRootUserCannotUseRootsDacOverrideForChdir() {
        Cordon.Result r = Cordon.run("run", "--user", "1000", "-w", "/root", "--", "true");
        assertEquals(125, r.code(), r.err());
        assertTrue(r.err().contains("chdir /root: Permission denied"), r.err());
    }

    @Test
    void groupAddAndTheUsersOwnGroups() {
        Cordon.Result r = Cordon.run("run", "--user", "1000:1000", "--group-add", "4242", "--group-add", "audio",
                "--", "id", "-G");
        assertEquals(0, r.code(), r.err());
        assertEquals(new TreeSet<>(List.of("1000", "4242", "29")),
                new TreeSet<>(List.of(r.out().trim().split("\\s+"))), r.out());
        Cordon.Result root = Cordon.run("run", "--", "id", "-G");
        assertEquals("0", root.out().trim(), "root has only root's groups, none of the host's: " + root.out());
    }

    @Test
    void userNamesResolveInTheContainersOwnPasswd(@TempDir Path dir) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        assertTrue(Files.isExecutable(busybox), "busybox-static is needed for --rootfs tests");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(busybox, bin.resolve("busybox"));
        for (String applet : List.of("sh", "id", "grep")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0::/:/bin/sh\ncordonapp:x:2345:2346::/:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\ncordonapp:x:2346:\ncordonextra:x:2347:cordonapp\n");
        Cordon.Result r = Cordon.run("run", "--rootfs", dir.toString(), "--user", "cordonapp", "--", "/bin/sh", "-c",
                "id -u; id -g; id -G");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("2345", "2346", "2346 2347"), r.lines());
        Cordon.Result group = Cordon.run("run", "--rootfs", dir.toString(), "--user", "cordonapp:cordonextra", "--",
                "/bin/sh", "-c", "id -g; id -G");
        assertEquals(List.of("2347", "2347"), group.lines(), group.err());
        Cordon.Result host = Cordon.run("run", "--user", "cordonapp", "--", "true");
        assertEquals(125, host.code(), "the default root has the host's passwd, without cordonapp");
    }

    @Test
    void noNewPrivileges() {
        Cordon.Result on = Cordon.run("run", "--security-opt", "no-new-privileges", "--", "grep", "NoNewPrivs",
                "/proc/self/status");
        assertEquals(0, on.code(), on.err());
        assertEquals("NoNewPrivs:\t1", on.out().trim());
        Cordon.Result off = Cordon.run("run", "--", "grep", "NoNewPrivs", "/proc/self/status");
        assertEquals("NoNewPrivs:\t0", off.out().trim(), off.err());
    }

    @Test
    void theLastNoNewPrivilegesWinsForEveryStageThatReadsIt() {
        // Turned on and then off: no_new_privs stays unset, so the seccomp filter has to go in while cordon
        // still holds CAP_SYS_ADMIN; a stage that read "any occurrence" would put it last and the kernel would
        // refuse it (EACCES, exit 125).
        Cordon.Result off = Cordon.run("run", "--security-opt", "no-new-privileges", "--security-opt",
                "no-new-privileges:false", "--", "true");
        assertEquals(0, off.code(), off.err());
        assertEquals("", off.err());
        Cordon.Result offStatus = Cordon.run("run", "--security-opt", "no-new-privileges", "--security-opt",
                "no-new-privileges:false", "--", "grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status");
        assertEquals(List.of("NoNewPrivs:\t0", "Seccomp:\t2"), offStatus.lines(), offStatus.err());
        Cordon.Result on = Cordon.run("run", "--security-opt", "no-new-privileges:false", "--security-opt",
                "no-new-privileges", "--", "grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status");
        assertEquals(0, on.code(), on.err());
        assertEquals(List.of("NoNewPrivs:\t1", "Seccomp:\t2"), on.lines(), on.err());
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
    }

    @Test
    void ulimitNofile() {
        Cordon.Result r = Cordon.run("run", "--ulimit", "nofile=100:200", "--", "sh", "-c",
                "ulimit -n; ulimit -Hn; grep 'Max open files' /proc/self/limits");
        assertEquals(0, r.code(), r.err());
        List<String> l = r.lines();
        assertEquals("100", l.get(0));
        assertEquals("200", l.get(1));
        assertTrue(l.get(2).matches("Max open files\\s+100\\s+200\\s+files\\s*"), l.get(2));
    }

    @Test
    void badInputIsOneLineAndLeavesNothing() {
        for (List<String> flags : List.of(List.of("--cap-add", "CAP_FLY"), List.of("--cap-drop", "fly"),
                List.of("--user", "nosuchuser"), List.of("--group-add", "nosuchgroup"),
                List.of("--ulimit", "nofile=x"), List.of("--ulimit", "nofile=200:100"),
                List.of("--security-opt", "no-new-privileges=maybe"))) {
            Cordon.Result r = Cordon.run(args(flags.toArray(String[]::new), "true"));
            assertEquals(125, r.code(), flags + ": " + r.err());
            assertEquals(1, r.err().lines().count(), flags + " gave: " + r.err());
            assertTrue(r.err().contains(flags.get(1)), flags + " gave: " + r.err());
            assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
        }
    }

    @Test
    void dryRunIsLoudAboutPrivileged() {
        Cordon.Result r = Cordon.run("run", "--dry-run", "--privileged", "--", "true");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("WARNING: --privileged"), r.out());
        assertTrue(r.out().matches("(?s).*capabilities\\s+caps\\s+capset bnd=.*"), r.out());
        Cordon.Result plain = Cordon.run("run", "--dry-run", "--", "true");
        assertFalse(plain.out().contains("WARNING"), plain.out());
        assertTrue(plain.out().contains("capset bnd=00000000a80425fb"), plain.out());
        assertTrue(Cordon.stateEntries().isEmpty(), "state left: " + Cordon.stateEntries());
    }
}
