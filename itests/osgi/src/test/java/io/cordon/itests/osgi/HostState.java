package io.cordon.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a launch may leave behind on the host, observed from outside the orchestrator: container state
 * directories, mounts in this JVM's mount namespace, child processes of this JVM (zombies included) and
 * processes still running the launcher executable.
 */
record HostState(Set<String> stateDirectories, int mountinfoLines, Map<Long, String> children,
        Map<Long, String> launcherProcesses) {

    /** The orchestrator's state root, computed the way Orchestrator does (property cordon.root). */
    static final Path CORDON_ROOT = Path.of(System.getProperty("cordon.root", "/run/cordon"));
    static final Path STATE_ROOT = CORDON_ROOT.resolve("containers");
    /** How the kernel names the launcher's executable: io.cordon.linux runs it from a memfd of this name. */
    static final String LAUNCHER_EXE = "/memfd:cordon-launcher";
    private static final long SELF = ProcessHandle.current().pid();

    static HostState now() {
        try {
            return new HostState(stateDirs(), (int) Files.readAllLines(Path.of("/proc/self/mountinfo")).size(),
                    processes(true), processes(false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fails unless the launch of {@code containerId} left nothing behind that was not there before. */
    void assertNothingLeftBy(String containerId, HostState after) {
        assertFalse("the state directory of " + containerId + " is left in " + STATE_ROOT,
                Files.exists(STATE_ROOT.resolve(containerId)));
        Set<String> newDirs = new TreeSet<>(after.stateDirectories);
        newDirs.removeAll(stateDirectories);
        assertTrue("state directories left under " + STATE_ROOT + ": " + newDirs
                + " (or another cordon ran containers on this host meanwhile)", newDirs.isEmpty());
        assertEquals("lines of /proc/self/mountinfo before and after the launch (a mount leaked to the host)",
                mountinfoLines, after.mountinfoLines);
        Map<Long, String> newChildren = new TreeMap<>(after.children);
        newChildren.keySet().removeAll(children.keySet());
        assertTrue("child processes of this JVM left by the launch (pid=state cmdline): " + newChildren,
                newChildren.isEmpty());
        Map<Long, String> newLaunchers = new TreeMap<>(after.launcherProcesses);
        newLaunchers.keySet().removeAll(launcherProcesses.keySet());
        assertTrue("processes still running the launcher (" + LAUNCHER_EXE + "): " + newLaunchers
                + " (or another cordon ran containers on this host meanwhile)", newLaunchers.isEmpty());
    }

    private static Set<String> stateDirs() throws IOException {
        Set<String> names = new TreeSet<>();
        if (!Files.isDirectory(STATE_ROOT)) {
            return names;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(STATE_ROOT)) {
            for (Path d : dirs) {
                names.add(d.getFileName().toString());
            }
        }
        return names;
    }

    /** Children of this JVM ({@code children}) or processes running the launcher. */
    private static Map<Long, String> processes(boolean children) throws IOException {
        Map<Long, String> found = new TreeMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    String state = rest[0];
                    long ppid = Long.parseLong(rest[1]);
                    String cmdline = Files.readString(p.resolve("cmdline")).replace('\0', ' ').trim();
                    if (children) {
                        if (ppid == SELF) {
                            found.put(pid, state + " " + cmdline);
                        }
                    } else if (!state.equals("Z")) {
                        Path exe;
                        try {
                            exe = Files.readSymbolicLink(p.resolve("exe"));
                        } catch (IOException unreadable) {
                            continue; // kernel thread or gone
                        }
                        if (exe.toString().startsWith(LAUNCHER_EXE)) {
                            found.put(pid, state + " " + exe + " (parent " + ppid + ")");
                        }
                    }
                } catch (IOException gone) {
                    // exited while we looked
                }
            }
        }
        return found;
    }
}
