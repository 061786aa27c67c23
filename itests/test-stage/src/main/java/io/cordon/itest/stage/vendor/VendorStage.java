package io.cordon.itest.stage.vendor;

import io.cordon.api.Availability;
import io.cordon.api.ChildProcess;
import io.cordon.api.ContainerSpec;
import io.cordon.api.IsolationStage;
import io.cordon.api.StageContext;
import io.cordon.api.StageRun;
import io.cordon.api.plan.Op;
import io.cordon.api.plan.Phase;
import io.cordon.api.plan.PlanBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * A third-party stage as a vendor would ship it: built against io.cordon.api only.
 *
 * <ul>
 * <li>{@code --opt vendor.marker=V}: writes {@code V\n} to {@code /etc/vendor-marker} inside the
 * container (phase system, so after pivot_root).</li>
 * <li>{@code --opt vendor.fail=prepare|contribute|attach}: throws in that step, to test that the
 * orchestrator fails closed and releases every stage it prepared.</li>
 * </ul>
 * In prepare it leaves {@value #PREPARED_MARKER} in the container's state directory; release removes it.
 */
@Component(property = IsolationStage.ORDER + ":Integer=100")
public class VendorStage implements IsolationStage {
    public static final String NAME = "vendor";
    public static final String OPT_MARKER = "vendor.marker";
    public static final String OPT_FAIL = "vendor.fail";
    public static final String MARKER_FILE = "/etc/vendor-marker";
    public static final String PREPARED_MARKER = "vendor-prepared";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Phase phase() {
        return Phase.SYSTEM;
    }

    @Override
    public Set<String> handles() {
        return Set.of(ContainerSpec.REQ_OPTION_PREFIX + OPT_MARKER, ContainerSpec.REQ_OPTION_PREFIX + OPT_FAIL);
    }

    @Override
    public Availability probe() {
        return Availability.available("test vendor stage");
    }

    @Override
    public StageRun open(StageContext context) {
        return new Run(context);
    }

    /** One launch: everything per launch lives here, never in the stage. */
    static final class Run implements StageRun {
        private final StageContext context;
        private final String failIn;
        private final String marker;

        Run(StageContext context) {
            this.context = context;
            this.failIn = context.spec().options().get(OPT_FAIL);
            this.marker = context.spec().options().get(OPT_MARKER);
        }

        private void failIfAsked(String step) {
            if (step.equals(failIn)) {
                // Deliberately names neither the stage nor the step: the orchestrator's error must.
                throw new IllegalStateException("failing on purpose, as the launch's options ask");
            }
        }

        private Path preparedMarker() {
            return context.stateDirectory().resolve(PREPARED_MARKER);
        }

        @Override
        public void prepare() throws IOException {
            failIfAsked("prepare");
            if (!context.dryRun()) {
                Files.writeString(preparedMarker(), context.containerId() + "\n");
            }
        }

        @Override
        public void contribute(PlanBuilder plan) {
            failIfAsked("contribute");
            if (marker != null) {
                // A path in the container: resolved in its root by the launcher, as every stage should name one.
                plan.add(Phase.SYSTEM, Op.WriteFileInRoot.create(MARKER_FILE, 0644, marker + "\n"));
            }
        }

        @Override
        public void attach(ChildProcess child) {
            failIfAsked("attach");
        }

        @Override
        public void release() throws IOException {
            if (!context.dryRun()) {
                Files.deleteIfExists(preparedMarker());
            }
        }
    }
}
