/**
 * The child plan: the namespaces a container is cloned into and the primitive,
 * policy-free ops the launcher runs in the child before exec, each placed in a
 * kernel-ordered {@link io.cordon.api.plan.Phase}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package io.cordon.api.plan;
