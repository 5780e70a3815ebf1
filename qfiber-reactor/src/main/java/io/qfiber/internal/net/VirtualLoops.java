package io.qfiber.internal.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.Carriers;
import io.qfiber.internal.fiber.NettyTransport;
import java.lang.reflect.Field;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The library's shared event loops, one per core, each driven by a virtual thread on the JDK's
 * shared scheduler ({@link VirtualLoop}): the loops that serve the sockets of fibers not carried
 * by a threaded fiber (every fiber in shared mode). A loop and the fibers it wakes then share the
 * scheduler's carriers: the loop's wake-up of a fiber, and a fiber's hand-over of a send to the
 * loop, are queue operations on the same threads instead of wake-ups of other threads, as the JDK
 * does for its own sockets (its pollers are virtual threads too).
 *
 * <p>A driver never blocks its carrier in {@code epoll_wait}. While it is parked, one platform
 * thread, the poller, watches the epoll descriptors of the parked loops (each registered once,
 * armed for one event with {@code EPOLLONESHOT} when its driver parks) and unparks the driver of a
 * loop whose descriptor becomes readable. So the poller wakes only for loops that went idle.
 *
 * <p>Needs the native epoll transport and access to the epoll descriptor of Netty's handler (a
 * private field); {@link #createIfPossible} returns null otherwise, or with
 * {@code -Dqfiber.virtualLoops=false}, and the library then uses platform event loops.
 */
final class VirtualLoops extends AbstractEventExecutorGroup implements IoEventLoopGroup {
    private static final Logger LOG = Loggers.getLogger(VirtualLoops.class);
    private static final int EPOLLONESHOT = 1 << 30;
    /** What a parked driver asks of the poller: one readable event. */
    static final EpollIoOps READABLE_ONCE = EpollIoOps.valueOf(EpollIoOps.EPOLLIN.value() | EPOLLONESHOT);
    private final VirtualLoop[] loops;
    private final List<EventExecutor> executors;
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final EventLoopGroup pollerGroup;
    private final DefaultPromise<Void> termination = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);

    private VirtualLoops(int count, Field epollFd) throws ReflectiveOperationException {
        this.pollerGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("qfiber-tcp-poller", true),
                NettyTransport.ioHandlerFactory());
        IoEventLoop poller = (IoEventLoop) pollerGroup.next();
        this.loops = new VirtualLoop[count];
        Thread[] started = new Thread[count];
        for (int i = 0; i < count; i++) {
            VirtualLoop loop = VirtualLoop.create(this, NettyTransport.transportHandlerFactory());
            IoHandler handler = loop.transportHandler();
            FileDescriptor fd = (FileDescriptor) epollFd.get(handler);
            IoRegistration registration = poller.register(new LoopWatch(fd, loop)).syncUninterruptibly().getNow();
            loop.polledBy(registration);
            // On the JDK's default scheduler whatever thread creates the group (a carried fiber's
            // virtual thread would otherwise pass its own scheduler on).
            Thread driver = Carriers.sharedBuilder().name("qfiber-tcp-loop-" + i).unstarted(loop::drive);
            loop.drivenBy(driver);
            loops[i] = loop;
            started[i] = driver;
        }
        this.executors = List.of(loops);
        for (Thread driver : started) {
            Blocking.refuseBlockingOn(driver); // it runs event-loop code, as a platform loop thread would
            driver.start();
        }
    }

    /**
     * The shared loops on virtual threads, if this JVM can have them.
     *
     * @param count how many loops
     * @return the group, or null (NIO transport, Netty's handler not accessible, or turned off)
     */
    static @Nullable VirtualLoops createIfPossible(int count) {
        if (!NettyTransport.isNative() || !Boolean.parseBoolean(System.getProperty("qfiber.virtualLoops", "true"))) {
            return null;
        }
        try {
            Field epollFd = EpollIoHandler.class.getDeclaredField("epollFd");
            epollFd.setAccessible(true);
            return new VirtualLoops(count, epollFd);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("shared event loops run on platform threads: {}", e.toString());
            return null;
        }
    }

    /** The poller's view of one loop: its epoll descriptor; readable means ready I/O or a wake-up. */
    private record LoopWatch(FileDescriptor fd, VirtualLoop loop) implements EpollIoHandle {
        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
            loop.unparkDriver();
        }

        @Override
        public void close() {
            // the loop's descriptor belongs to its handler
        }
    }

    @Override
    public IoEventLoop next() {
        return loops[Math.floorMod(nextIndex.getAndIncrement(), loops.length)];
    }

    @Override
    public ChannelFuture register(Channel channel) {
        return next().register(channel);
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        return next().register(promise);
    }

    @Override
    @Deprecated
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        return next().register(promise);
    }

    @Override
    public Future<IoRegistration> register(IoHandle handle) {
        return next().register(handle);
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return loops[0].isCompatible(handleType);
    }

    @Override
    public boolean isIoType(Class<? extends IoHandler> handlerType) {
        return handlerType.isInstance(loops[0].transportHandler());
    }

    @Override
    public Iterator<EventExecutor> iterator() {
        return executors.iterator();
    }

    // The shared loops live as long as the JVM: the group is never shut down.

    @Override
    public boolean isShuttingDown() {
        return false;
    }

    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        return termination;
    }

    @Override
    public Future<?> terminationFuture() {
        return termination;
    }

    @Override
    @Deprecated
    public void shutdown() {
        // never: see above
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return false;
    }
}
