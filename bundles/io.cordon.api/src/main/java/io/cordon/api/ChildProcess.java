package io.cordon.api;

/** The container's first process as the host sees it, between clone and exec. */
public interface ChildProcess {
    /** The child's PID in the host's PID namespace. */
    int pid();
}
