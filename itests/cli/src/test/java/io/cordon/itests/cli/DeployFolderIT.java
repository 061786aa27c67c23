package io.cordon.itests.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stage bundle dropped into the watched deploy folder of a running runtime takes part in the next launch;
 * removed from the folder, it is gone again. The runtime itself keeps running throughout.
 */
class DeployFolderIT {
    private static final Path VENDOR_JAR = Path.of(System.getProperty("cordon.vendor.stage.jar",
            "../test-stage/target/io.cordon.itest.stage.vendor-0.1.0-SNAPSHOT.jar"));
    private static final String ASK = "cordon:run --opt vendor.marker=deployed -- cat /etc/vendor-marker";
    private static final String REFUSED = "asks for 'opt:vendor.marker' but no installed stage handles it";

    @Test
    void aStageDroppedIntoTheDeployFolderJoinsTheNextLaunchAndLeavesWithIt(@TempDir Path deploy) throws Exception {
        assertTrue(Files.isRegularFile(VENDOR_JAR), "vendor stage bundle not built: " + VENDOR_JAR);
        try (LiveShell shell = new LiveShell(Map.of("CORDON_DEPLOY", deploy.toString()))) {
            shell.say("cordon:stages");
            assertTrue(shell.say(ASK).contains(REFUSED), shell.output());

            Path jar = deploy.resolve("vendor-stage.jar");
            Path tmp = Files.copy(VENDOR_JAR, deploy.resolve(".vendor-stage.jar.tmp"));
            Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE);
            awaitStages(shell, true);
            String ran = shell.say(ASK);
            assertTrue(ran.contains("deployed"), ran);
            assertFalse(ran.contains(REFUSED), ran);

            Files.delete(jar);
            awaitStages(shell, false);
            assertTrue(shell.say(ASK).contains(REFUSED), shell.output());
        }
    }

    /** FileInstall polls the folder once a second; give it 20 s. */
    private static void awaitStages(LiveShell shell, boolean vendorListed) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String stages = shell.say("cordon:stages");
            if (stages.contains("io.cordon.itest.stage.vendor") == vendorListed) {
                return;
            }
            Thread.sleep(500);
        }
        fail("the vendor stage was " + (vendorListed ? "never installed" : "never removed") + ":\n" + shell.output());
    }
}
