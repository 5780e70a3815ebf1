package io.qfiber.internal.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.AttributeKey;
import io.qfiber.internal.fiber.NettyTransport;
import io.qfiber.internal.fiber.ThreadedFiberThread;
import java.nio.channels.ClosedChannelException;
import java.util.function.Consumer;
import reactor.netty.resources.LoopResources;

/**
 * Where the library's sockets live: the {@link LoopResources} given to Reactor Netty for every
 * {@code TcpServer} and {@code TcpSocket.connect}.
 *
 * <p>A channel is registered on the event loop of the thread that uses it: in carrier mode, the
 * loop of the threaded fiber's thread that carries the calling fiber; otherwise one of the
 * library's shared loops, which with native epoll are driven by virtual threads on the JDK's
 * scheduler ({@link VirtualLoops}). A connecting fiber's channel is registered at connect. An accepted
 * channel is not registered at accept, when nobody knows yet which fiber will use it: the accept
 * group ({@link #acceptedGroup}) hands it, unregistered, to its server's intake, and it is
 * registered when a fiber first uses it ({@link SocketBinding}). So the seed's web server, whose
 * listener deals connections to receivers on other threads, gets every connection registered on
 * the loop of the receiver that handles it, with no re-registration.
 *
 * <p>A listening channel lives on the loop of the thread that calls {@code listen}, as in QFiber,
 * where the listener fiber's own scheduler polls its listening socket: in carrier mode a threaded
 * listener fiber accepts on its own thread and is woken there.
 */
public final class SocketLoops implements LoopResources {
    /** The intake of accepted, unregistered channels, set on each server channel by its TcpServer. */
    public static final AttributeKey<Consumer<SocketBinding>> INTAKE = AttributeKey.valueOf("qfiber.intake");
    private static final SocketLoops INSTANCE = new SocketLoops();

    // The library's own shared loops, one per core (Reactor Netty's global default is at least 4,
    // which costs a few percent on small machines); daemon threads, created on first use.
    private final LoopResources shared = LoopResources.create("qfiber-tcp", Runtime.getRuntime().availableProcessors(), true);
    // With native epoll, the shared loops are driven by virtual threads on the JDK's scheduler
    // (VirtualLoops), next to the fibers they serve; else they are Reactor Netty's platform loops.
    private final @org.jspecify.annotations.Nullable VirtualLoops virtualLoops =
            VirtualLoops.createIfPossible(Runtime.getRuntime().availableProcessors());
    private final EventLoopGroup sharedLoops = virtualLoops != null ? virtualLoops : shared.onServer(NettyTransport.isNative());
    private final EventLoopGroup acceptedGroup = new AcceptedGroup(sharedLoops);
    private final EventLoopGroup clientGroup = new CallerGroup(sharedLoops);
    // Listening channels, like connecting ones, live on the loop of the caller of listen(); off a
    // carrier on a platform loop, which blocks in epoll_wait between connections (a loop on a
    // virtual thread pays for its idle turns and the poller's hop once per connection).
    private final EventLoopGroup listeningGroup = new CallerGroup(shared.onServerSelect(NettyTransport.isNative()));

    private SocketLoops() {}

    /**
     * The library's loop resources.
     *
     * @return the single instance
     */
    public static SocketLoops get() {
        return INSTANCE;
    }

    /**
     * The loop a channel used by the calling code should be registered on: the calling fiber's
     * carrier's loop in carrier mode, else a shared loop.
     *
     * @return the loop
     */
    EventLoop loopForCaller() {
        EventLoop carrier = carrierLoopForCaller();
        return carrier != null ? carrier : sharedLoops.next();
    }

    private static @org.jspecify.annotations.Nullable EventLoop carrierLoopForCaller() {
        ThreadedFiberThread carrier = ThreadedFiberThread.current();
        return carrier != null && carrier.isCarrier() ? carrier.eventLoop() : null;
    }

    @Override
    public EventLoopGroup onServer(boolean useNative) {
        return acceptedGroup;
    }

    @Override
    public EventLoopGroup onServerSelect(boolean useNative) {
        return listeningGroup;
    }

    @Override
    public EventLoopGroup onClient(boolean useNative) {
        return clientGroup;
    }

    @Override
    public <C extends Channel> C onChannel(Class<C> channelType, EventLoopGroup group) {
        return shared.onChannel(channelType, sharedLoops);
    }

    @Override
    public <C extends Channel> Class<? extends C> onChannelClass(Class<C> channelType, EventLoopGroup group) {
        return shared.onChannelClass(channelType, sharedLoops);
    }

    @Override
    public boolean daemon() {
        return true;
    }

    /** Accepted channels: handed unregistered to their server's intake. */
    private static final class AcceptedGroup extends SharedLoopGroup {
        AcceptedGroup(EventLoopGroup shared) {
            super(shared);
        }

        @Override
        public ChannelFuture register(Channel child) {
            Channel server = child.parent();
            // Completed when the channel is finally registered, or failed (Reactor Netty's acceptor
            // then closes the channel); its listeners run on the accepting loop.
            DefaultChannelPromise promise = new DefaultChannelPromise(child, server != null ? server.eventLoop() : shared.next());
            Consumer<SocketBinding> intake = server != null ? server.attr(INTAKE).get() : null;
            if (intake == null) {
                promise.setFailure(new ClosedChannelException());
                return promise;
            }
            intake.accept(new SocketBinding(child, promise));
            return promise;
        }
    }

    /**
     * Connecting and listening channels: on the caller's carrier loop, else on a shared loop of
     * this group.
     */
    private static final class CallerGroup extends SharedLoopGroup {
        CallerGroup(EventLoopGroup shared) {
            super(shared);
        }

        @Override
        public EventLoop next() {
            EventLoop carrier = carrierLoopForCaller();
            return carrier != null ? carrier : shared.next();
        }

        @Override
        public ChannelFuture register(Channel channel) {
            return next().register(channel);
        }
    }
}
