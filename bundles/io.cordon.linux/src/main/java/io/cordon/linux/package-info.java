/**
 * The only place cordon touches native code: the launcher service, the plan wire
 * codec and kernel probes.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package io.cordon.linux;
