package io.cordon.daemon.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The wire format between the native client and the daemon, version 1 (docs/daemon-protocol.md).
 * Both sides open with a hello; then every message is a frame: u32 type, u32 length, payload, all
 * little-endian. Each frame type has its own bound on the payload, checked before it is read.
 */
final class Protocol {
    static final int MAGIC = 0x444E4443; // bytes "CDND"
    static final int VERSION = 1;
    static final int HELLO_LEN = 8;
    static final int FRAME_HEADER_LEN = 8;

    // client -> daemon
    static final int REQUEST = 1;
    static final int PING = 2;
    static final int MAX_REQUEST = 1 << 20;

    // daemon -> client
    static final int STDOUT = 1;
    static final int STDERR = 2;
    static final int EXIT = 3;
    static final int ERROR = 4;
    static final int LAUNCH = 5;
    static final int PONG = 6;
    static final int MAX_OUTPUT = 1 << 16;
    static final int MAX_ERROR = 4096;

    /** LAUNCH flags: which of the client's stdin, stdout, stderr the launcher replaces by /dev/null. */
    static final int NULL_STDIN = 1;
    static final int NULL_STDOUT = 2;
    static final int NULL_STDERR = 4;

    private Protocol() {
    }

    record Frame(int type, byte[] payload) {
    }

    static byte[] hello() {
        return ByteBuffer.allocate(HELLO_LEN).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putShort((short) VERSION)
                .putShort((short) 0).array();
    }

    /** Read and check the client's hello; a mismatch is a one-line {@link ProtocolException}. */
    static void readHello(InputStream in) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(readExactly(in, HELLO_LEN, "the hello")).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        int version = Short.toUnsignedInt(b.getShort());
        if (magic != MAGIC) {
            throw new ProtocolException(String.format("not a cordon client: the connection began with 0x%08x,"
                    + " not the hello 0x%08x", magic, MAGIC));
        }
        if (version != VERSION) {
            throw new ProtocolException("protocol version mismatch: the client speaks version " + version
                    + ", this daemon version " + VERSION + " (restart the daemon from the same cordon as the client)");
        }
    }

    /** Read one client frame of a known type within its bound; anything else is a {@link ProtocolException}. */
    static Frame readClientFrame(InputStream in) throws IOException {
        ByteBuffer h = ByteBuffer.wrap(readExactly(in, FRAME_HEADER_LEN, "a frame header"))
                .order(ByteOrder.LITTLE_ENDIAN);
        int type = h.getInt();
        long len = Integer.toUnsignedLong(h.getInt());
        long max = switch (type) {
            case REQUEST -> MAX_REQUEST;
            case PING -> 0;
            default -> throw new ProtocolException("malformed frame: unknown frame type " + Integer.toUnsignedString(type)
                    + " (expected REQUEST or PING)");
        };
        if (len > max) {
            throw new ProtocolException((type == REQUEST ? "request" : "PING frame") + " of " + len
                    + " bytes is over the bound of " + max + " bytes");
        }
        return new Frame(type, readExactly(in, (int) len, "the frame's payload"));
    }

    static byte[] readExactly(InputStream in, int n, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new EOFException("the connection ended in " + what + " (" + b.length + " of " + n + " bytes)");
        }
        return b;
    }

    static void writeFrame(OutputStream out, int type, byte[] payload, int off, int len) throws IOException {
        byte[] frame = new byte[FRAME_HEADER_LEN + len];
        ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(len).put(payload, off, len);
        out.write(frame);
        out.flush();
    }

    static void writeInt(OutputStream out, int type, int value) throws IOException {
        writeFrame(out, type, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array(), 0, 4);
    }
}
