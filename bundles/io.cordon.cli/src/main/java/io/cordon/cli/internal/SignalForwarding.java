package io.cordon.cli.internal;

import io.cordon.api.ContainerRuntime;
import io.cordon.api.CordonException;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While a foreground {@code cordon run} waits, the signals a user sends it
 * (Ctrl-C, kill) go to the container instead of stopping the JVM, as
 * {@code docker run}'s signal proxy does. The container decides whether to exit.
 */
final class SignalForwarding implements AutoCloseable {
    private static final String[] SIGNALS = {"INT", "TERM", "HUP", "QUIT", "USR1", "USR2", "WINCH"};
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    private SignalForwarding() {
    }

    static SignalForwarding install(ContainerRuntime runtime, String containerId) {
        SignalForwarding f = new SignalForwarding();
        for (String name : SIGNALS) {
            Signal s = new Signal(name);
            try {
                SignalHandler old = Signal.handle(s, sig -> forward(runtime, containerId, sig.getNumber()));
                f.signals.add(s);
                f.previous.add(old);
            } catch (IllegalArgumentException e) {
                // The JVM reserves this signal (QUIT with some options); it stays with the JVM.
            }
        }
        return f;
    }

    private static void forward(ContainerRuntime runtime, String id, int signal) {
        try {
            runtime.kill(id, signal);
        } catch (CordonException notRunningYetOrAnymore) {
            // Between launch steps there is no process to signal; the launch finishes or fails on its own.
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            Signal.handle(signals.get(i), previous.get(i));
        }
    }
}
