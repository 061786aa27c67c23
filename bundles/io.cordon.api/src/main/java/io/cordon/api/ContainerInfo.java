package io.cordon.api;

import java.time.Instant;
import java.util.List;

/** A running container. */
public record ContainerInfo(String id, int pid, List<String> command, Instant created, List<String> stages) {
}
