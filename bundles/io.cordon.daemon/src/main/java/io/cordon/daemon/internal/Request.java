package io.cordon.daemon.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One command line from a client (the REQUEST frame): its argv, environment and working directory,
 * which of its stdin/stdout/stderr are terminals and the terminal's size, and its pid (it becomes the
 * launcher for {@code run}). The terminal fields and the environment travel now so that commands that
 * need them (terminals for {@code -t}) find them; this version's commands use argv, cwd and pid.
 */
record Request(int clientPid, boolean stdinTty, boolean stdoutTty, boolean stderrTty, int rows, int cols,
        String cwd, List<String> argv, Map<String, String> env) {

    static final int MAX_LIST = 65536;

    static Request decode(byte[] payload) throws ProtocolException {
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int pid = b.getInt();
            int ttys = b.getInt();
            int rows = Short.toUnsignedInt(b.getShort());
            int cols = Short.toUnsignedInt(b.getShort());
            String cwd = str(b, "cwd");
            if (!cwd.startsWith("/")) {
                throw new ProtocolException("malformed request: the working directory \"" + cwd + "\" is not absolute");
            }
            List<String> argv = list(b, "argv");
            Map<String, String> env = new LinkedHashMap<>();
            for (String kv : list(b, "env")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new ProtocolException("malformed request: environment entry without NAME=: \"" + kv + "\"");
                }
                env.putIfAbsent(kv.substring(0, eq), kv.substring(eq + 1));
            }
            if (b.hasRemaining()) {
                throw new ProtocolException("malformed request: " + b.remaining() + " bytes after the environment");
            }
            if (pid <= 0 || (ttys & ~7) != 0) {
                throw new ProtocolException("malformed request: pid " + pid + ", terminal flags " + ttys);
            }
            return new Request(pid, (ttys & 1) != 0, (ttys & 2) != 0, (ttys & 4) != 0, rows, cols, cwd,
                    List.copyOf(argv), Map.copyOf(env));
        } catch (BufferUnderflowException e) {
            throw new ProtocolException("malformed request: it ends in the middle of a field (" + payload.length
                    + " bytes)");
        }
    }

    private static List<String> list(ByteBuffer b, String what) throws ProtocolException {
        int n = b.getInt();
        if (n < 0 || n > MAX_LIST) {
            throw new ProtocolException("malformed request: " + what + " has " + Integer.toUnsignedString(n)
                    + " entries (at most " + MAX_LIST + ")");
        }
        List<String> out = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            out.add(str(b, what));
        }
        return out;
    }

    private static String str(ByteBuffer b, String what) throws ProtocolException {
        int len = b.getInt();
        if (len < 0 || len > b.remaining()) {
            throw new ProtocolException("malformed request: a string in " + what + " claims "
                    + Integer.toUnsignedString(len) + " bytes, " + b.remaining() + " are left");
        }
        ByteBuffer s = b.slice(b.position(), len);
        b.position(b.position() + len);
        for (int i = 0; i < len; i++) {
            if (s.get(i) == 0) {
                throw new ProtocolException("malformed request: a string in " + what + " contains a NUL byte");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException("malformed request: a string in " + what + " is not UTF-8");
        }
    }

    /** The encoding, for tests: the same layout the C client writes. */
    byte[] encode() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(clientPid)
                .putInt((stdinTty ? 1 : 0) | (stdoutTty ? 2 : 0) | (stderrTty ? 4 : 0)).putShort((short) rows)
                .putShort((short) cols);
        out.writeBytes(head.array());
        putStr(out, cwd);
        putInt(out, argv.size());
        argv.forEach(a -> putStr(out, a));
        putInt(out, env.size());
        env.forEach((k, v) -> putStr(out, k + "=" + v));
        return out.toByteArray();
    }

    private static void putStr(java.io.ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        putInt(out, b.length);
        out.writeBytes(b);
    }

    private static void putInt(java.io.ByteArrayOutputStream out, int v) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }
}
