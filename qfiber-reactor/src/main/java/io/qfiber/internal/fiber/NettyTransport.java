package io.qfiber.internal.fiber;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import reactor.netty.resources.LoopResources;

/**
 * Which Netty transport the library's sockets use: native epoll where Reactor Netty would use it
 * (Linux, {@code reactor.netty.native} not false), NIO elsewhere. The accepting loop, Reactor
 * Netty's default loops and the loops of threaded fibers must all agree, since a channel can only
 * be registered on a loop of its own transport.
 */
public final class NettyTransport {
    private static final boolean NATIVE = LoopResources.DEFAULT_NATIVE && Epoll.isAvailable();

    private NettyTransport() {}

    /**
     * Whether the native epoll transport is in use.
     *
     * @return true for epoll, false for NIO
     */
    public static boolean isNative() {
        return NATIVE;
    }

    /**
     * The factory of I/O handlers for event loops the library drives itself: the transport's, with
     * epoll registrations guarded ({@link EpollRegistrationGuard}).
     *
     * @return an epoll or NIO handler factory
     */
    public static IoHandlerFactory ioHandlerFactory() {
        return NATIVE ? EpollRegistrationGuard.guarding(EpollIoHandler.newFactory()) : NioIoHandler.newFactory();
    }

    /**
     * The transport's own factory of I/O handlers, for loops that wrap its handler themselves and
     * must guard its registrations with {@link EpollRegistrationGuard#guard}.
     *
     * @return an epoll or NIO handler factory
     */
    public static IoHandlerFactory transportHandlerFactory() {
        return NATIVE ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }
}
