package io.qfiber.internal.fiber;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Keeps a socket that waits for nothing in its loop's epoll set, for the event loops the library
 * drives itself.
 *
 * <p>Netty's epoll registration (4.2.15 to at least 4.2.21) removes a descriptor from the epoll set
 * when the events it waits for become none, but goes on as if it were still there: the next
 * events asked for are a modification, which fails with {@code ENOENT}, and the failure closes the
 * connection. A socket waits for nothing after the peer's end of stream while nothing is being
 * written, so without this guard a send that must then wait for room in the kernel's buffer, or a
 * read turned back on after a pause, kills the connection and loses the bytes still in flight.
 * This guard asks for {@code EPOLLET} alone instead of none: the descriptor stays in the set with
 * no events (errors and hang-ups, which epoll always reports, come once per change, edge-triggered,
 * so they cannot keep waking the loop), and the next events asked for are a modification that
 * works.
 */
public final class EpollRegistrationGuard implements IoRegistration {
    private static final int NONE = EpollIoOps.NONE.value();

    private final IoRegistration delegate;

    private EpollRegistrationGuard(IoRegistration delegate) {
        this.delegate = delegate;
    }

    /**
     * Guards a registration of the epoll transport; returns others as they are.
     *
     * @param registration what a handler's {@code register} returned
     * @return the guarded registration
     */
    public static IoRegistration guard(IoRegistration registration) {
        return NettyTransport.isNative() ? new EpollRegistrationGuard(registration) : registration;
    }

    /**
     * A factory of handlers whose registrations are guarded.
     *
     * @param transport the transport's factory
     * @return the guarding factory
     */
    static IoHandlerFactory guarding(IoHandlerFactory transport) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new GuardingHandler(transport.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return transport.isChangingThreadSupported();
            }
        };
    }

    @Override
    public <T> T attachment() {
        return delegate.attachment();
    }

    @Override
    public long submit(IoOps ops) {
        if (ops instanceof EpollIoOps epoll && epoll.value() == NONE) {
            return delegate.submit(EpollIoOps.EPOLLET);
        }
        return delegate.submit(ops);
    }

    @Override
    public boolean isValid() {
        return delegate.isValid();
    }

    @Override
    public boolean cancel() {
        return delegate.cancel();
    }

    /** The transport's handler, with guarded registrations. */
    private static final class GuardingHandler implements IoHandler {
        private final IoHandler delegate;

        GuardingHandler(IoHandler delegate) {
            this.delegate = delegate;
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
            return guard(delegate.register(handle));
        }

        @Override
        public void wakeup() {
            delegate.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return delegate.isCompatible(handleType);
        }
    }
}
