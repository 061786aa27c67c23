package io.cordon.api;

import java.nio.file.Path;

/** What a stage knows about the launch it takes part in. */
public interface StageContext {

    /** 64 hex digits. */
    String containerId();

    /** First 12 hex digits of the id, as Docker shows it. */
    default String shortId() {
        return containerId().substring(0, 12);
    }

    ContainerSpec spec();

    /**
     * The container's private host directory ({@code /run/cordon/containers/ID}); it exists from the first
     * prepare until the last release, and never in a dry run.
     */
    Path stateDirectory();

    /** The hostname the container gets: {@code --hostname}, or the short id. */
    default String hostname() {
        return spec().hostname().orElse(shortId());
    }

    /** True for {@code --dry-run}/{@code cordon:explain}: compute the plan but create nothing on the host. */
    boolean dryRun();

    /**
     * Another container running on this host (full id or unique prefix), launched by this or another
     * cordon process, e.g. for a stage that joins one of its namespaces ({@code --network container:ID}).
     * The launch asking is never among the candidates.
     *
     * @throws CordonException if no running container or more than one matches
     */
    default ContainerInfo runningContainer(String idOrPrefix) {
        throw new CordonException("this runtime cannot look up other containers (" + idOrPrefix + ")");
    }

    /**
     * A plain context for running a stage outside the orchestrator (unit tests, tools): the given spec, state
     * directory and dry-run flag, and no other containers to look up.
     */
    static StageContext of(ContainerSpec spec, Path stateDirectory, boolean dryRun) {
        java.util.Objects.requireNonNull(spec, "spec");
        java.util.Objects.requireNonNull(stateDirectory, "stateDirectory");
        return new StageContext() {
            @Override
            public String containerId() {
                return spec.id();
            }

            @Override
            public ContainerSpec spec() {
                return spec;
            }

            @Override
            public Path stateDirectory() {
                return stateDirectory;
            }

            @Override
            public boolean dryRun() {
                return dryRun;
            }
        };
    }
}
