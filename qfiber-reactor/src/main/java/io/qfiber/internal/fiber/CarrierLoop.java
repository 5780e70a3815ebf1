package io.qfiber.internal.fiber;

import io.netty.channel.EventLoop;
import io.netty.channel.ManualIoEventLoop;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The Netty event loop of a threaded fiber's thread (carrier mode): driven by that thread whenever
 * its body waits in the library, and after the body ends, until its fibers and sockets are done.
 *
 * <h2>Work that fibers hand to their own loop</h2>
 * A fiber carried by this loop's thread runs on that thread, but Netty sees the fiber's virtual
 * thread, not the loop's: every Netty call it made would become a task of the loop's queue (a
 * {@code WriteTask} per write, a task per read request), each with a wake-up check. Instead, the
 * connections of such a fiber note what it asked for ({@link LoopWork}) and {@link #defer} them
 * here; one task per turn runs all of it on the loop's own thread, where Netty calls run inline.
 * Since the fiber runs on this thread too, nothing changes in when the work happens: a task the
 * fiber queued could only run after the fiber parked or yielded, as the deferred work does. It
 * happens in the order it was deferred, and before any task queued after the first deferral of the
 * turn, so a fiber's later calls that go through Netty's queue (a close, say) come after it.
 */
public final class CarrierLoop extends ManualIoEventLoop {
    private static final Logger LOG = Loggers.getLogger(CarrierLoop.class);

    /**
     * Work a carried fiber left for the loop's own thread.
     */
    public interface LoopWork {
        /** Runs the deferred work; called on the loop's thread, once per {@link #defer}. */
        void runOnLoop();
    }

    /** The thread that drives this loop. */
    final ThreadedFiberThread owner;
    // Only code running on the owner's thread touches these: the fibers it carries (one at a time,
    // and never unmounted between the two) and the loop's tasks.
    private final ArrayDeque<LoopWork> deferred = new ArrayDeque<>();
    private boolean drainQueued;
    private final Runnable drain = this::runDeferred;

    CarrierLoop(ThreadedFiberThread owner) {
        super(owner, NettyTransport.ioHandlerFactory());
        this.owner = owner;
    }

    /**
     * Counts a socket registered here, so the owner's thread lives until it closes. Call on this
     * loop.
     *
     * @param channel a channel registered on this loop
     */
    public static void countSocket(io.netty.channel.Channel channel) {
        if (channel.eventLoop() instanceof CarrierLoop loop) {
            loop.owner.socketRegistered(channel);
        }
    }

    /**
     * The loop, if the caller is a fiber carried by its thread: then it may {@link #defer} work
     * there instead of calling Netty from its virtual thread.
     *
     * @param loop a channel's event loop
     * @return the loop as a carrier loop, or null if the caller is not a virtual thread carried by it
     */
    public static @Nullable CarrierLoop ifCarryingCaller(EventLoop loop) {
        if (loop instanceof CarrierLoop carrier && Thread.currentThread().isVirtual()
                && Carriers.currentCarrierThread() == carrier.owner && !carrier.owner.isLoopDone()) {
            return carrier;
        }
        return null;
    }

    /**
     * Hands work to this loop's thread, to run after the calling fiber's turn. Call only from a
     * fiber for which {@link #ifCarryingCaller} returned this loop, without parking in between.
     *
     * @param work what to run on the loop's thread
     */
    public void defer(LoopWork work) {
        deferred.add(work);
        if (!drainQueued) {
            drainQueued = true;
            execute(drain);
        }
    }

    private void runDeferred() {
        drainQueued = false;
        for (LoopWork work = deferred.poll(); work != null; work = deferred.poll()) {
            try {
                work.runOnLoop();
            } catch (Throwable t) {
                LOG.error("work deferred to the loop of threaded fiber '" + owner.getName() + "' failed", t);
            }
        }
    }
}
