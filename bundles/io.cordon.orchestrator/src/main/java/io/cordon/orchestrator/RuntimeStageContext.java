package io.cordon.orchestrator;

import io.cordon.api.ContainerInfo;
import io.cordon.api.ContainerSpec;
import io.cordon.api.StageContext;
import java.nio.file.Path;
import java.util.function.BiFunction;

/** The per-launch context stages see. {@code lookup} finds another running container: (asking id, prefix). */
record RuntimeStageContext(String containerId, ContainerSpec spec, Path stateDirectory, boolean dryRun,
        BiFunction<String, String, ContainerInfo> lookup) implements StageContext {

    @Override
    public ContainerInfo runningContainer(String idOrPrefix) {
        return lookup.apply(containerId, idOrPrefix);
    }
}
