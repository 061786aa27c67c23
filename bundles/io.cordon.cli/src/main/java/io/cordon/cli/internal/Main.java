package io.cordon.cli.internal;

import io.cordon.cli.CommandLineTool;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The POSIX entry point. The bnd launcher of the executable jar registers its
 * command-line arguments as the {@code launcher.arguments} service property and
 * calls a {@code main.thread} Callable on the JVM's main thread; what it returns
 * is the process's exit code. {@code cordon shell} instead keeps the framework up
 * for the Gogo shell until it stops.
 */
@Component(service = Callable.class, property = "main.thread:Boolean=true")
public class Main implements Callable<Integer> {
    private final CordonCommandLine tool;
    private final String[] args;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final BundleContext context;

    @Activate
    public Main(BundleContext context, @Reference(service = CommandLineTool.class) CommandLineTool tool,
            @Reference(service = Object.class, target = "(launcher.arguments=*)") Map<String, Object> launcher) {
        this.context = context;
        this.tool = (CordonCommandLine) tool;
        Object a = launcher.get("launcher.arguments");
        this.args = a instanceof String[] s ? s : new String[0];
    }

    @Deactivate
    void deactivate() {
        stopped.countDown();
    }

    @Override
    public Integer call() throws InterruptedException {
        if (args.length > 0 && args[0].equals("shell")) {
            stopped.await();
            return 0;
        }
        awaitStartLevel();
        if (args.length > 0 && args[0].equals("daemon")) {
            return runMode("daemon", java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        // The process's own stdout/stderr, not System.out/err: Gogo's runtime replaces those with
        // per-thread multiplexing streams, and the CLI's output must not depend on that.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        return tool.execute(args, out, err, true, null);
    }

    /**
     * A top-level mode another bundle provides (the resident runtime's socket server is one): a Callable
     * service with {@code cordon.mode=NAME} that runs until it returns the process's exit code. This
     * bundle does not depend on it; without it the mode is refused in one line.
     */
    private int runMode(String name, String[] rest) {
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        if (rest.length > 0) {
            err.println("cordon " + name + ": takes no arguments (got " + String.join(" ", rest) + ")");
            return CordonCommandLine.EXIT_RUNTIME;
        }
        java.util.Collection<org.osgi.framework.ServiceReference<Callable>> refs;
        try {
            refs = context.getServiceReferences(Callable.class, "(cordon.mode=" + name + ")");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (refs.isEmpty()) {
            err.println("cordon " + name + ": no bundle provides this mode (is io.cordon." + name + " installed?)");
            return CordonCommandLine.EXIT_RUNTIME;
        }
        org.osgi.framework.ServiceReference<Callable> ref = refs.iterator().next();
        Callable<?> mode = context.getService(ref);
        try {
            Object code = mode.call();
            return code instanceof Integer i ? i : 0;
        } catch (Exception e) {
            err.println("cordon " + name + ": " + CordonCommandLine.oneLine(e));
            return CordonCommandLine.EXIT_RUNTIME;
        } finally {
            context.ungetService(ref);
        }
    }

    /**
     * The launcher calls this as soon as the CLI's service exists, while the framework may
     * still be starting the other bundles of the same start level: a stage bundle not yet
     * started would simply be missing from the launch (a container without the caps or
     * pidns stage, and nothing refused, since defaults are not requirements). So wait until
     * the framework has reached its beginning start level, when every bundle is started and
     * its components registered.
     */
    private void awaitStartLevel() throws InterruptedException {
        int target;
        try {
            target = Integer.parseInt(String.valueOf(context.getProperty(Constants.FRAMEWORK_BEGINNING_STARTLEVEL)));
        } catch (NumberFormatException e) {
            return;
        }
        FrameworkStartLevel fsl = context.getBundle(Constants.SYSTEM_BUNDLE_ID).adapt(FrameworkStartLevel.class);
        CountDownLatch changed = new CountDownLatch(1);
        FrameworkListener listener = event -> {
            if (event.getType() == FrameworkEvent.STARTLEVEL_CHANGED || event.getType() == FrameworkEvent.STARTED) {
                changed.countDown();
            }
        };
        context.addFrameworkListener(listener);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (fsl.getStartLevel() < target && System.nanoTime() < deadline) {
                changed.await(50, TimeUnit.MILLISECONDS);
            }
        } finally {
            context.removeFrameworkListener(listener);
        }
        awaitBundlesStarted();
        awaitDeployedBundles();
    }

    /**
     * Felix FileInstall installs the jars of the deploy folder from its own thread; a one-shot
     * run must not start before a deployed stage is there (its requirement would be refused, or
     * worse, a default it adds would be missing). Wait (at most 15 s) until every jar in the
     * folder is installed and started.
     */
    private void awaitDeployedBundles() throws InterruptedException {
        Object dir = context.getProperty("felix.fileinstall.dir");
        if (dir == null || context.getBundles().length == 0) {
            return;
        }
        java.util.List<String> jars = new java.util.ArrayList<>();
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of(dir.toString()))) {
            files.filter(f -> f.getFileName().toString().endsWith(".jar"))
                    .forEach(f -> jars.add(f.toAbsolutePath().normalize().toUri().toString()));
        } catch (java.io.IOException e) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!jars.isEmpty() && System.nanoTime() < deadline) {
            for (org.osgi.framework.Bundle b : context.getBundles()) {
                if (b.getState() == org.osgi.framework.Bundle.ACTIVE) {
                    jars.removeIf(uri -> sameFile(uri, b.getLocation()));
                }
            }
            Thread.sleep(10);
        }
        if (jars.isEmpty()) {
            awaitBundlesStarted();
        }
    }

    private static boolean sameFile(String uri, String location) {
        // FileInstall names a bundle by its file URI; tolerate "file:/x" against "file:///x".
        return location != null && location.replace("file:///", "file:/").equals(uri.replace("file:///", "file:/"));
    }

    /**
     * The bnd launcher starts the bundles one by one from its own thread, and the start level
     * can be reached before it is done; a stage whose bundle is not started yet would be missing
     * from the launch. So also wait (at most 15 s) until every bundle that is not a fragment is
     * ACTIVE, or STARTING under a lazy activation policy (it starts on first class load).
     */
    private void awaitBundlesStarted() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (org.osgi.framework.Bundle b : context.getBundles()) {
                boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
                boolean lazy = Constants.ACTIVATION_LAZY.equals(b.getHeaders().get(Constants.BUNDLE_ACTIVATIONPOLICY));
                int s = b.getState();
                if (!fragment && s != org.osgi.framework.Bundle.ACTIVE
                        && !(lazy && s == org.osgi.framework.Bundle.STARTING)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return;
            }
            Thread.sleep(5);
        }
    }
}
