package io.qfiber.internal.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import io.qfiber.internal.Failures;
import io.qfiber.internal.fiber.Blocking;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

/**
 * A {@code TcpSocket}'s hold on its connection: the {@link NettyConnection} bridge, which for an
 * accepted connection does not exist yet when the socket is handed out.
 *
 * <p>An accepted channel arrives here unregistered (see {@link SocketLoops}). The first fiber that
 * uses the socket ({@link #connection()}) registers it on the event loop of the thread it runs on;
 * Reactor Netty then initializes the channel and calls the server's handler on that loop, which
 * creates the bridge ({@link #bridgeAccepted}) and completes {@link #bridge}, waking the fiber.
 * Data the peer sent meanwhile waits in the kernel and is read after registration; so does its end
 * of stream. A connected (client) socket's bridge is made on its loop as it connects
 * ({@link #bridgeConnected}), before anything can be lost.
 *
 * <p>States of an accepted binding: {@code UNBOUND} → {@code BINDING} (registration asked) or
 * {@code CLOSED} (closed before any use: the channel is closed without ever being registered).
 * Transitions by CAS, so a close racing a first use either wins and nothing registers, or loses
 * and closes the bridge once it exists.
 */
public final class SocketBinding {
    private static final AttributeKey<SocketBinding> KEY = AttributeKey.valueOf("qfiber.binding");
    private static final AttributeKey<CompletableFuture<SocketBinding>> CONNECTING = AttributeKey.valueOf("qfiber.connecting");
    private static final int UNBOUND = 0;
    private static final int BINDING = 1;
    private static final int CLOSED = 2;

    private final @Nullable Channel pending;
    private final @Nullable ChannelPromise acceptorPromise;
    private final AtomicInteger state;
    private final CompletableFuture<NettyConnection> bridge = new CompletableFuture<>();
    // The bridge once made: the fast path of every socket call reads only this.
    private volatile @Nullable NettyConnection ready;
    private final InetSocketAddress peer;
    private final InetSocketAddress local;
    private volatile boolean closedHere;

    /** An accepted, unregistered channel; called on the accepting loop. */
    SocketBinding(Channel child, ChannelPromise acceptorPromise) {
        this.pending = child;
        this.acceptorPromise = acceptorPromise;
        this.state = new AtomicInteger(UNBOUND);
        this.peer = address(child.remoteAddress());
        this.local = address(child.localAddress());
        child.attr(KEY).set(this);
    }

    private SocketBinding(NettyConnection connected) {
        this.pending = null;
        this.acceptorPromise = null;
        this.state = new AtomicInteger(BINDING);
        this.peer = connected.peerAddress();
        this.local = connected.localAddress();
        this.ready = connected;
        bridge.complete(connected);
    }

    private static InetSocketAddress address(java.net.@Nullable SocketAddress a) {
        return a instanceof InetSocketAddress inet ? inet : new InetSocketAddress(0);
    }

    // ---- on the event loop ----

    /**
     * The server handler's work for an accepted channel that was just registered and is active:
     * bridges it and wakes the fiber waiting to use it. Runs on the channel's loop.
     *
     * @param connection the Reactor Netty connection
     * @return what the handler returns: completes when this side closes the connection
     */
    public static Mono<Void> bridgeAccepted(Connection connection) {
        SocketBinding binding = connection.channel().attr(KEY).get();
        if (binding == null) {
            connection.dispose();
            return Mono.empty();
        }
        try {
            NettyConnection bridged = new NettyConnection(connection);
            binding.ready = bridged;
            binding.bridge.complete(bridged);
            if (binding.closedHere) {
                bridged.close();
            }
            return bridged.onLocalClose();
        } catch (UncheckedIOException gone) {
            binding.bridge.completeExceptionally(gone);
            return Mono.empty();
        }
    }

    /**
     * A connecting client's channel, as it is initialized (before it connects): prepares the
     * hand-over of its binding to the connecting fiber.
     *
     * @param channel the client channel
     */
    public static void prepareConnect(Channel channel) {
        CompletableFuture<SocketBinding> connected = new CompletableFuture<>();
        channel.attr(CONNECTING).set(connected);
        channel.closeFuture().addListener(f -> {
            if (!connected.isDone()) {
                connected.completeExceptionally(closedBeforeUse(null));
            }
        });
    }

    /**
     * A connecting client's work as the connection is established, on its loop: bridges it at
     * once so no data or end of stream can be missed, and hands the binding to the connecting
     * fiber ({@link #ofConnected}).
     *
     * @param connection the connected Reactor Netty connection
     */
    public static void bridgeConnected(Connection connection) {
        CompletableFuture<SocketBinding> connected = connection.channel().attr(CONNECTING).get();
        try {
            SocketBinding binding = new SocketBinding(new NettyConnection(connection));
            if (connected == null || !connected.complete(binding)) {
                binding.close(java.time.Duration.ZERO);
            }
        } catch (UncheckedIOException gone) {
            if (connected != null) {
                connected.completeExceptionally(gone);
            }
        }
    }

    /**
     * The binding made by {@link #bridgeConnected} for a connection, parking the caller until it
     * is made (Reactor Netty may report the connection before it ran).
     *
     * @param connection the connection a connect returned
     * @return its binding
     * @throws UncheckedIOException if the connection closed before it could be bridged
     */
    public static SocketBinding ofConnected(Connection connection) {
        CompletableFuture<SocketBinding> connected = connection.channel().attr(CONNECTING).get();
        if (connected == null) {
            throw new IllegalStateException("connection was not prepared by prepareConnect");
        }
        Blocking.awaitCompletion(connected, Blocking.NO_DEADLINE);
        try {
            return connected.join();
        } catch (java.util.concurrent.CompletionException e) {
            connection.dispose();
            throw e.getCause() instanceof UncheckedIOException io ? io : closedBeforeUse(e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            connection.dispose();
            throw e;
        }
    }

    // ---- for the socket's users ----

    /**
     * The bridge, registering the channel on the caller's loop first if nobody used it yet, and
     * parking the caller until the channel is bridged. Checks the blocking rules itself.
     *
     * @param operation the socket operation, for messages
     * @return the bridge
     * @throws UncheckedIOException if the socket was closed, or the connection went away before it
     *                              could be used
     */
    public NettyConnection connection(String operation) {
        NettyConnection bridged = ready;
        if (bridged != null) {
            return bridged;
        }
        Blocking.enter(operation);
        if (closedHere) {
            throw new UncheckedIOException(new SocketException(operation + " on " + peer + " failed: socket closed"));
        }
        bind(SocketLoops.get().loopForCaller());
        Blocking.awaitCompletion(bridge, Blocking.NO_DEADLINE);
        try {
            return bridge.join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UncheckedIOException io) {
                throw new UncheckedIOException(operation + " on " + peer + " failed: " + io.getMessage(), io.getCause());
            }
            SocketException failed = new SocketException(operation + " on " + peer + " failed: " + cause);
            failed.initCause(cause);
            throw new UncheckedIOException(failed.getMessage(), failed);
        }
    }

    /**
     * Starts registering an accepted channel on a shared loop without waiting, so that its data is
     * being read by the time a fiber uses it. For shared mode, where no carrier will want it.
     */
    public void bindEarly() {
        bind(SocketLoops.get().loopForCaller());
    }

    private void bind(EventLoop loop) {
        Channel child = pending;
        if (child == null || !state.compareAndSet(UNBOUND, BINDING)) {
            return;
        }
        ChannelPromise acceptor = acceptorPromise;
        ChannelFuture registered;
        try {
            registered = loop.register(child);
        } catch (RuntimeException e) {
            failBeforeUse(child, e);
            return;
        }
        registered.addListener(f -> {
            if (f.isSuccess()) {
                if (acceptor != null) {
                    acceptor.trySuccess();
                }
                // closed before Reactor Netty called the handler: nothing will bridge it
                child.closeFuture().addListener(closed -> {
                    if (!bridge.isDone()) {
                        bridge.completeExceptionally(closedBeforeUse(null));
                    }
                });
            } else {
                failBeforeUse(child, f.cause());
            }
        });
    }

    private void failBeforeUse(Channel child, @Nullable Throwable cause) {
        child.unsafe().closeForcibly();
        if (acceptorPromise != null) {
            if (cause == null) {
                // closed here on purpose: settle the accept quietly (Reactor Netty only acts on a failure)
                acceptorPromise.trySuccess();
            } else {
                acceptorPromise.tryFailure(cause);
            }
        }
        bridge.completeExceptionally(closedBeforeUse(cause));
    }

    private static UncheckedIOException closedBeforeUse(@Nullable Throwable cause) {
        return Failures.closedBeforeUse(cause);
    }

    /**
     * Closes the socket: an unused accepted channel without registering it; a bridged one once the
     * bytes of earlier sends were written, or after {@code linger}. Never blocks; idempotent.
     *
     * @param linger how long the bytes of earlier sends may take
     */
    public void close(java.time.Duration linger) {
        closedHere = true;
        Channel child = pending;
        if (child != null && state.compareAndSet(UNBOUND, CLOSED)) {
            failBeforeUse(child, null);
            return;
        }
        bridge.thenAccept(c -> c.close(linger));
    }

    /**
     * Whether the socket is open: not closed here, and, once bridged, not closed by the peer.
     *
     * @return true while open
     */
    public boolean isOpen() {
        if (closedHere) {
            return false;
        }
        NettyConnection bridged = ready;
        if (bridged != null) {
            return bridged.isOpen();
        }
        Channel child = pending;
        return child != null && child.isOpen() && !bridge.isDone();
    }

    /** @return the remote address */
    public InetSocketAddress peerAddress() {
        return peer;
    }

    /** @return the local address */
    public InetSocketAddress localAddress() {
        return local;
    }

}
