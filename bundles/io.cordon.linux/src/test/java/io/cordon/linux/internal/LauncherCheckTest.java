package io.cordon.linux.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cordon.api.plan.ChildPlan;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.linux.PlanCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The C launcher's own plan validation (`cordon-launcher --check`), fed good and malformed plans. */
class LauncherCheckTest {
    static final Path LAUNCHER = Path.of("target/classes/native/cordon-launcher");

    record Outcome(int code, String stdout, String stderr) {
    }

    static Outcome check(byte[] plan) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(LAUNCHER), "launcher not built at " + LAUNCHER.toAbsolutePath());
        Process p = new ProcessBuilder(LAUNCHER.toString(), "--check").start();
        try (var in = p.getOutputStream()) {
            in.write(plan);
        } catch (IOException brokenPipe) {
            // the launcher may stop reading as soon as the header is wrong
        }
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "launcher --check hung");
        return new Outcome(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static byte[] validPlan() {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("t").add(Phase.MOUNTS, new Op.Mkdir("/x", 0755));
        b.forStage("t").add(Phase.EXEC, new Op.Exec("true", List.of("true"), List.of("PATH=/bin")));
        return PlanCodec.encode(b.build());
    }

    private static void assertRejected(byte[] plan, String expectedWords) throws Exception {
        Outcome o = check(plan);
        assertEquals(2, o.code(), "expected rejection, got " + o);
        assertTrue(o.stderr().startsWith("cordon-launcher: "), o.stderr());
        assertEquals(1, o.stderr().lines().count(), "one-line message: " + o.stderr());
        assertTrue(o.stderr().toLowerCase().contains(expectedWords), "'" + expectedWords + "' not in: " + o.stderr());
    }

    @Test
    void acceptsAValidPlan() throws Exception {
        Outcome o = check(validPlan());
        assertEquals(0, o.code(), o.toString());
        assertEquals("ok: 2 ops\n", o.stdout());
    }

    @Test
    void acceptsTheCodecsFullPlan() throws Exception {
        Outcome o = check(PlanCodec.encode(io.cordon.linux.PlanCodecTest.everyOp()));
        assertEquals(0, o.code(), o.toString());
    }

    @Test
    void rejectsTruncatedPlans() throws Exception {
        byte[] plan = validPlan();
        for (int cut : new int[] {0, 2, 11, 12, 30, plan.length - 1}) {
            Outcome o = check(Arrays.copyOf(plan, cut));
            assertEquals(2, o.code(), "cut at " + cut + ": " + o);
            assertEquals(1, o.stderr().lines().count(), o.stderr());
        }
        assertRejected(Arrays.copyOf(plan, plan.length - 1), "truncated");
    }

    @Test
    void rejectsOversizedPlans() throws Exception {
        byte[] header = Arrays.copyOf(validPlan(), 12);
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 100 << 20);
        assertRejected(header, "exceeds");
    }

    @Test
    void rejectsUnknownOpCodes() throws Exception {
        byte[] plan = validPlan();
        // body: u64 flags, u32 joins(0), u32 ops; first op code at offset 12+8+4+4.
        int opCode = 12 + 8 + 4 + 4;
        ByteBuffer.wrap(plan).order(ByteOrder.LITTLE_ENDIAN).putShort(opCode, (short) 99);
        assertRejected(plan, "unknown op code 99");
    }

    @Test
    void rejectsBadMagicAndVersion() throws Exception {
        byte[] plan = validPlan();
        plan[0] = 'X';
        assertRejected(plan, "magic");
        byte[] v = validPlan();
        v[4] = 9;
        assertRejected(v, "version");
    }

    @Test
    void rejectsAPlanThatDoesNotEndInExec() throws Exception {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("t").add(Phase.MOUNTS, new Op.Mkdir("/x", 0755));
        assertRejected(PlanCodec.encode(b.build()), "exec");
    }

    @Test
    void survivesRandomCorruption() throws Exception {
        byte[] plan = PlanCodec.encode(io.cordon.linux.PlanCodecTest.everyOp());
        Random random = new Random(42);
        for (int i = 0; i < 150; i++) {
            byte[] bad = plan.clone();
            for (int k = 0; k < 1 + random.nextInt(4); k++) {
                bad[12 + random.nextInt(bad.length - 12)] = (byte) random.nextInt(256);
            }
            Outcome o = check(bad);
            assertTrue(o.code() == 0 || o.code() == 2, "iteration " + i + " crashed or hung: " + o);
            if (o.code() == 2) {
                assertEquals(1, o.stderr().lines().count(), o.stderr());
            }
        }
    }
}
