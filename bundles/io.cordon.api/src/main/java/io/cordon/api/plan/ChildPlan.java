package io.cordon.api.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable child plan: the namespaces to create or join and the ops in phase
 * order. Within a phase, ops keep the order in which stages contributed them (the
 * orchestrator calls stages sorted by phase and {@code cordon.stage.order}).
 */
public final class ChildPlan {
    private final Map<Namespace, String> unshared;
    private final List<NamespaceJoin> joins;
    private final Map<Namespace, String> shared;
    private final List<PlanEntry> entries;
    private final List<Note> notes;

    /**
     * Something a stage wants a reader of the plan to know that no op shows, e.g. that the container runs in
     * the runtime's own LSM context because nothing labels it. For display only.
     */
    public record Note(String stage, String text) {
        public Note {
            java.util.Objects.requireNonNull(stage, "stage");
            java.util.Objects.requireNonNull(text, "text");
        }
    }

    private ChildPlan(Map<Namespace, String> unshared, List<NamespaceJoin> joins, Map<Namespace, String> shared,
            List<PlanEntry> entries, List<Note> notes) {
        this.unshared = Collections.unmodifiableMap(new EnumMap<>(unshared));
        this.joins = List.copyOf(joins);
        EnumMap<Namespace, String> kept = new EnumMap<>(Namespace.class);
        shared.forEach((ns, stage) -> {
            if (!unshared.containsKey(ns) && joins.stream().noneMatch(j -> j.namespace() == ns)) {
                kept.put(ns, stage);
            }
        });
        this.shared = Collections.unmodifiableMap(kept);
        List<PlanEntry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(PlanEntry::phase)); // stable: keeps contribution order within a phase
        this.entries = List.copyOf(sorted);
        this.notes = List.copyOf(notes);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** New namespaces and the stage that asked for each. */
    public Map<Namespace, String> unshared() {
        return unshared;
    }

    public List<NamespaceJoin> joins() {
        return joins;
    }

    /** Namespaces a stage deliberately keeps shared with the host, and that stage; for display only. */
    public Map<Namespace, String> shared() {
        return shared;
    }

    public List<PlanEntry> entries() {
        return entries;
    }

    /** The stages' notes, in contribution order. */
    public List<Note> notes() {
        return notes;
    }

    public long cloneFlags() {
        long flags = 0;
        for (Namespace ns : unshared.keySet()) {
            flags |= ns.cloneFlag();
        }
        return flags;
    }

    public Optional<Op.Exec> exec() {
        if (entries.isEmpty() || !(entries.get(entries.size() - 1).op() instanceof Op.Exec exec)) {
            return Optional.empty();
        }
        return Optional.of(exec);
    }

    /** The plan as text: namespaces, then each op in order with phase and stage, then the stages' notes. */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("namespaces:\n");
        if (unshared.isEmpty() && joins.isEmpty() && shared.isEmpty()) {
            out.append("  (none: the container shares every namespace with the host)\n");
        }
        unshared.forEach((ns, stage) -> out.append(String.format("  new %-7s by %s%n", ns.procName(), stage)));
        for (NamespaceJoin j : joins) {
            out.append(String.format("  join %-6s %s by %s%n", j.namespace().procName(), j.path(), j.stage()));
        }
        shared.forEach((ns, stage) -> out.append(String.format("  host %-6s (shared with the host) by %s%n",
                ns.procName(), stage)));
        out.append("ops:\n");
        int i = 0;
        for (PlanEntry e : entries) {
            out.append(String.format("  %3d  %-14s %-10s %s%s%s%n", i++, e.phase().name().toLowerCase(), e.stage(),
                    e.op().describe(), e.op() instanceof Op.InRoot ? "  [in-root]" : "",
                    e.optional() ? "  [optional]" : ""));
        }
        if (!notes.isEmpty()) {
            out.append("notes:\n");
            for (Note n : notes) {
                out.append(String.format("  %-10s %s%n", n.stage(), n.text()));
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return render();
    }

    /** Collects contributions; {@link #forStage} gives each stage a view that records its name. */
    public static final class Builder {
        private final Map<Namespace, String> unshared = new EnumMap<>(Namespace.class);
        private final List<NamespaceJoin> joins = new ArrayList<>();
        private final Map<Namespace, String> shared = new EnumMap<>(Namespace.class);
        private final List<PlanEntry> entries = new ArrayList<>();
        private final List<MountOption> mountOptions = new ArrayList<>();
        private final List<Note> notes = new ArrayList<>();

        private record MountOption(java.util.Set<String> fstypes, String option) {
        }

        private Builder() {
        }

        public PlanBuilder forStage(String stage) {
            return new PlanBuilder() {
                @Override
                public PlanBuilder unshare(Namespace namespace) {
                    if (joins.stream().anyMatch(j -> j.namespace() == namespace)) {
                        throw new IllegalStateException(stage + ": cannot create a " + namespace.procName()
                                + " namespace: another stage joins an existing one");
                    }
                    unshared.putIfAbsent(namespace, stage);
                    return this;
                }

                @Override
                public PlanBuilder join(Namespace namespace, String path) {
                    if (unshared.containsKey(namespace)) {
                        throw new IllegalStateException(stage + ": cannot join a " + namespace.procName()
                                + " namespace: " + unshared.get(namespace) + " creates a new one");
                    }
                    joins.add(new NamespaceJoin(namespace, path, stage));
                    return this;
                }

                @Override
                public PlanBuilder share(Namespace namespace) {
                    shared.putIfAbsent(namespace, stage);
                    return this;
                }

                @Override
                public PlanBuilder add(Phase phase, Op op) {
                    entries.add(new PlanEntry(phase, stage, op, false));
                    return this;
                }

                @Override
                public PlanBuilder addOptional(Phase phase, Op op) {
                    entries.add(new PlanEntry(phase, stage, op, true));
                    return this;
                }

                @Override
                public PlanBuilder addMountOption(java.util.Set<String> fstypes, String option) {
                    if (option.isEmpty() || option.indexOf('\0') >= 0) {
                        throw new IllegalArgumentException(stage + ": a mount option must be non-empty text");
                    }
                    mountOptions.add(new MountOption(java.util.Set.copyOf(fstypes), option));
                    return this;
                }

                @Override
                public PlanBuilder note(String text) {
                    if (text.isBlank() || text.indexOf('\n') >= 0) {
                        throw new IllegalArgumentException(stage + ": a plan note is one non-empty line");
                    }
                    notes.add(new Note(stage, text));
                    return this;
                }

                @Override
                public boolean unshares(Namespace namespace) {
                    return unshared.containsKey(namespace);
                }
            };
        }

        public ChildPlan build() {
            List<PlanEntry> withOptions = new ArrayList<>(entries.size());
            for (PlanEntry e : entries) {
                if (e.op() instanceof Op.Mount m) {
                    String data = withOptions(m.fstype(), m.data());
                    if (!data.equals(m.data())) {
                        e = new PlanEntry(e.phase(), e.stage(),
                                new Op.Mount(m.source(), m.target(), m.fstype(), m.flags(), data), e.optional());
                    }
                } else if (e.op() instanceof Op.MountInRoot m) {
                    String data = withOptions(m.fstype(), m.data());
                    if (!data.equals(m.data())) {
                        e = new PlanEntry(e.phase(), e.stage(), m.withData(data), e.optional());
                    }
                }
                withOptions.add(e);
            }
            return new ChildPlan(unshared, joins, shared, withOptions, notes);
        }

        private String withOptions(String fstype, String data) {
            for (MountOption o : mountOptions) {
                if (o.fstypes().contains(fstype)) {
                    data = data.isEmpty() ? o.option() : data + "," + o.option();
                }
            }
            return data;
        }
    }
}
