package io.cordon.daemon.internal;

import java.io.IOException;

/** The peer broke the protocol; the message is the one line both sides report. */
final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    ProtocolException(String oneLine) {
        super(oneLine);
    }
}
