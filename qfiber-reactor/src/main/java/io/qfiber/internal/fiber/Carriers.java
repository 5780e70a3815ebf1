package io.qfiber.internal.fiber;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The JDK's carrier hook, and which threading mode the library runs in.
 *
 * <p>In <em>carrier mode</em> a fiber's virtual thread is created with an {@link Executor} of the
 * library's choosing as its scheduler: the executor of a threaded fiber's thread, so that the fiber
 * runs on that thread. The JDK (21 through 25) has this as the package-private constructor
 * {@code java.lang.ThreadBuilders.VirtualThreadBuilder(Executor)}, reachable by reflection only when
 * {@code java.lang} is opened to the library ({@code --add-opens java.base/java.lang=ALL-UNNAMED}).
 * Without it, the library runs in <em>shared mode</em>: every fiber is an ordinary virtual thread
 * on the JDK's shared scheduler.
 *
 * <p>The JDK gives a virtual thread created without a scheduler the scheduler of the virtual
 * thread that creates it. So in carrier mode a fiber meant for the shared scheduler is created with
 * the JDK's default scheduler passed explicitly ({@link #sharedBuilder()}); otherwise a fiber
 * started from a carried fiber would stay on the carrier.
 *
 * <p>The mode is decided once, when this class initializes, and logged once at INFO.
 * {@code -Dqfiber.carriers=false} forces shared mode even with the flag.
 */
public final class Carriers {
    private static final Logger LOG = Loggers.getLogger(Carriers.class);
    private static final @Nullable MethodHandle BUILDER_ON_EXECUTOR;
    private static final @Nullable Executor DEFAULT_SCHEDULER;
    private static final @Nullable MethodHandle CURRENT_CARRIER;
    private static final String UNAVAILABLE_REASON;

    static {
        MethodHandle ctor = null;
        Executor defaultScheduler = null;
        MethodHandle currentCarrier = null;
        String reason = "";
        if (!Boolean.parseBoolean(System.getProperty("qfiber.carriers", "true"))) {
            reason = "disabled by -Dqfiber.carriers=false";
        } else {
            try {
                Class<?> builderClass = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
                Constructor<?> c = builderClass.getDeclaredConstructor(Executor.class);
                c.setAccessible(true);
                ctor = MethodHandles.lookup().unreflectConstructor(c)
                        .asType(java.lang.invoke.MethodType.methodType(Thread.Builder.OfVirtual.class, Executor.class));
                Field field = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
                field.setAccessible(true);
                defaultScheduler = (Executor) field.get(null);
                Method m = Thread.class.getDeclaredMethod("currentCarrierThread");
                m.setAccessible(true);
                currentCarrier = MethodHandles.lookup().unreflect(m);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // InaccessibleObjectException without the flag; NoSuchMethod/Field on a JDK without the hook
                ctor = null;
                defaultScheduler = null;
                currentCarrier = null;
                reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
        BUILDER_ON_EXECUTOR = ctor;
        DEFAULT_SCHEDULER = defaultScheduler;
        CURRENT_CARRIER = currentCarrier;
        UNAVAILABLE_REASON = reason;
        if (ctor != null) {
            LOG.info("QFiber runs in carrier mode: fibers run on the thread of the threaded fiber that "
                    + "started them, which also drives the event loop of their sockets");
        } else {
            LOG.info("QFiber runs in shared mode: every fiber runs on the JDK's shared virtual-thread scheduler "
                    + "(for carrier mode start the JVM with --add-opens java.base/java.lang=ALL-UNNAMED)");
            LOG.debug("carrier mode is unavailable: {}", reason);
        }
    }

    private Carriers() {}

    /**
     * Whether carrier mode is active.
     *
     * @return true when fibers can be placed on carriers
     */
    public static boolean enabled() {
        return BUILDER_ON_EXECUTOR != null;
    }

    /**
     * A virtual-thread builder whose threads run on {@code carrier}.
     *
     * @param carrier the executor that runs the threads' continuations, on one platform thread
     * @return the builder
     * @throws IllegalStateException in shared mode
     */
    public static Thread.Builder.OfVirtual builderOn(Executor carrier) {
        MethodHandle ctor = BUILDER_ON_EXECUTOR;
        if (ctor == null) {
            throw new IllegalStateException("carrier mode is off: " + UNAVAILABLE_REASON);
        }
        try {
            return (Thread.Builder.OfVirtual) ctor.invokeExact(carrier);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot create a virtual thread on a carrier", e);
        }
    }

    /**
     * A virtual-thread builder whose threads run on the JDK's shared scheduler, whatever thread
     * creates them.
     *
     * @return the builder
     */
    public static Thread.Builder.OfVirtual sharedBuilder() {
        Executor shared = DEFAULT_SCHEDULER;
        return shared == null ? Thread.ofVirtual() : builderOn(shared);
    }

    /**
     * The platform thread the calling code runs on: for a virtual thread its carrier now, for a
     * platform thread itself. In shared mode, null for a virtual thread.
     *
     * @return the carrier thread, or null when it cannot be known
     */
    public static @Nullable Thread currentCarrierThread() {
        Thread current = Thread.currentThread();
        if (!current.isVirtual()) {
            return current;
        }
        MethodHandle m = CURRENT_CARRIER;
        if (m == null) {
            return null;
        }
        try {
            return (Thread) m.invokeExact();
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * The executor of the JDK's shared virtual-thread scheduler, for continuations whose carrier
     * has ended. Only used in carrier mode.
     *
     * @return the JDK's default scheduler (the common pool if it cannot be reached)
     */
    static Executor sharedExecutor() {
        Executor shared = DEFAULT_SCHEDULER;
        return shared != null ? shared : ForkJoinPool.commonPool();
    }
}
