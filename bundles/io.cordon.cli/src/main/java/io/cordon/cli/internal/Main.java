package io.cordon.cli.internal;

import io.cordon.cli.CommandLineTool;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

    @Activate
    public Main(@Reference(service = CommandLineTool.class) CommandLineTool tool,
            @Reference(service = Object.class, target = "(launcher.arguments=*)") Map<String, Object> launcher) {
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
        // The process's own stdout/stderr, not System.out/err: Gogo's runtime replaces those with
        // per-thread multiplexing streams, and the CLI's output must not depend on that.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        return tool.execute(args, out, err, true);
    }
}
