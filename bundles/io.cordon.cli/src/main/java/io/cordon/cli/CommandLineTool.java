package io.cordon.cli;

import java.io.PrintStream;

/**
 * Runs one cordon command line ({@code run …}, {@code ps}, {@code stages} …) and
 * returns its exit code. The POSIX entry point and the Gogo commands both call it,
 * so there is one parser for both.
 */
public interface CommandLineTool {
    int execute(String[] args, PrintStream out, PrintStream err);

    /** The same for a client of the resident runtime (see {@link ClientContext}). */
    int execute(String[] args, PrintStream out, PrintStream err, ClientContext client);
}
