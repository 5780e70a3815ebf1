package io.qfiber.internal.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.AbstractEventExecutorGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * An {@link EventLoopGroup} over Reactor Netty's shared default loops that the library hands to
 * Reactor Netty in their place, so that it can decide where a channel is registered. Its lifecycle
 * is the shared loops': it is never shut down through this object (shutdown calls only answer
 * with the shared group's state).
 */
abstract class SharedLoopGroup extends AbstractEventExecutorGroup implements EventLoopGroup {
    /** Reactor Netty's shared loops, which serve channels no carrier takes. */
    final EventLoopGroup shared;

    SharedLoopGroup(EventLoopGroup shared) {
        this.shared = shared;
    }

    @Override
    public EventLoop next() {
        return shared.next();
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        return register(promise.channel(), promise);
    }

    @Override
    @Deprecated
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        throw new UnsupportedOperationException("register(Channel) decides the loop");
    }

    @Override
    public Iterator<EventExecutor> iterator() {
        return shared.iterator();
    }

    @Override
    public boolean isShuttingDown() {
        return shared.isShuttingDown();
    }

    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        return shared.terminationFuture();
    }

    @Override
    public Future<?> terminationFuture() {
        return shared.terminationFuture();
    }

    @Override
    @Deprecated
    public void shutdown() {
        // the shared loops live as long as Reactor Netty's global resources
    }

    @Override
    public boolean isShutdown() {
        return shared.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return shared.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return shared.awaitTermination(timeout, unit);
    }
}
