package io.qfiber.net;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.CarrierLoop;
import io.qfiber.internal.fiber.Carriers;
import io.qfiber.internal.fiber.NettyTransport;
import io.qfiber.internal.fiber.ThreadedFiberThread;
import io.qfiber.internal.net.SocketBinding;
import io.qfiber.internal.net.SocketLoops;
import io.qfiber.internal.observe.LibraryStats;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import io.qfiber.internal.observe.WaitTarget;
import io.qfiber.internal.reactive.MonoAwait;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;

/**
 * A listening TCP socket whose connections a fiber takes one at a time: QFiber's
 * {@code TcpServer}, on Reactor Netty.
 *
 * <p>Reactor Netty accepts connections on its event loops; each accepted connection waits in a
 * backlog until a fiber {@link #takeNext() takes} it. When about {@value #BACKLOG} wait (a few more
 * may arrive while the pause takes effect: Netty accepts in batches), accepting pauses (the listening channel stops reading, so new connections wait in the kernel's
 * listen queue) and resumes as fibers take connections.
 *
 * <pre>{@code
 * try (TcpServer server = TcpServer.listen(3128)) {
 *     for (;;) {
 *         TcpServer.ConnectionInfo ci = server.takeNext();     // parks the fiber
 *         Fiber.builder().name("handler").detached().start(() -> handle(ci.socket()));
 *     }
 * }
 * }</pre>
 *
 * <p>Thread-safe: several fibers may take connections from one server.
 */
public final class TcpServer implements AutoCloseable {
    /** How many accepted connections may wait for {@link #takeNext()} before accepting pauses. */
    public static final int BACKLOG = 128;
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(45);

    /**
     * An accepted connection and the address of its peer: QFiber's
     * {@code TcpServer::ConnectionInfo}.
     *
     * @param socket      the connection
     * @param peerAddress the remote address
     */
    public record ConnectionInfo(TcpSocket socket, InetSocketAddress peerAddress) {
        /**
         * Checks the components.
         *
         * @param socket      not null
         * @param peerAddress not null
         */
        public ConnectionInfo {
            Objects.requireNonNull(socket, "socket");
            Objects.requireNonNull(peerAddress, "peerAddress");
        }
    }

    private final String host;
    private final DisposableServer server;
    private final Channel<ConnectionInfo> backlog;
    // what a fiber waiting in takeNext shows in a fiber dump
    private final WaitTarget waitTarget = () -> "port " + (isClosed() ? "(closed)" : String.valueOf(port()));
    private volatile boolean paused;

    private TcpServer(String host, int port) {
        this.host = host;
        this.backlog = Channel.<ConnectionInfo>builder().name("accept backlog " + host + ":" + port)
                .capacity(Channel.UNBOUNDED).build();
        DisposableServer bound;
        WaitRecord rec = WaitRecord.begin(WaitKind.LISTEN, host + ":" + port);
        try {
            // Parks like every blocking call of the library: on a threaded fiber's thread the
            // listening channel registers on this very thread's loop, which runs meanwhile.
            bound = MonoAwait.await(reactor.netty.tcp.TcpServer.create()
                    .runOn(SocketLoops.get(), NettyTransport.isNative())
                    .host(host)
                    .port(port)
                    .attr(SocketLoops.INTAKE, this::accepted)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .handle((in, out) -> {
                        // runs on the loop the first user registered the channel on
                        reactor.netty.Connection[] connection = new reactor.netty.Connection[1];
                        in.withConnection(c -> connection[0] = c);
                        return SocketBinding.bridgeAccepted(connection[0]);
                    })
                    .bind()
                    .timeout(BIND_TIMEOUT));
            if (bound == null) {
                throw new IllegalStateException("bind completed without a server");
            }
        } catch (CancellationException e) {
            throw e; // the caller was cancelled while binding: not a bind failure (the bind is cancelled)
        } catch (RuntimeException e) {
            throw bindFailure(host, port, e);
        } finally {
            WaitRecord.end(rec);
        }
        this.server = bound;
        CarrierLoop.countSocket(bound.channel());
    }

    /**
     * Listens on all interfaces, as QFiber's {@code listen(port)}.
     *
     * @param port the port, 0 for an ephemeral one (see {@link #port()})
     * @return the listening server
     * @throws UncheckedIOException     if the port cannot be bound; the cause is a
     *                                  {@link BindException} and the message names host and port
     * @throws IllegalArgumentException if port is not between 0 and 65535
     * @throws CancellationException    if the calling fiber is cancelled while the port is being
     *                                  bound; the bind is cancelled and nothing stays bound
     * @throws IllegalStateException    if called on a Reactor non-blocking thread
     */
    public static TcpServer listen(int port) {
        return listen("0.0.0.0", port);
    }

    /**
     * Listens on one address. The listening channel lives on the event loop of the calling
     * thread when that is a threaded fiber's thread in carrier mode (so a listener fiber there is
     * woken on its own thread), else on one of the library's shared loops.
     *
     * @param host the address or host name to bind, not null
     * @param port the port, 0 for an ephemeral one (see {@link #port()})
     * @return the listening server
     * @throws UncheckedIOException     if the address cannot be bound; the cause is a
     *                                  {@link BindException} and the message names host and port
     * @throws IllegalArgumentException if port is not between 0 and 65535
     * @throws CancellationException    if the calling fiber is cancelled while the port is being
     *                                  bound; the bind is cancelled and nothing stays bound
     * @throws IllegalStateException    if called on a Reactor non-blocking thread
     */
    public static TcpServer listen(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
        }
        Blocking.enter("TcpServer.listen");
        return new TcpServer(host, port);
    }

    private static UncheckedIOException bindFailure(String host, int port, RuntimeException e) {
        String message = "cannot listen on " + host + ":" + port;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException be) {
                return new UncheckedIOException(message + ": " + be.getMessage(), be);
            }
        }
        Throwable root = e.getCause() != null ? e.getCause() : e;
        BindException be = new BindException(message + ": " + root.getMessage());
        be.initCause(root);
        return new UncheckedIOException(be.getMessage(), be);
    }

    /**
     * The port this server is bound to (the chosen one when listening on port 0).
     *
     * @return the bound port
     */
    public int port() {
        return server.port();
    }

    /**
     * Takes the next accepted connection, parking the calling fiber until one arrives.
     *
     * @return the connection and its peer address
     * @throws ChannelClosedException if the server is closed, before or while waiting
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; no connection
     *                                was taken
     * @throws IllegalStateException  if called on a Reactor non-blocking thread
     */
    public ConnectionInfo takeNext() {
        WaitRecord rec = WaitRecord.begin(WaitKind.TAKE_NEXT, waitTarget);
        try {
            ConnectionInfo ci = backlog.read();
            taken(ci);
            return ci;
        } finally {
            WaitRecord.end(rec);
        }
    }

    /**
     * Takes the next accepted connection, waiting at most {@code timeout}.
     *
     * @param timeout how long to wait at most, not negative
     * @return the connection, or empty on timeout
     * @throws ChannelClosedException if the server is closed, before or while waiting
     * @throws IllegalArgumentException if timeout is negative
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; no connection
     *                                was taken
     * @throws IllegalStateException  if called on a Reactor non-blocking thread
     */
    public Optional<ConnectionInfo> takeNext(Duration timeout) {
        WaitRecord rec = WaitRecord.begin(WaitKind.TAKE_NEXT, waitTarget);
        try {
            Optional<ConnectionInfo> ci = backlog.read(timeout);
            ci.ifPresent(this::taken);
            return ci;
        } finally {
            WaitRecord.end(rec);
        }
    }

    /**
     * Stops listening and releases the port; a fiber blocked in {@link #takeNext()} wakes with
     * {@link ChannelClosedException}. Connections accepted but not yet taken are closed;
     * connections already taken stay open (their fibers own them). Idempotent. Waits for the port
     * to be released, except where waiting is not allowed (a non-blocking thread, a threaded
     * fiber's loop work) or the caller is being cancelled: there the release completes in the
     * background.
     */
    @Override
    public void close() {
        if (backlog.isClosed()) {
            return;
        }
        String label = "server " + host + ":" + port(); // while the channel is open
        backlog.close();
        for (Optional<ConnectionInfo> ci = backlog.tryRead(); ci.isPresent(); ci = backlog.tryRead()) {
            ci.get().socket().close();
        }
        server.dispose();
        Thread current = Thread.currentThread();
        if (Schedulers.isInNonBlockingThread() || current.isInterrupted()
                || (current instanceof ThreadedFiberThread t && t.isRunningWork())) {
            return; // the release completes in the background
        }
        WaitRecord rec = WaitRecord.begin(WaitKind.CLOSE, label);
        try {
            MonoAwait.await(server.onDispose().timeout(BIND_TIMEOUT).onErrorResume(e -> Mono.empty()));
        } catch (java.util.concurrent.CancellationException interrupted) {
            // cancelled meanwhile: the release completes in the background
        } finally {
            WaitRecord.end(rec);
        }
    }

    /**
     * How many accepted connections wait for {@link #takeNext()} now (a snapshot).
     *
     * @return the backlog size
     */
    public int pendingConnections() {
        return backlog.size();
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return backlog.isClosed();
    }

    @Override
    public String toString() {
        return "TcpServer[" + host + ":" + (isClosed() ? "closed]" : port() + "]");
    }

    // ---- on the event loop ----

    /** The intake of accepted channels, on the accepting loop: queue them for takeNext. */
    private void accepted(SocketBinding binding) {
        LibraryStats.TCP_ACCEPTED.increment();
        TcpSocket socket = new TcpSocket(binding);
        boolean queued;
        try {
            queued = backlog.tryWrite(new ConnectionInfo(socket, binding.peerAddress()));
        } catch (ChannelClosedException closed) {
            queued = false;
        }
        if (!queued) {
            socket.close();
        } else if (backlog.size() >= BACKLOG) {
            updateAccepting();
        }
    }

    private void taken(ConnectionInfo ci) {
        if (!Carriers.enabled()) {
            // No carrier will want it: start reading it on a shared loop now. In carrier mode the
            // first fiber to use it registers it on its own thread's loop.
            ci.socket().binding().bindEarly();
        }
        resumeAcceptingIfPaused();
    }

    private void resumeAcceptingIfPaused() {
        if (paused) {
            updateAccepting();
        }
    }

    /**
     * Turns accepting on or off to match the backlog. Runs on the listening channel's event loop,
     * so decisions are serialized there.
     */
    private void updateAccepting() {
        io.netty.channel.Channel listening = server.channel();
        listening.eventLoop().execute(() -> {
            boolean accept = backlog.size() < BACKLOG && !backlog.isClosed();
            paused = !accept;
            ChannelConfig config = listening.config();
            if (config.isAutoRead() != accept) {
                config.setAutoRead(accept);
            }
        });
    }

}
