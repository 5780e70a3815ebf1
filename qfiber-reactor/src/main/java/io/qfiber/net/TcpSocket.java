package io.qfiber.net;

import io.netty.channel.ChannelOption;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.NetUtil;
import io.qfiber.internal.Failures;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.NettyTransport;
import io.qfiber.internal.net.NettyConnection;
import io.qfiber.internal.net.SocketBinding;
import io.qfiber.internal.net.SocketLoops;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import io.qfiber.internal.observe.WaitTarget;
import io.qfiber.internal.reactive.MonoAwait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.tcp.TcpClient;

/**
 * A TCP connection used in blocking style from fibers: QFiber's socket, with lthread's
 * {@code recv}/{@code send}/{@code close}, bridged to Reactor Netty.
 *
 * <p>A socket is usable from any fiber or thread, including one other than the fiber that accepted
 * or connected it (QFiber's web server passes accepted sockets over channels to receivers on other
 * threads). Concurrent {@code recv} calls are serialized; concurrent {@code send}s are each written
 * whole, in an unspecified order.
 *
 * <p>Backpressure: a socket nobody reads stops reading from the network after a few buffered
 * chunks, so TCP flow control slows the peer down; {@code send} returns only once its bytes were
 * written to the connection, so a peer that does not read slows the sender down.
 *
 * <p>End of stream: when the peer shuts down its output, {@code recv} returns what was received,
 * then -1; this side stays open and {@code send} keeps working until it is closed, as with a plain
 * Java socket. Data that arrived before a close is always readable.
 *
 * <p>Threads: the connection's I/O runs on the event loop of the thread that first uses it (an
 * accepted socket) or connects it: in carrier mode, the threaded fiber's thread that carries the
 * calling fiber, so its wake-ups and sends stay on that thread.
 *
 * <p>Errors are {@link UncheckedIOException}s keeping their cause: a peer reset surfaces from
 * {@code recv} or {@code send}, never as a hang. Blocking calls on a Reactor non-blocking thread
 * (a Netty event loop) throw {@link IllegalStateException} at once.
 */
public final class TcpSocket implements AutoCloseable {
    private final SocketBinding binding;
    // what a fiber waiting in recv or send shows in a fiber dump
    private final WaitTarget waitTarget = () -> "socket to " + peerAddress();

    TcpSocket(SocketBinding binding) {
        this.binding = binding;
    }

    /** The socket's hold on its connection (for the server and tests). */
    SocketBinding binding() {
        return binding;
    }

    /**
     * Connects to {@code host:port}, parking the calling fiber until connected.
     *
     * @param host    the host name or address, not null
     * @param port    the port, 1 to 65535
     * @param timeout how long to wait for the connection at most, positive
     * @return the connected socket
     * @throws UncheckedIOException     if the connection fails or times out; the cause says why
     *                                  (for example {@link java.net.ConnectException})
     * @throws IllegalArgumentException if port or timeout is out of range
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled meanwhile
     * @throws IllegalStateException    if called on a Reactor non-blocking thread
     */
    public static TcpSocket connect(String host, int port, Duration timeout) {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, was " + port);
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be > 0, was " + timeout);
        }
        long deadline = Blocking.deadline(timeout);
        Blocking.enter("TcpSocket.connect");
        Connection connection;
        WaitRecord rec = WaitRecord.begin(WaitKind.CONNECT, host + ":" + port, deadline);
        try {
            InetSocketAddress remote = new InetSocketAddress(resolve(host, timeout), port);
            int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (deadline - Blocking.nanoTime()) / 1_000_000));
            connection = MonoAwait.await(TcpClient.newConnection()
                    .runOn(SocketLoops.get(), NettyTransport.isNative())
                    .remoteAddress(() -> remote)
                    .resolver(NoopAddressResolverGroup.INSTANCE)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, millis)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .doOnChannelInit((observer, channel, address) -> SocketBinding.prepareConnect(channel))
                    .doOnConnected(SocketBinding::bridgeConnected)
                    .connect());
        } catch (RuntimeException e) {
            if (e instanceof CancellationException) {
                throw e;
            }
            Throwable cause = Failures.unwrap(e);
            throw new UncheckedIOException("cannot connect to " + host + ":" + port + ": " + cause.getMessage(),
                    Failures.asIOException(cause));
        } finally {
            WaitRecord.end(rec);
        }
        if (connection == null) {
            throw new UncheckedIOException(new IOException("cannot connect to " + host + ":" + port + ": no connection"));
        }
        return new TcpSocket(SocketBinding.ofConnected(connection));
    }

    /**
     * Resolves a host name as a plain Java socket would (the JDK's resolver: hosts file, then the
     * system's), on a thread that may block, while the calling fiber parks: a lookup never holds
     * an event loop or a carrier. Address literals need no lookup.
     */
    private static InetAddress resolve(String host, Duration timeout) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        try {
            if (literal != null) {
                return InetAddress.getByAddress(host, literal);
            }
            InetAddress address = MonoAwait.await(Mono.fromCallable(() -> InetAddress.getByName(host))
                    .subscribeOn(Schedulers.boundedElastic())
                    .timeout(timeout, Mono.error(() -> new SocketTimeoutException("resolving " + host + " timed out after " + timeout))));
            if (address == null) {
                throw new UnknownHostException(host);
            }
            return address;
        } catch (UnknownHostException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Receives at least one byte into {@code buf}, parking the fiber until data arrives.
     *
     * @param buf the destination
     * @return the number of bytes read, at least 1 (0 only for an empty {@code buf}), or -1 at end of
     *         stream (the peer closed its side and everything sent was read)
     * @throws UncheckedIOException   if the connection failed (for example reset by the peer) or this
     *                                socket was closed
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; nothing was
     *                                consumed
     * @throws IllegalStateException  if called on a Reactor non-blocking thread
     */
    public int recv(byte[] buf) {
        Objects.requireNonNull(buf, "buf");
        return recvRecorded(buf, 0, buf.length, null);
    }

    /**
     * Receives at least one byte into {@code buf[off .. off+len)}.
     *
     * @param buf the destination
     * @param off where to start writing
     * @param len how many bytes at most
     * @return as {@link #recv(byte[])}
     * @throws IndexOutOfBoundsException if off and len do not fit buf
     * @throws UncheckedIOException      as {@link #recv(byte[])}
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; nothing was
     *                                   consumed
     * @throws IllegalStateException     if called on a Reactor non-blocking thread
     */
    public int recv(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(buf, "buf").length);
        return recvRecorded(buf, off, len, null);
    }

    /**
     * Receives at least one byte, waiting at most {@code timeout}: lthread's
     * {@code recv(fd, buf, len, 0, timeout)}.
     *
     * @param buf     the destination
     * @param timeout how long to wait at most, not negative
     * @return as {@link #recv(byte[])}
     * @throws UncheckedIOException with a {@link java.net.SocketTimeoutException} cause if nothing
     *                              arrived in time (the socket stays usable), or as {@link #recv(byte[])}
     * @throws IllegalArgumentException if timeout is negative
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; nothing was
     *                              consumed
     * @throws IllegalStateException if called on a Reactor non-blocking thread
     */
    public int recv(byte[] buf, Duration timeout) {
        Objects.requireNonNull(buf, "buf");
        Objects.requireNonNull(timeout, "timeout");
        return recvRecorded(buf, 0, buf.length, timeout);
    }

    /**
     * Receives at least one byte into {@code buf[off .. off+len)}, waiting at most {@code timeout}.
     *
     * @param buf     the destination
     * @param off     where to start writing
     * @param len     how many bytes at most
     * @param timeout how long to wait at most, not negative
     * @return as {@link #recv(byte[])}
     * @throws IndexOutOfBoundsException if off and len do not fit buf
     * @throws UncheckedIOException      as {@link #recv(byte[], Duration)}
     * @throws IllegalArgumentException  if timeout is negative
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; nothing was
     *                                   consumed
     * @throws IllegalStateException     if called on a Reactor non-blocking thread
     */
    public int recv(byte[] buf, int off, int len, Duration timeout) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(buf, "buf").length);
        Objects.requireNonNull(timeout, "timeout");
        return recvRecorded(buf, off, len, timeout);
    }

    /**
     * Sends all of {@code data}, returning once it was written to the connection: at once while the
     * connection's outbound buffer has room (as a socket write returns once the kernel took the
     * bytes), otherwise once the bytes reached the network. The caller may reuse {@code data} as
     * soon as this returns.
     *
     * @param data the bytes
     * @throws UncheckedIOException if the connection failed (also the failure of an earlier send
     *                              that returned before its bytes reached the network) or the
     *                              socket is closed
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled while waiting;
     *                              part of the data may have been sent
     * @throws IllegalStateException if called on a Reactor non-blocking thread
     */
    public void send(byte[] data) {
        Objects.requireNonNull(data, "data");
        sendRecorded(data, 0, data.length);
    }

    /**
     * Sends {@code data[off .. off+len)}, returning once it was written to the connection.
     *
     * @param data the bytes
     * @param off  where to start
     * @param len  how many bytes
     * @throws IndexOutOfBoundsException if off and len do not fit data
     * @throws UncheckedIOException      as {@link #send(byte[])}
     * @throws java.util.concurrent.CancellationException as {@link #send(byte[])}
     * @throws IllegalStateException     if called on a Reactor non-blocking thread
     */
    public void send(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        sendRecorded(data, off, len);
    }

    /**
     * Half-closes the connection, as {@link java.net.Socket#shutdownOutput()}: the peer reads what
     * was sent, then end of stream; this side can still {@code recv} until the peer ends its own
     * stream. Later {@code send}s fail. Parks the calling fiber until the end of stream was
     * handed to the network. Idempotent.
     *
     * @throws UncheckedIOException  if the socket is closed or the shutdown failed
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled while waiting;
     *                               the shutdown still happens
     * @throws IllegalStateException if called on a Reactor non-blocking thread
     */
    public void shutdownOutput() {
        binding.connection("TcpSocket.shutdownOutput").shutdownOutput();
    }

    /**
     * Closes the connection. A fiber blocked in {@code recv} on this socket wakes with an
     * {@link UncheckedIOException}. Idempotent; never blocks.
     *
     * <p>Nothing that a returned {@code send} handed over is lost by closing, as with a plain
     * {@link java.net.Socket}: those bytes (and those of a send cut short by cancellation) are
     * still written to the peer, in the background, and the connection is closed after them. A
     * peer that does not read them within 30 seconds gets the connection closed anyway; the
     * discarded bytes, like a failure of a returned send that no later send reported, are logged
     * as a warning (logger {@code io.qfiber.internal.net.NettyConnection}).
     */
    @Override
    public void close() {
        binding.close(NettyConnection.CLOSE_LINGER);
    }

    /**
     * Closes the connection as {@link #close()} does, keeping it open at most {@code linger} to
     * write out the bytes of earlier sends (as {@link java.net.Socket#setSoLinger} bounds a
     * close); {@link Duration#ZERO} discards them at once (logged as a warning). Never blocks.
     *
     * @param linger how long the peer has to take the bytes of earlier sends, {@code >= 0}
     * @throws IllegalArgumentException if {@code linger} is negative
     */
    public void close(Duration linger) {
        Objects.requireNonNull(linger, "linger");
        if (linger.isNegative()) {
            throw new IllegalArgumentException("linger must be >= 0, was " + linger);
        }
        binding.close(linger);
    }

    /**
     * The address of the peer.
     *
     * @return the remote address
     */
    public InetSocketAddress peerAddress() {
        return binding.peerAddress();
    }

    /**
     * The local address of this connection.
     *
     * @return the local address
     */
    public InetSocketAddress localAddress() {
        return binding.localAddress();
    }

    /**
     * Whether the connection is open: true until closed here or by the peer (a snapshot).
     *
     * @return true while open
     */
    public boolean isOpen() {
        return binding.isOpen();
    }

    /** recv, recorded for the fiber dump while it waits. */
    private int recvRecorded(byte[] buf, int off, int len, @Nullable Duration timeout) {
        // the deadline is computed once, here, and checks the timeout before anything waits
        long deadline = timeout == null ? Blocking.NO_DEADLINE : Blocking.deadline(timeout);
        WaitRecord rec = WaitRecord.begin(WaitKind.RECV, waitTarget, deadline);
        try {
            return binding.connection("TcpSocket.recv").recv(buf, off, len, deadline, timeout);
        } finally {
            WaitRecord.end(rec);
        }
    }

    /** send, recorded for the fiber dump while it waits. */
    private void sendRecorded(byte[] data, int off, int len) {
        WaitRecord rec = WaitRecord.begin(WaitKind.SEND, waitTarget);
        try {
            binding.connection("TcpSocket.send").send(data, off, len);
        } finally {
            WaitRecord.end(rec);
        }
    }

    @Override
    public String toString() {
        return "TcpSocket[" + localAddress() + " -> " + peerAddress() + (isOpen() ? "]" : ", closed]");
    }
}
