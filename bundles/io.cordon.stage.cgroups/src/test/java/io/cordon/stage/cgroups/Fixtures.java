package io.cordon.stage.cgroups;

import io.cordon.api.ContainerSpec;
import io.cordon.api.StageContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test doubles: a launch context, a host with chosen CPUs and devices, a recorder for device programs. */
final class Fixtures {
    private Fixtures() {
    }

    static ContainerSpec spec(String... settings) {
        ContainerSpec.Builder b = ContainerSpec.builder().command("true");
        for (int i = 0; i < settings.length; i += 2) {
            b.setting(settings[i], settings[i + 1]);
        }
        return b.build();
    }

    static StageContext context(ContainerSpec spec, boolean dryRun) {
        return StageContext.of(spec, Path.of("/nonexistent/state", spec.id()), dryRun);
    }

    /** Two CPUs; /dev/fuse (c 10:229, 0666), /dev/vda (b 254:0, 0660 root:disk), /dev/null. */
    static final class FakeHost implements Host {
        final Map<Path, DeviceNode> devices = new HashMap<>();
        int cpus = 2;

        FakeHost() {
            devices.put(Path.of("/dev/fuse"), new DeviceNode('c', 10, 229, 0666, 0, 0));
            devices.put(Path.of("/dev/vda"), new DeviceNode('b', 254, 0, 0660, 0, 6));
            devices.put(Path.of("/dev/null"), new DeviceNode('c', 1, 3, 0666, 0, 0));
        }

        @Override
        public BitSet onlineCpus() {
            BitSet b = new BitSet();
            b.set(0, cpus);
            return b;
        }

        @Override
        public DeviceNode device(Path path) {
            return devices.get(path);
        }
    }

    /** Remembers each device program attached, by cgroup directory. */
    static final class Programs implements ContainerCgroup.DeviceProgramAttacher {
        final List<Map.Entry<Path, byte[]>> attached = new ArrayList<>();

        @Override
        public void attach(Path cgroupDir, byte[] program) {
            attached.add(Map.entry(cgroupDir, program));
        }
    }
}
