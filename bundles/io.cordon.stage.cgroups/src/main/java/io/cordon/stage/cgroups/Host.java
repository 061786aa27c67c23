package io.cordon.stage.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Map;

/** What the stage asks of the host besides the cgroup files: its CPUs and its device nodes. */
interface Host {

    /** Online CPUs (/sys/devices/system/cpu/online). */
    BitSet onlineCpus();

    /** The device node at {@code path} (symlinks followed), or null if it is none or missing. */
    DeviceNode device(Path path);

    Host REAL = new Host() {
        @Override
        public BitSet onlineCpus() {
            try {
                BitSet cpus = CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online")).trim());
                if (cpus != null && !cpus.isEmpty()) {
                    return cpus;
                }
            } catch (IOException e) {
                // fall back to what the JVM sees
            }
            BitSet all = new BitSet();
            all.set(0, Runtime.getRuntime().availableProcessors());
            return all;
        }

        @Override
        public DeviceNode device(Path path) {
            try {
                Map<String, Object> a = Files.readAttributes(path, "unix:mode,rdev,uid,gid");
                return DeviceNode.of((Integer) a.get("mode"), (Long) a.get("rdev"), (Integer) a.get("uid"),
                        (Integer) a.get("gid"));
            } catch (IOException | UnsupportedOperationException e) {
                return null;
            }
        }
    };
}
