package io.cordon.daemon.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The daemon's reading of what a client sends: hello, frame bounds and the REQUEST layout. */
class ProtocolTest {

    private static Request sample() {
        return new Request(4242, true, false, true, 40, 120, "/home/x", List.of("run", "--", "sh", "-c", "exit 3"),
                Map.of("TERM", "xterm", "PATH", "/usr/bin:/bin"));
    }

    @Test
    void requestRoundTrips() throws IOException {
        Request r = sample();
        assertEquals(r, Request.decode(r.encode()));
    }

    @Test
    void everyTruncationOfARequestIsOneLineMalformed() {
        byte[] full = sample().encode();
        for (int n = 0; n < full.length; n++) {
            int len = n;
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> Request.decode(Arrays.copyOf(full, len)), "truncated at " + n);
            assertTrue(e.getMessage().startsWith("malformed request: "), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    @Test
    void trailingBytesRelativeCwdAndBadEnvironmentAreRefused() {
        byte[] full = sample().encode();
        assertTrue(assertThrows(ProtocolException.class, () -> Request.decode(Arrays.copyOf(full, full.length + 1)))
                .getMessage().contains("after the environment"));
        Request relative = new Request(1, false, false, false, 0, 0, "rel", List.of("ps"), Map.of());
        assertTrue(assertThrows(ProtocolException.class, () -> Request.decode(relative.encode())).getMessage()
                .contains("not absolute"));
        byte[] noEq = new Request(1, false, false, false, 0, 0, "/", List.of("ps"), Map.of("A", "b")).encode();
        noEq[noEq.length - 2] = 'x'; // "A=b" becomes "Axb"
        assertTrue(assertThrows(ProtocolException.class, () -> Request.decode(noEq)).getMessage()
                .contains("without NAME="));
    }

    @Test
    void aHugeListCountIsRefusedBeforeAnythingIsAllocated() {
        ByteBuffer b = ByteBuffer.allocate(12 + 4 + 1 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(1).putInt(0).putShort((short) 0).putShort((short) 0).putInt(1).put((byte) '/').putInt(-1);
        assertTrue(assertThrows(ProtocolException.class, () -> Request.decode(b.array())).getMessage()
                .contains("4294967295 entries"));
    }

    @Test
    void helloChecksMagicAndVersion() throws IOException {
        Protocol.readHello(new ByteArrayInputStream(Protocol.hello()));
        byte[] v2 = Protocol.hello();
        v2[4] = 2;
        ProtocolException e = assertThrows(ProtocolException.class, () -> Protocol.readHello(new ByteArrayInputStream(v2)));
        assertTrue(e.getMessage().startsWith("protocol version mismatch: the client speaks version 2"), e.getMessage());
        byte[] http = "GET / HTTP/1.1\r\n".getBytes();
        assertTrue(assertThrows(ProtocolException.class, () -> Protocol.readHello(new ByteArrayInputStream(http)))
                .getMessage().startsWith("not a cordon client"));
    }

    @Test
    void framesAreBoundedBeforeTheirPayloadIsRead() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(Protocol.REQUEST)
                .putInt(Protocol.MAX_REQUEST + 1);
        out.write(h.array());
        ProtocolException big = assertThrows(ProtocolException.class,
                () -> Protocol.readClientFrame(new ByteArrayInputStream(out.toByteArray())));
        assertEquals("request of 1048577 bytes is over the bound of 1048576 bytes", big.getMessage());
        ByteBuffer unknown = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(99).putInt(0);
        assertTrue(assertThrows(ProtocolException.class,
                () -> Protocol.readClientFrame(new ByteArrayInputStream(unknown.array()))).getMessage()
                .startsWith("malformed frame: unknown frame type 99"));
        ByteBuffer ping = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(Protocol.PING).putInt(0);
        assertEquals(Protocol.PING, Protocol.readClientFrame(new ByteArrayInputStream(ping.array())).type());
    }
}
