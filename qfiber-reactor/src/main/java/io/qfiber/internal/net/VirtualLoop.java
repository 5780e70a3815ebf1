package io.qfiber.internal.net;

import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * One of the library's shared event loops, driven by a virtual thread on the JDK's shared
 * scheduler rather than by a platform thread of its own (see {@link VirtualLoops}).
 *
 * <p>The driver runs the loop without ever blocking in {@code epoll_wait}: a turn polls for ready
 * I/O and runs the queued tasks ({@link #runNow(long)}), then yields, so that the fibers the turn
 * woke run on the same carrier before the next turn. When a few turns in a row find nothing to do,
 * the driver parks; it is unparked by
 * <ul>
 *   <li>a task queued from another thread ({@link ManualIoEventLoop#execute} wakes the loop's
 *       I/O handler, and this loop's handler then unparks the driver);</li>
 *   <li>ready I/O: the poller of {@link VirtualLoops} watches this loop's epoll descriptor while
 *       the driver is parked ({@link #armPoller}), and unparks the driver when it becomes
 *       readable;</li>
 *   <li>the deadline of the next scheduled task (a timed park).</li>
 * </ul>
 * A wake-up that comes while the driver runs leaves it the park permit, so its next park returns
 * at once: none is lost between the last empty turn and the park.
 */
final class VirtualLoop extends ManualIoEventLoop {
    private static final Logger LOG = Loggers.getLogger(VirtualLoop.class);
    /** How long one turn runs queued tasks at most before it polls I/O again. */
    private static final long TASK_SLICE_NANOS = 200_000;
    /** Empty turns (each after a yield) before the driver parks. */
    private static final int IDLE_TURNS = 2;

    private @Nullable WakingHandlerFactory waking;
    private volatile @Nullable Thread driver;
    private volatile @Nullable IoRegistration poller;

    private VirtualLoop(IoEventLoopGroup parent, IoHandlerFactory factory) {
        super(parent, null, factory);
    }

    /**
     * Creates a loop whose handler unparks its driver on every wake-up.
     *
     * @param parent  the group that hands the loop out
     * @param factory the transport's handler factory
     * @return the loop, not yet driven
     */
    static VirtualLoop create(IoEventLoopGroup parent, IoHandlerFactory factory) {
        WakingHandlerFactory waking = new WakingHandlerFactory(factory);
        VirtualLoop loop = new VirtualLoop(parent, waking);
        waking.loop = loop;
        loop.waking = waking;
        return loop;
    }

    /** The handler the loop's transport made (an {@code EpollIoHandler}). */
    @Nullable IoHandler transportHandler() {
        WakingHandlerFactory w = waking;
        return w == null ? null : w.made;
    }

    /**
     * Makes {@code thread} the loop's driver; call before starting it.
     *
     * @param thread the (not started) virtual thread that will run {@link #drive()}
     */
    void drivenBy(Thread thread) {
        driver = thread;
        setOwningThread(thread);
    }

    /** @param registration the poller's registration of this loop's epoll descriptor */
    void polledBy(IoRegistration registration) {
        poller = registration;
    }

    /** @return the driver thread, or null before {@link #drivenBy} */
    @Nullable Thread driver() {
        return driver;
    }

    /** Unparks the driver: it runs a turn soon. Callable from any thread. */
    void unparkDriver() {
        Thread d = driver;
        if (d != null) {
            LockSupport.unpark(d);
        }
    }

    /** The driver's body: turns of the loop, parking when idle, for as long as the JVM runs. */
    void drive() {
        int idle = 0;
        for (;;) {
            int done;
            try {
                done = runNow(TASK_SLICE_NANOS);
            } catch (Throwable t) {
                LOG.error("a turn of the shared event loop failed", t);
                done = 1;
            }
            if (done > 0) {
                idle = 0;
                Thread.yield(); // the fibers this turn woke run now, on this carrier
                continue;
            }
            if (++idle <= IDLE_TURNS) {
                Thread.yield();
                continue;
            }
            idle = 0;
            armPoller();
            long deadline = nextScheduledTaskDeadlineNanos(); // -1: none (hasScheduledTasks() means due ones)
            if (deadline == -1) {
                LockSupport.park(this);
            } else {
                long wait = deadline - ticker().nanoTime(); // scheduled deadlines are on the loop's ticker
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                }
            }
        }
    }

    /** Asks the poller to unpark the driver once this loop's epoll descriptor is readable. */
    private void armPoller() {
        IoRegistration r = poller;
        if (r != null && r.isValid()) {
            r.submit(VirtualLoops.READABLE_ONCE);
        }
    }

    /** Creates the transport's handler and wraps it so that its wake-ups unpark the driver. */
    private static final class WakingHandlerFactory implements IoHandlerFactory {
        private final IoHandlerFactory transport;
        @Nullable VirtualLoop loop;
        @Nullable IoHandler made;

        WakingHandlerFactory(IoHandlerFactory transport) {
            this.transport = transport;
        }

        @Override
        public IoHandler newHandler(io.netty.util.concurrent.ThreadAwareExecutor executor) {
            IoHandler delegate = transport.newHandler(executor);
            made = delegate;
            return new WakingHandler(delegate, this);
        }
    }

    /**
     * The transport's handler, plus: every wake-up also unparks the driver, and its registrations
     * are guarded ({@link io.qfiber.internal.fiber.EpollRegistrationGuard}).
     */
    private static final class WakingHandler implements IoHandler {
        private final IoHandler delegate;
        private final WakingHandlerFactory factory;

        WakingHandler(IoHandler delegate, WakingHandlerFactory factory) {
            this.delegate = delegate;
            this.factory = factory;
        }

        @Override
        public void initialize() {
            delegate.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            return delegate.run(context);
        }

        @Override
        public void prepareToDestroy() {
            delegate.prepareToDestroy();
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return io.qfiber.internal.fiber.EpollRegistrationGuard.guard(delegate.register(handle));
        }

        @Override
        public void wakeup() {
            delegate.wakeup();
            VirtualLoop l = factory.loop;
            if (l != null) {
                l.unparkDriver();
            }
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return delegate.isCompatible(handleType);
        }
    }
}
