package io.cordon.stage.selinux;

import io.cordon.api.ContainerSpec;
import io.cordon.api.SelinuxLabel;
import java.util.Optional;

/**
 * The labels a launch asks for, as the spec decided them ({@link SelinuxLabel}: {@code user}, {@code role},
 * {@code type}, {@code level} for the process label, {@code filetype} for the type of the mount label, or
 * {@code disable}), and how the parts given combine with a base label.
 */
record LabelOptions(SelinuxLabel label) {

    static final String KIND = ContainerSpec.REQ_SELINUX;
    static final LabelOptions NONE = new LabelOptions(SelinuxLabel.NOT_ASKED);

    static LabelOptions of(ContainerSpec spec) {
        return new LabelOptions(spec.selinuxLabel());
    }

    /** Whether any part of a label was given (as opposed to nothing, or {@code disable}). */
    boolean asked() {
        return label.anyPart() && !label.disabled();
    }

    boolean disabled() {
        return label.disabled();
    }

    Optional<String> filetype() {
        return label.filetype();
    }

    /**
     * The process label: the parts given over {@code base}.
     */
    SecurityContext process(SecurityContext base) {
        SecurityContext c = base;
        c = label.user().map(c::withUser).orElse(c);
        c = label.role().map(c::withRole).orElse(c);
        c = label.type().map(c::withType).orElse(c);
        return label.level().isPresent() ? c.withLevel(label.level()) : c;
    }

    /**
     * The mount label: {@code base} with the file type given, the user given (file objects carry the user of
     * their creator's label), and the level of the process label, so the container can use its own files
     * under MCS. The role of a file is always {@code base}'s ({@code object_r}).
     */
    SecurityContext mount(SecurityContext base, SecurityContext process) {
        SecurityContext c = base;
        c = label.user().map(c::withUser).orElse(c);
        c = label.filetype().map(c::withType).orElse(c);
        return c.withLevel(process.level());
    }
}
