package io.qfiber.net;

import io.qfiber.internal.Blocking;
import io.qfiber.internal.MonoAwait;
import io.qfiber.internal.NettyConnection;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
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
 * <p>Errors are {@link UncheckedIOException}s keeping their cause: a peer reset surfaces from
 * {@code recv} or {@code send}, never as a hang. Blocking calls on a Reactor non-blocking thread
 * (a Netty event loop) throw {@link IllegalStateException} at once.
 */
public final class TcpSocket implements AutoCloseable {
    private final NettyConnection bridge;

    TcpSocket(NettyConnection bridge) {
        this.bridge = bridge;
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
        Blocking.enter("TcpSocket.connect");
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        Connection connection;
        try {
            connection = MonoAwait.await(TcpClient.newConnection()
                    .host(host)
                    .port(port)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, millis)
                    .connect());
        } catch (RuntimeException e) {
            if (e instanceof java.util.concurrent.CancellationException) {
                throw e;
            }
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            throw new UncheckedIOException("cannot connect to " + host + ":" + port + ": " + cause.getMessage(),
                    cause instanceof IOException io ? io : new IOException(cause));
        }
        if (connection == null) {
            throw new UncheckedIOException(new IOException("cannot connect to " + host + ":" + port + ": no connection"));
        }
        return new TcpSocket(new NettyConnection(connection));
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
        return bridge.recv(buf, 0, Objects.requireNonNull(buf, "buf").length, null);
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
     */
    public int recv(byte[] buf, int off, int len) {
        return bridge.recv(buf, off, len, null);
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
     */
    public int recv(byte[] buf, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return bridge.recv(buf, 0, Objects.requireNonNull(buf, "buf").length, timeout);
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
     */
    public int recv(byte[] buf, int off, int len, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return bridge.recv(buf, off, len, timeout);
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
        bridge.send(data, 0, Objects.requireNonNull(data, "data").length);
    }

    /**
     * Sends {@code data[off .. off+len)}, returning once it was written to the connection.
     *
     * @param data the bytes
     * @param off  where to start
     * @param len  how many bytes
     * @throws IndexOutOfBoundsException if off and len do not fit data
     * @throws UncheckedIOException      as {@link #send(byte[])}
     */
    public void send(byte[] data, int off, int len) {
        bridge.send(data, off, len);
    }

    /**
     * Closes the connection. A fiber blocked in {@code recv} on this socket wakes with an
     * {@link UncheckedIOException}. Idempotent; never blocks.
     */
    @Override
    public void close() {
        bridge.close();
    }

    /**
     * The address of the peer.
     *
     * @return the remote address
     */
    public InetSocketAddress peerAddress() {
        return bridge.peerAddress();
    }

    /**
     * The local address of this connection.
     *
     * @return the local address
     */
    public InetSocketAddress localAddress() {
        return bridge.localAddress();
    }

    /**
     * Whether the connection is open: true until closed here or by the peer (a snapshot).
     *
     * @return true while open
     */
    public boolean isOpen() {
        return bridge.isOpen();
    }

    @Override
    public String toString() {
        return "TcpSocket[" + localAddress() + " -> " + peerAddress() + (isOpen() ? "]" : ", closed]");
    }
}
