package io.cordon.stage.seccomp;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compiled filters by profile content: the SHA-256 of the profile's bytes plus
 * what resolution depends on (architecture, bounding capabilities, kernel
 * version). A launch with the same profile and settings reuses the program; a
 * changed file is a new key. Least recently used entries go beyond {@link #SIZE}.
 */
final class FilterCache {
    static final int SIZE = 64;

    /**
     * A compiled filter ready for the SECCOMP op. {@code startBlockers}: the syscalls the
     * launcher makes between installing the filter and exec (chdir, execve, and write and
     * exit_group to report a failure) that the profile refuses.
     */
    record Compiled(byte[] program, int flags, List<String> notes, String sha256, List<String> startBlockers) {
        int instructions() {
            return program.length / 8;
        }
    }

    private final Map<String, Compiled> entries = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
            return size() > SIZE;
        }
    };
    private long hits;
    private long misses;

    Compiled get(byte[] profile, String origin, Resolver.Context ctx) {
        String sha = sha256(profile);
        String key = sha + "|" + ctx.arch().id() + "|" + new TreeSet<>(ctx.capabilities()) + "|"
                + ctx.kernelMajor() + "." + ctx.kernelMinor();
        synchronized (this) {
            Compiled c = entries.get(key);
            if (c != null) {
                hits++;
                return c;
            }
            misses++;
        }
        Compiled c = compile(profile, origin, ctx, sha);
        synchronized (this) {
            entries.put(key, c);
        }
        return c;
    }

    static Compiled compile(byte[] profile, String origin, Resolver.Context ctx, String sha) {
        Profile p = ProfileParser.parse(profile, origin);
        Resolver.Resolved r = Resolver.resolve(p, ctx);
        byte[] prog = Compiler.compile(r, origin);
        List<String> blockers = new java.util.ArrayList<>();
        for (String name : List.of("chdir", "execve", "write", "exit_group")) {
            Action a = ctx.arch().syscall(name).map(nr -> r.evaluate(nr, new long[6])).orElse(r.defaultAction());
            if (a.kind() != Action.Kind.ALLOW && a.kind() != Action.Kind.LOG) {
                blockers.add(name);
            }
        }
        return new Compiled(prog, r.flags(), r.notes(), sha, List.copyOf(blockers));
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
