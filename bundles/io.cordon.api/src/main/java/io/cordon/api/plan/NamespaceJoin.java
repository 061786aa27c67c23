package io.cordon.api.plan;

/** Join an existing namespace (setns) instead of creating one. */
public record NamespaceJoin(Namespace namespace, String path, String stage) {
}
