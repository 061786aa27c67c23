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

    /** A plan of one in-root op with its path bytes replaced (same length), then EXEC. */
    private static byte[] withPath(Op op, String good, String bad) {
        assertEquals(good.length(), bad.length());
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("t").add(Phase.MOUNTS, op);
        b.forStage("t").add(Phase.EXEC, new Op.Exec("true", List.of("true"), List.of()));
        byte[] plan = PlanCodec.encode(b.build());
        byte[] g = good.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + g.length <= plan.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(plan, i, i + g.length), g)) {
                System.arraycopy(bad.getBytes(StandardCharsets.UTF_8), 0, plan, i, g.length);
                return plan;
            }
        }
        throw new AssertionError(good + " not in the plan");
    }

    @Test
    void rejectsInRootPathsThatAreNotAbsoluteAndNormalized() throws Exception {
        assertEquals(0, check(withPath(new Op.MkdirInRoot("/aa/bb/cc", 0755), "/aa/bb/cc", "/aa/bb/cc")).code());
        assertRejected(withPath(new Op.MkdirInRoot("/aa/bb/cc", 0755), "/aa/bb/cc", "/aa/../cc"), "not normalized");
        assertRejected(withPath(new Op.MkdirInRoot("/aa/bb/cc", 0755), "/aa/bb/cc", "/aa/./bbc"), "not normalized");
        assertRejected(withPath(new Op.MkdirInRoot("/aa/bb/cc", 0755), "/aa/bb/cc", "/aa//bbcc"), "not normalized");
        assertRejected(withPath(new Op.MkdirInRoot("/aa/bb/cc", 0755), "/aa/bb/cc", "/aa/bbcc/"), "not normalized");
        assertRejected(withPath(new Op.MkdirInRoot("/aa/bb/cc", 0755), "/aa/bb/cc", "aa/bb/cc/"), "not absolute");
        assertRejected(withPath(new Op.UnlinkInRoot("/a"), "/a", "//"), "not normalized");
        assertRejected(withPath(Op.MountInRoot.filesystem("tmpfs", "tmpfs", "/tmpx", 0, ""), "/tmpx", "../xx"),
                "not absolute");
        assertRejected(withPath(Op.MountInRoot.bindInRoot("/srcx", "/dst", 4096), "/srcx", "/../x"),
                "not normalized");
        // A host source is not an in-root path: the launcher does not judge it.
        assertEquals(0, check(withPath(Op.MountInRoot.bindFromHost("/srcx", "/dst", 4096), "/srcx", "s/../")).code());
    }

    /** A plan by hand: one op with this code and payload, then EXEC true. */
    private static byte[] rawPlan(int code, byte[] payload) {
        byte[] exec = le(str("true"), new byte[] {1, 0, 0, 0}, str("true"), new byte[4]);
        byte[] body = le(new byte[8], new byte[4], new byte[] {2, 0, 0, 0},
                new byte[] {(byte) code, 0, 0, 0}, u32(payload.length), payload,
                new byte[] {18, 0, 0, 0}, u32(exec.length), exec);
        return le(new byte[] {'C', 'D', 'N', 'P', 1, 0, 0, 0}, u32(body.length), body);
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return le(u32(b.length), b);
    }

    private static byte[] le(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void rejectsAnInRootOpOnTheRootWhereItNeedsAnEntry() throws Exception {
        int mkdir = PlanCodec.code(new Op.MkdirInRoot("/x", 0));
        assertEquals(0, check(rawPlan(mkdir, le(str("/x"), u32(0755)))).code(), "the hand-made plan is valid");
        assertRejected(rawPlan(mkdir, le(str("/"), u32(0755))), "names the root itself");
        int unlink = PlanCodec.code(new Op.UnlinkInRoot("/x"));
        assertRejected(rawPlan(unlink, str("/")), "names the root itself");
        int mount = PlanCodec.code(Op.MountInRoot.remount("/", 0, ""));
        assertEquals(0, check(rawPlan(mount, le(str(""), str("/"), str(""), new byte[8], str(""), u32(0), u32(0))))
                .code(), "a remount of the root itself is fine");
        int root = PlanCodec.code(new Op.Root("/r"));
        assertRejected(rawPlan(root, str("r")), "not absolute");
    }

    @Test
    void rejectsUnknownMountResolveFlags() throws Exception {
        ChildPlan.Builder b = ChildPlan.builder();
        b.forStage("t").add(Phase.MOUNTS, Op.MountInRoot.filesystem("tmpfs", "tmpfs", "/t", 0, "").requiring(7));
        b.forStage("t").add(Phase.EXEC, new Op.Exec("true", List.of("true"), List.of()));
        byte[] plan = PlanCodec.encode(b.build());
        // payload ends: u32 resolve, u32 fs_magic (7), then the EXEC op header
        int magic = -1;
        ByteBuffer bb = ByteBuffer.wrap(plan).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = plan.length - 4; i >= 0; i--) {
            if (bb.getInt(i) == 7 && bb.getInt(i - 4) == 0) {
                magic = i;
                break;
            }
        }
        assertTrue(magic > 0);
        bb.putInt(magic - 4, 8);
        assertRejected(plan, "unknown mount_in_root resolve flags 0x8");
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
