/** The command-line tool service: the same commands for the POSIX CLI and the Gogo shell. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package io.cordon.cli;
