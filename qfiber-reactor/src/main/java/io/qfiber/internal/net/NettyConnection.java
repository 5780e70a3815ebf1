package io.qfiber.internal.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.qfiber.ChannelClosedException;
import io.qfiber.Overflow;
import io.qfiber.internal.Failures;
import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.channel.BufferedChannel;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.CarrierLoop;
import io.qfiber.internal.observe.LibraryStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;

/**
 * The bridge between one Reactor Netty {@link Connection} and blocking-style fibers: the only class
 * of the library that touches Netty's {@link ByteBuf}s.
 *
 * <p>Receiving: this object subscribes to the connection's inbound {@code receive()} flux and
 * requests {@value #CHUNKS} buffers; each arriving buffer is copied into a {@code byte[]} (Reactor
 * Netty releases the buffer after {@code onNext}) and put into a small internal channel. A
 * {@code recv} that uses up a chunk requests one more. So at most {@value #CHUNKS} chunks wait per
 * connection, and a connection nobody reads stops reading from the network: Reactor Netty turns
 * auto-read off when demand runs out, and TCP flow control pushes back on the peer.
 *
 * <p>Sending: {@code send} copies the bytes into a buffer from the channel's allocator and
 * {@code writeAndFlush}es it; Netty releases that buffer once written or failed. While the
 * connection's outbound buffer is below Netty's high-water mark the caller returns at once (a
 * failure then surfaces from the next send); above it, the caller parks until its write reached
 * the network, so a peer that does not read slows the sender down.
 *
 * <p>Closing: {@link #close()} closes the internal channel, which wakes a fiber blocked in
 * {@code recv}, and disposes the connection once the bytes of earlier sends were written (or
 * after a linger bound). End of stream from the peer closes the internal channel
 * normally (recv returns -1 once drained); an error closes it with the error.
 *
 * <p>Fibers on the connection's own loop (carrier mode): a fiber carried by the thread of the
 * connection's event loop does not call Netty from its virtual thread, where every call would be a
 * task of the loop's queue. Its sends are copied into a byte array and its read requests counted
 * here, and the loop's thread writes and requests them after the fiber's turn
 * ({@link CarrierLoop#defer}), one buffer and one flush for all the sends of a turn. A close's
 * flush and end are deferred the same way, behind the sends. The connection's high-water mark
 * counts the deferred bytes too. Code that calls Netty on the loop's thread
 * itself writes the deferred bytes out first, so that sends keep their order.
 */
public final class NettyConnection implements CoreSubscriber<ByteBuf>, CarrierLoop.LoopWork {
    static final int CHUNKS = 4;
    // The deferred sends' array is kept between turns up to this size, and dropped when larger.
    private static final int KEPT_UNSENT_CAPACITY = 8192;
    /** How long a closed connection stays open at most to write out what earlier sends handed over. */
    public static final Duration CLOSE_LINGER = Duration.ofSeconds(30);
    private static final reactor.util.Logger LOG = reactor.util.Loggers.getLogger(NettyConnection.class);
    private static final java.util.concurrent.atomic.AtomicInteger OPEN = new java.util.concurrent.atomic.AtomicInteger();
    private static final VarHandle SUBSCRIPTION =
            FieldHandles.find(MethodHandles.lookup(), NettyConnection.class, "subscription", Subscription.class);
    private static final byte[] EMPTY = new byte[0];
    // The cause readers see after a local close: shared and without a stack trace, since closing
    // is routine (every connection does it) and the exception thrown from recv names the peer.
    private static final SocketException CLOSED_HERE = new SocketException("socket closed");

    // Put in order behind the data by InputShutdownHandler when the peer ends its stream.
    private static final ByteBuf END_OF_STREAM = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[1]));

    static {
        CLOSED_HERE.setStackTrace(new StackTraceElement[0]);
    }


    private final Connection connection;
    // The Netty channel, kept: once Reactor Netty ends the connection's operations,
    // Connection.channel() answers a stand-in without an event loop, while the bytes already
    // received are still being read and the close still has to run on the real channel's loop.
    private final io.netty.channel.Channel channel;
    private final InetSocketAddress peer;
    private final InetSocketAddress local;
    private final BufferedChannel<byte[]> inbound = new BufferedChannel<>("tcp inbound", CHUNKS, Overflow.BLOCK, null, 16);
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final ReentrantLock readLock = new ReentrantLock();
    private volatile @Nullable Subscription subscription;
    private volatile boolean closedLocally;
    private volatile boolean outputShutDown;
    // The failure of a send that returned before its bytes reached the network, and whether a
    // later send threw it (else close logs it).
    private volatile @Nullable Throwable writeFailure;
    private volatile boolean writeFailureReported;
    // Senders parked until their write reached the network: a close wakes them.
    private final java.util.Set<Thread> parkedSenders = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean closeFinished = new java.util.concurrent.atomic.AtomicBoolean();
    private final io.netty.channel.ChannelFutureListener recordWriteFailure = f -> {
        if (!f.isSuccess()) {
            writeFailure = f.cause();
        }
    };
    // The thread that delivered the last chunk (always the connection's event loop): a plain
    // write per chunk, read by tests that check where wake-ups come from.
    // Guarded by readLock: the chunk being consumed.
    private byte[] current = EMPTY;
    private int position;
    // Work deferred to the loop by fibers it carries (see the class comment): only code running on
    // the loop's thread touches these.
    private byte[] unsent = EMPTY;
    private int unsentLength;
    private int unrequested;
    private @Nullable ChannelPromise unsentWritten;
    private @Nullable Duration closeLinger; // a close deferred to the loop, with its linger
    private boolean deferred;

    /**
     * Bridges a connection and starts receiving.
     *
     * @param connection the Reactor Netty connection
     * @throws UncheckedIOException if the connection was closed before it could be bridged
     */
    public NettyConnection(Connection connection) {
        this.connection = connection;
        this.channel = connection.channel();
        io.netty.channel.Channel ch = channel;
        InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
        InetSocketAddress here = (InetSocketAddress) ch.localAddress();
        if (remote == null || here == null) {
            throw closedBeforeUse(connection, null);
        }
        this.peer = remote;
        this.local = here;
        try {
            // A channel closed and already deregistered refuses listeners: it is gone.
            ch.closeFuture().addListener(f -> OPEN.decrementAndGet());
        } catch (IllegalStateException deregistered) {
            throw closedBeforeUse(connection, deregistered);
        }
        OPEN.incrementAndGet();
        CarrierLoop.countSocket(ch);
        // The channel runs with ALLOW_HALF_CLOSURE: a peer's end of stream ends our reading only.
        connection.addHandlerLast("qfiber.endOfStream", new InputShutdownHandler());
        connection.inbound().receive().subscribe(this);
    }

    /**
     * Turns the peer's end of stream (a half-close, with {@code ALLOW_HALF_CLOSURE}) into a marker
     * read behind the data already received, which Reactor Netty does not do itself: the inbound
     * channel then closes normally once that data was delivered, and sending goes on.
     */
    private static final class InputShutdownHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownEvent.INSTANCE) {
                ctx.fireChannelRead(END_OF_STREAM);
            }
            ctx.fireUserEventTriggered(evt);
        }
    }

    private static UncheckedIOException closedBeforeUse(Connection connection, @Nullable Throwable cause) {
        connection.dispose();
        return Failures.closedBeforeUse(cause);
    }

    /**
     * How many bridged Netty channels are open now, in this JVM (a diagnostic: tests use it to
     * prove that no connection is leaked).
     *
     * @return the number of open connections
     */
    public static int openConnections() {
        return OPEN.get();
    }

    /** @return the remote address */
    public InetSocketAddress peerAddress() {
        return peer;
    }

    /** @return the local address */
    public InetSocketAddress localAddress() {
        return local;
    }

    /** @return a Mono completing when this side closes the connection (the server handler's lifetime) */
    public Mono<Void> onLocalClose() {
        return closed.asMono();
    }

    /**
     * The event loop that owns this connection: its I/O, and the delivery of its data, run there.
     *
     * @return the loop
     */
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** @return true until closed here or by the peer */
    public boolean isOpen() {
        return !closedLocally && channel.isActive();
    }

    // ---- inbound ----

    @Override
    public void onSubscribe(Subscription s) {
        if (SUBSCRIPTION.compareAndSet(this, null, s)) {
            s.request(CHUNKS);
            if (closedLocally) {
                s.cancel();
            }
        } else {
            s.cancel();
        }
    }

    @Override
    public void onNext(ByteBuf buf) {
        if (buf == END_OF_STREAM) {
            inbound.close();
            return;
        }
        if (inbound.isClosed()) {
            return; // closed here while this chunk was on its way: nobody will read it
        }
        // Copy out; Reactor Netty releases the buffer when onNext returns.
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        boolean accepted;
        try {
            accepted = inbound.offer(bytes);
        } catch (ChannelClosedException closedMeanwhile) {
            return; // a local close raced this chunk: as above
        }
        if (!accepted) {
            // Cannot happen while demand is only requested for free room; never drop silently.
            inbound.close(new IOException("inbound overflow: more data than requested"));
        }
    }

    @Override
    public void onError(Throwable t) {
        // Data received before the failure stays readable; then recv throws it. The connection is
        // broken (a reset, say): with ALLOW_HALF_CLOSURE Netty would only shut its input down, so
        // close it, as the failure ends it for sending too.
        inbound.close(t instanceof IOException ? t : new IOException(t.getMessage(), t));
        connection.dispose();
    }

    @Override
    public void onComplete() {
        inbound.close();
    }

    /**
     * Blocking receive into {@code buf}.
     *
     * @param buf     destination
     * @param off     offset
     * @param len     maximum bytes
     * @param deadline the deadline the caller computed once, or {@link Blocking#NO_DEADLINE}
     * @param timeout  the timeout it was computed from, for the message, or null for no limit
     * @return bytes read (at least 1), or -1 at end of stream; 0 only when len is 0
     */
    public int recv(byte[] buf, int off, int len, long deadline, @Nullable Duration timeout) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(buf, "buf").length);
        Blocking.enter("TcpSocket.recv");
        if (closedLocally) {
            throw new UncheckedIOException(new SocketException("recv from " + peer + " failed: socket closed"));
        }
        if (len == 0) {
            return 0;
        }
        try {
            readLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Blocking.cancelled();
        }
        try {
            if (position == current.length) {
                byte[] next;
                try {
                    next = inbound.take(deadline, 0); // network waits are long: park at once
                } catch (ChannelClosedException end) {
                    Throwable cause = end.getCause();
                    if (cause == null) {
                        return -1;
                    }
                    throw Failures.ioFailure("recv from " + peer, cause);
                }
                if (next == null) {
                    throw new UncheckedIOException(new SocketTimeoutException(
                            "recv from " + peer + " timed out after " + timeout));
                }
                current = next;
                position = 0;
                requestOneMore();
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, buf, off, n);
            position += n;
            LibraryStats.TCP_BYTES_RECEIVED.add(n);
            if (position == current.length) {
                current = EMPTY;
                position = 0;
            }
            return n;
        } finally {
            readLock.unlock();
        }
    }

    private void requestOneMore() {
        Subscription s = subscription;
        if (s == null) {
            return;
        }
        CarrierLoop loop = CarrierLoop.ifCarryingCaller(channel.eventLoop());
        if (loop == null) {
            s.request(1);
        } else {
            unrequested++;
            deferToLoop(loop);
        }
    }

    // ---- work deferred to the loop's thread ----

    private void deferToLoop(CarrierLoop loop) {
        if (!deferred) {
            deferred = true;
            loop.defer(this);
        }
    }

    /** Writes and requests what fibers on this connection's loop deferred; on the loop's thread. */
    @Override
    public void runOnLoop() {
        deferred = false;
        io.netty.channel.Channel ch = channel;
        runDeferred(ch);
        Duration linger = closeLinger;
        if (linger != null) {
            closeLinger = null;
            flushThenFinishClose(ch, linger);
        }
    }

    /** Call on the loop's thread only. */
    private void runDeferred(io.netty.channel.Channel ch) {
        int length = unsentLength;
        if (length > 0) {
            ChannelPromise written = unsentWritten;
            unsentLength = 0;
            unsentWritten = null;
            ChannelPromise promise = written != null ? written : ch.newPromise();
            promise.addListener(recordWriteFailure);
            ByteBuf out;
            try {
                out = ch.alloc().ioBuffer(length);
                out.writeBytes(unsent, 0, length);
            } catch (RuntimeException | Error e) {
                promise.tryFailure(e); // a sender waiting for these bytes learns it
                throw e;
            }
            if (unsent.length > KEPT_UNSENT_CAPACITY) {
                unsent = EMPTY;
            }
            ch.writeAndFlush(out, promise); // Netty releases `out`, and fails the promise if the channel is closed
        }
        int requests = unrequested;
        if (requests > 0) {
            unrequested = 0;
            Subscription s = subscription;
            if (s != null) {
                s.request(requests);
            }
        }
    }

    /** Before a Netty call on the loop's own thread: what fibers deferred goes first. */
    private void runDeferredIfOnLoop(io.netty.channel.Channel ch) {
        if (ch.eventLoop().inEventLoop()) {
            runDeferred(ch);
        }
    }

    // ---- outbound ----

    /**
     * Blocking send: returns once the connection took the bytes (see the class comment).
     *
     * @param data bytes
     * @param off  offset
     * @param len  count
     */
    public void send(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        Blocking.enter("TcpSocket.send");
        if (closedLocally) {
            throw new UncheckedIOException(new SocketException("send to " + peer + " failed: socket closed"));
        }
        if (outputShutDown) {
            throw new UncheckedIOException(new SocketException("send to " + peer + " failed: output shut down"));
        }
        Throwable earlier = writeFailure;
        if (earlier != null) {
            writeFailureReported = true;
            throw sendFailure(earlier);
        }
        if (len == 0) {
            return;
        }
        io.netty.channel.Channel ch = channel;
        if (!ch.isActive()) {
            throw new UncheckedIOException(new SocketException("send to " + peer + " failed: connection closed"));
        }
        CarrierLoop loop = CarrierLoop.ifCarryingCaller(ch.eventLoop());
        if (loop != null) {
            sendDeferred(loop, ch, data, off, len);
            return;
        }
        runDeferredIfOnLoop(ch);
        ByteBuf out = ch.alloc().buffer(len);
        ChannelFuture written;
        try {
            out.writeBytes(data, off, len);
            written = ch.writeAndFlush(out); // from here Netty releases `out` once written or failed
            LibraryStats.TCP_BYTES_SENT.add(len);
        } catch (RuntimeException e) {
            // the write never reached the pipeline (the channel went away meanwhile): ours to release
            ReferenceCountUtil.safeRelease(out);
            throw new UncheckedIOException("send to " + peer + " failed: connection closed",
                    new SocketException(String.valueOf(e.getMessage())));
        }
        if (!written.isDone() && ch.isWritable()) {
            // Handed to the connection's outbound buffer, which is below its high-water mark:
            // return now, as a socket write returns once the kernel buffer took the bytes. A
            // failure of this write surfaces from the next send.
            written.addListener(recordWriteFailure);
            return;
        }
        awaitWritten(written);
    }

    /**
     * Send from a fiber carried by the connection's loop: copies the bytes for the loop to write
     * after the fiber's turn, and returns at once unless the connection's outbound bytes, these
     * included, reach its high-water mark; then parks until they were written.
     */
    private void sendDeferred(CarrierLoop loop, io.netty.channel.Channel ch, byte[] data, int off, int len) {
        int length = unsentLength;
        if (len > unsent.length - length) {
            long needed = (long) length + len;
            if (needed > Integer.MAX_VALUE - 8) {
                throw new OutOfMemoryError("send to " + peer + ": more than 2 GiB waiting to be written");
            }
            unsent = java.util.Arrays.copyOf(unsent, (int) Math.max(needed,
                    Math.min(Integer.MAX_VALUE - 8L, Math.max(64L, 2L * unsent.length))));
        }
        System.arraycopy(data, off, unsent, length, len);
        unsentLength = length + len;
        LibraryStats.TCP_BYTES_SENT.add(len);
        deferToLoop(loop);
        if (unsentLength <= ch.bytesBeforeUnwritable()) {
            // Below the high-water mark: return now, as a socket write returns once the kernel
            // buffer took the bytes. A failure of this write surfaces from the next send.
            return;
        }
        ChannelPromise written = unsentWritten;
        if (written == null) {
            written = ch.newPromise();
            unsentWritten = written;
        }
        try {
            awaitWritten(written);
        } catch (UncheckedIOException failed) {
            if (written.isDone()) {
                writeFailureReported = true; // the failure the loop recorded for this write
            }
            throw failed;
        }
    }

    /** The peer is not keeping up: parks until {@code written} reached the network, or a close. */
    private void awaitWritten(ChannelFuture written) {
        Thread self = Thread.currentThread();
        parkedSenders.add(self);
        try {
            if (!written.isDone()) {
                written.addListener(f -> Blocking.unpark(self));
                try {
                    Blocking.parkUntil(() -> written.isDone() || closedLocally, written, Blocking.NO_DEADLINE);
                } catch (CancellationException e) {
                    throw new CancellationException("send to " + peer + " cancelled; part of the data may have been sent");
                }
            }
        } finally {
            parkedSenders.remove(self);
        }
        if (!written.isDone()) {
            throw new UncheckedIOException(new SocketException("send to " + peer + " failed: the socket was closed "
                    + "while the send waited for the peer to read; its bytes are written with the close's flush"));
        }
        if (!written.isSuccess()) {
            throw sendFailure(written.cause());
        }
    }

    private UncheckedIOException sendFailure(@Nullable Throwable cause) {
        return ioFailure("send to " + peer, cause);
    }

    private static UncheckedIOException ioFailure(String what, @Nullable Throwable cause) {
        return Failures.ioFailure(what, cause);
    }

    /**
     * Parks the caller until a Netty operation is done.
     *
     * @throws CancellationException if the caller is interrupted meanwhile (the operation goes on)
     * @throws UncheckedIOException  if the operation failed
     */
    private static void awaitNetty(ChannelFuture done, String what, String ifCancelled) {
        if (!done.isDone()) {
            Thread waiter = Thread.currentThread();
            done.addListener(f -> Blocking.unpark(waiter));
            try {
                Blocking.parkUntil(done::isDone, done, Blocking.NO_DEADLINE);
            } catch (CancellationException e) {
                throw new CancellationException(what + " cancelled; " + ifCancelled);
            }
        }
        if (!done.isSuccess()) {
            throw ioFailure(what, done.cause());
        }
    }

    /**
     * Half-closes: sends end of stream to the peer once everything sent before has been written;
     * receiving goes on. Parks until the shutdown is done. Idempotent.
     */
    public void shutdownOutput() {
        Blocking.enter("TcpSocket.shutdownOutput");
        if (closedLocally) {
            throw new UncheckedIOException(new SocketException("shutdownOutput of " + peer + " failed: socket closed"));
        }
        if (outputShutDown) {
            return;
        }
        outputShutDown = true;
        if (!(channel instanceof io.netty.channel.socket.DuplexChannel duplex)) {
            throw new UnsupportedOperationException("cannot half-close " + channel);
        }
        // Queued behind the writes already handed to the channel, on its event loop.
        runDeferredIfOnLoop(duplex);
        awaitNetty(duplex.shutdownOutput(), "shutdownOutput of " + peer, "it completes in the background");
    }

    /**
     * Closes the connection; wakes a fiber blocked in recv at once. Idempotent; never blocks.
     *
     * <p>As a plain socket's close hands the kernel what earlier writes left in its buffer, the
     * bytes of sends that returned (and of a send cut short by cancellation) still go out: the
     * connection is closed once Netty's outbound buffer has been written to the network, or after
     * {@link #CLOSE_LINGER} if the peer does not read that long; what is discarded then, and a
     * failure of a send that returned which no later send reported, is logged as a warning.
     */
    public void close() {
        close(CLOSE_LINGER);
    }

    /**
     * As {@link #close()}, with the time the connection may stay open to write out what earlier
     * sends handed over.
     *
     * @param linger how long to wait for the peer to take the bytes of earlier sends
     */
    public void close(Duration linger) {
        if (closedLocally) {
            return;
        }
        closedLocally = true;
        inbound.close(CLOSED_HERE);
        for (Thread sender : parkedSenders) {
            Blocking.unpark(sender);
        }
        io.netty.channel.Channel ch = channel;
        CarrierLoop loop = CarrierLoop.ifCarryingCaller(ch.eventLoop());
        if (loop != null) {
            // The rest runs on the loop's thread after this turn, behind the sends deferred before.
            closeLinger = linger;
            deferToLoop(loop);
            return;
        }
        flushThenFinishClose(ch, linger);
    }

    /** The close's flush, then its end once the flush is done or the linger is over. */
    private void flushThenFinishClose(io.netty.channel.Channel ch, Duration linger) {
        if (!ch.isActive()) {
            finishClose(null);
            return;
        }
        // Queued behind every write handed over before: done once they reached the network.
        ChannelFuture flushed;
        try {
            runDeferredIfOnLoop(ch);
            flushed = ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
        } catch (RuntimeException gone) {
            finishClose(null);
            return;
        }
        if (flushed.isDone()) {
            finishClose(null);
            return;
        }
        io.netty.util.concurrent.ScheduledFuture<?> limit = ch.eventLoop().schedule(
                () -> finishClose("the peer did not take them within " + linger),
                Math.max(0, linger.toNanos()), java.util.concurrent.TimeUnit.NANOSECONDS);
        flushed.addListener(f -> {
            limit.cancel(false);
            finishClose(null);
        });
    }

    private void finishClose(@Nullable String discardedBecause) {
        if (closeFinished.getAndSet(true)) {
            return;
        }
        Throwable failed = writeFailure;
        io.netty.channel.ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        long discarded = pending == null ? 0 : pending.totalPendingWriteBytes();
        if (discardedBecause != null && discarded > 0) {
            LOG.warn("close of the connection to {}: {} bytes of earlier sends were discarded: {}",
                    peer, discarded, discardedBecause);
        } else if (failed != null && !writeFailureReported) {
            LOG.warn("close of the connection to {}: bytes of sends that had returned were not delivered: {}",
                    peer, failed instanceof java.nio.channels.ClosedChannelException
                            ? "the connection had been closed (by the peer, or after a failure)" : failed.toString());
        }
        Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        connection.dispose();
        closed.tryEmitEmpty();
    }
}
