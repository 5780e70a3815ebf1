package io.qfiber.internal.observe;

import java.lang.management.ManagementFactory;
import java.util.function.Function;
import java.util.function.IntSupplier;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Registers the fiber dump with the platform MBean server, once, off the caller's thread (the
 * MBean server starts slowly); {@code -Dqfiber.jmx=false} turns it off. A failure to register is
 * logged at DEBUG and otherwise ignored: the dump stays available through the API.
 */
public final class FiberDumpBean implements FiberDumpMBean {
    /** The name it is registered under. */
    public static final String OBJECT_NAME = "io.qfiber:type=FiberDump";
    private static final Logger LOG = Loggers.getLogger(FiberDumpBean.class);

    private final Function<Boolean, String> render;
    private final IntSupplier live;

    private FiberDumpBean(Function<Boolean, String> render, IntSupplier live) {
        this.render = render;
        this.live = live;
    }

    /**
     * Registers the bean in the background unless disabled or already registered.
     *
     * @param render renders the dump, with stacks or not
     * @param live   counts the live fibers
     */
    public static void registerInBackground(Function<Boolean, String> render, IntSupplier live) {
        if (!Boolean.parseBoolean(System.getProperty("qfiber.jmx", "true"))) {
            return;
        }
        Thread.ofVirtual().name("qfiber-jmx-registration").start(() -> {
            try {
                ObjectName name = new ObjectName(OBJECT_NAME);
                var server = ManagementFactory.getPlatformMBeanServer();
                if (!server.isRegistered(name)) {
                    server.registerMBean(new StandardMBean(new FiberDumpBean(render, live), FiberDumpMBean.class), name);
                }
            } catch (Exception | LinkageError e) {
                LOG.debug("the fiber dump is not registered with JMX: {}", e.toString());
            }
        });
    }

    @Override
    public String dump() {
        return render.apply(false);
    }

    @Override
    public String dumpWithStacks() {
        return render.apply(true);
    }

    @Override
    public int getLiveFibers() {
        return live.getAsInt();
    }
}
