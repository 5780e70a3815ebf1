package io.qfiber.internal.fiber;

import io.netty.channel.ManualIoEventLoop;

/**
 * The Netty event loop of a threaded fiber's thread (carrier mode): driven by that thread whenever
 * its body waits in the library, and after the body ends, until its fibers and sockets are done.
 */
public final class CarrierLoop extends ManualIoEventLoop {
    /** The thread that drives this loop. */
    final ThreadedFiberThread owner;

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
}
