package io.cordon.orchestrator;

import io.cordon.api.ContainerSpec;
import io.cordon.api.LaunchContext;
import java.nio.file.Path;

/** The per-launch context stages see. */
record Launch(String containerId, ContainerSpec spec, Path stateDirectory, boolean dryRun)
        implements LaunchContext {
}
