package io.qfiber.nats.internal;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import io.qfiber.nats.Codec;
import io.qfiber.nats.Delivery;
import io.qfiber.nats.RemoteChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A remote channel on JetStream.
 *
 * <p><b>On the server.</b> A work-queue stream {@code QFIBER_<name>} on subject
 * {@code qfiber.<name>.v}, limited to {@code capacity} messages with "discard new", so the server
 * refuses a write past capacity, whichever process makes it; one durable pull consumer
 * {@code readers} with explicit acks and {@code redeliverAfter} as its ack wait, shared by every
 * reader of every process, so each value is handed to one reader at a time; a limits stream
 * {@code QFIBER_DEAD_<name>} for values the codec could not decode. Closing moves the stream to
 * the subject {@code qfiber.<name>.closed} (so writes anywhere find no stream) and marks its
 * description; a core-NATS message on {@code qfiber.<name>.events} tells every process at once.
 *
 * <p><b>Writers</b> publish asynchronously with a message id and park for the server's answer; a
 * "maximum messages exceeded" answer means full: the writer waits (backing off from 1 to 50 ms,
 * woken at once by a close) and publishes again. A lost answer (server restart, lost connection)
 * is retried with the same id, which the stream's duplicate window turns into one stored value.
 *
 * <p><b>Readers</b> take values that the process's {@link Fetcher} pulled for them (at most
 * {@link #BATCH} held ahead). {@code read} acks with the server's confirmation before it returns
 * the value; {@code receive} leaves the ack to the caller ({@link RemoteDelivery}); {@code asFlux}
 * reads against demand ({@link RemoteFlux}). Creating and joining the server's objects is
 * {@link JetStreamSetup}'s; waiting for the server's answers, {@link ServerAnswers}'.
 *
 * @param <T> the value type
 */
public final class JetStreamChannel<T> implements RemoteChannel<T> {
    /** How many values a process fetches at once, and so holds ahead at most. */
    static final int BATCH = Fetcher.BATCH;
    private static final int FULL = 10077; // JetStream: maximum messages exceeded
    private static final int NO_MESSAGE = 10037; // JetStream: no message found
    private static final String CLOSED_MARK = "qfiber:closed";
    /** Writes unanswered this long on a connection that says it is up make it reconnect. */
    private static final Duration UNANSWERED_LIMIT = Duration.ofSeconds(2);
    /**
     * Requests unanswered this long on a live connection to a lone server make it reconnect too:
     * longer than a starting server takes to recover JetStream, short enough to end a connection
     * whose replies stopped coming (seen after a server restart) within seconds.
     */
    private static final Duration LONE_SERVER_UNANSWERED_LIMIT = Duration.ofSeconds(8);
    private static final Logger LOG = Loggers.getLogger(JetStreamChannel.class);

    private final ChannelRegistry registry;
    private final Connection connection;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final String name;
    private final Codec<T> codec;
    private final int capacity;
    private final Duration ackWait;
    private final String stream;
    private final String subject;
    private final String eventsSubject;
    private final String deadSubject;
    private final String deadStream;
    private final Dispatcher events;
    private final JetStreamSetup setup;
    // The same questions with a short time-out, for the checks a blocked call repeats: a server
    // that cannot answer (a leader being elected) is asked again soon rather than waited for.
    private final JetStreamSetup quickSetup;

    /** The reading side in this process. */
    private final Fetcher fetcher;
    /** Writers waiting for room sleep on this; closed to wake them all (close, detach). */
    private final Channel<Boolean> roomWait;
    /** This process stopped using the channel (NatsChannels.close, delete). */
    private volatile boolean detached;
    /** Null while open; once closed for every process, the close cause's text ("" for none). */
    private volatile @Nullable String closedWith;
    private volatile int lastSize;


    private JetStreamChannel(ChannelRegistry registry, String name, Codec<T> codec, int capacity, Duration ackWait) {
        this.registry = registry;
        this.connection = registry.connection();
        try {
            this.js = connection.jetStream();
            this.jsm = connection.jetStreamManagement();
            this.quickSetup = new JetStreamSetup(connection.jetStreamManagement(
                    JetStreamOptions.builder().requestTimeout(ServerAnswers.RETRY_WAIT).build()), name);
        } catch (IOException e) {
            throw new UncheckedIOException("JetStream is not available on the NATS server: " + e.getMessage(), e);
        }
        this.name = name;
        this.codec = codec;
        this.capacity = capacity;
        this.ackWait = ackWait;
        this.setup = new JetStreamSetup(jsm, name);
        this.stream = setup.stream;
        this.subject = setup.subject;
        this.eventsSubject = setup.eventsSubject;
        this.deadSubject = setup.deadSubject;
        this.deadStream = setup.deadStream;
        this.fetcher = new Fetcher(this, js, stream, ackWait);
        this.roomWait = Channel.<Boolean>builder().name("remote channel '" + name + "' (waiting for room on the server)")
                .capacity(1).build();
        this.events = connection.createDispatcher(m -> onEvent());
    }

    /**
     * Creates the channel on the server or joins it.
     *
     * @return the channel
     */
    static <T> JetStreamChannel<T> open(ChannelRegistry registry, String name, Codec<T> codec, int capacity,
                                        Duration ackWait, int replicas) {
        if (Schedulers.isInNonBlockingThread()) {
            throw new IllegalStateException("RemoteChannel.Builder.open would block, which is not supported on the "
                    + "non-blocking thread " + Thread.currentThread().getName());
        }
        JetStreamChannel<T> c = new JetStreamChannel<>(registry, name, codec, capacity, ackWait);
        try {
            c.noteClosed(c.setup.createOrJoin(capacity, ackWait, replicas));
        } catch (RuntimeException e) {
            c.connection.closeDispatcher(c.events);
            throw e;
        }
        c.events.subscribe(c.eventsSubject);
        registry.add(c);
        return c;
    }




    // ---- state ----

    private void noteClosed(StreamInfo info) {
        String description = info.getConfiguration().getDescription();
        if (description != null && description.startsWith(CLOSED_MARK)) {
            String cause = description.substring(CLOSED_MARK.length());
            markClosed(cause.startsWith(":") ? cause.substring(1) : "");
        }
    }

    private void markClosed(String cause) {
        if (closedWith == null) {
            closedWith = cause;
        }
        roomWait.close(); // wakes waiting writers: they throw
        fetcher.wake(); // it drains, then closes the inbox
    }

    /**
     * Asks the server whether the channel was closed or deleted, and notes it; waits at most
     * {@link ServerAnswers#RETRY_WAIT} for the answer.
     *
     * @return true if it is closed (or gone)
     * @throws IOException if the server cannot be reached
     */
    boolean refreshClosed() throws IOException {
        try {
            StreamInfo info = quickSetup.existing(stream);
            if (info == null) {
                markClosed("deleted");
            } else {
                lastSize = (int) Math.min(Integer.MAX_VALUE, info.getStreamState().getMsgCount());
                noteClosed(info);
            }
        } catch (JetStreamApiException e) {
            throw new IOException(e);
        }
        return closedWith != null;
    }

    private void onEvent() {
        try {
            refreshClosed();
        } catch (IOException | RuntimeException e) {
            LOG.debug("remote channel '{}': state refresh failed: {}", name, e.toString());
        }
    }

    ChannelClosedException closedException(String operation) {
        String cause = closedWith;
        if (detached && cause == null) {
            return new ChannelClosedException(operation + " on remote channel '" + name
                    + "': this process closed its connection to it", null);
        }
        Throwable closeCause = cause == null || cause.isEmpty() || cause.equals("deleted") ? null
                : new IllegalStateException(cause);
        return new ChannelClosedException(operation + " on closed remote channel '" + name + "'"
                + (cause == null || cause.isEmpty() ? "" : " (closed with " + cause + ")"), closeCause);
    }

    private void checkUsable(String operation) {
        if (detached || closedWith != null) {
            throw closedException(operation);
        }
    }

    private static void checkMayBlock(String operation) {
        if (Schedulers.isInNonBlockingThread()) {
            throw new IllegalStateException(operation + " would block, which is not supported on the "
                    + "non-blocking thread " + Thread.currentThread().getName() + "; use the reactive API there");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("cancelled: the thread " + Thread.currentThread().getName()
                    + " was interrupted");
        }
    }

    // ---- writing ----

    private enum Outcome { STORED, FULL, UNREACHABLE }

    @Override
    public void write(T value) {
        put(value, Long.MIN_VALUE, false, "write");
    }

    @Override
    public boolean tryWrite(T value) {
        return put(value, Long.MIN_VALUE, true, "tryWrite");
    }

    @Override
    public boolean write(T value, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
        }
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 2);
        return put(value, deadline == Long.MIN_VALUE ? deadline + 1 : deadline, false, "write");
    }

    /**
     * Publishes until stored, full past the deadline (or once, for tryWrite), or closed.
     *
     * @param deadline a nanoTime deadline, or Long.MIN_VALUE for none
     */
    private boolean put(T value, long deadline, boolean once, String operation) {
        Objects.requireNonNull(value, "value");
        checkMayBlock("RemoteChannel." + operation);
        checkUsable(operation);
        byte[] data = codec.encode(value);
        PublishOptions options = PublishOptions.builder().messageId(UUID.randomUUID().toString())
                .expectedStream(stream).build();
        long backoffMillis = 1;
        long unansweredSince = 0;
        for (;;) {
            Outcome outcome = publishOnce(data, options, operation);
            if (outcome == Outcome.STORED) {
                return true;
            }
            if (outcome != Outcome.UNREACHABLE) {
                unansweredSince = 0;
            } else if (unansweredSince == 0) {
                unansweredSince = System.nanoTime();
            } else {
                reconnectIfSilent(System.nanoTime() - unansweredSince); // again every limit while unanswered
            }
            if (once) {
                return false;
            }
            if (deadline != Long.MIN_VALUE && deadline - System.nanoTime() <= 0) {
                return false;
            }
            long waitMillis = outcome == Outcome.UNREACHABLE ? 250 : backoffMillis;
            if (deadline != Long.MIN_VALUE) {
                waitMillis = Math.max(1, Math.min(waitMillis, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            try {
                roomWait.read(Duration.ofMillis(waitMillis)); // a timed park that a close cuts short
            } catch (ChannelClosedException woken) {
                checkUsable(operation);
            }
            checkUsable(operation);
            backoffMillis = Math.min(backoffMillis * 2, 50);
        }
    }

    private Outcome publishOnce(byte[] data, PublishOptions options, String operation) {
        CompletableFuture<PublishAck> answer = js.publishAsync(subject, data, options);
        Throwable failure;
        try {
            // bounded: an answer lost with a connection may never come; the retry has the same id,
            // so the server stores the value once however often it is published
            ServerAnswers.answer(answer, ServerAnswers.RETRY_WAIT);
            return Outcome.STORED;
        } catch (CancellationException cancelled) {
            // The value may be on its way: find out, so that a cancelled write put nothing.
            Throwable late = ServerAnswers.awaitUninterruptibly(answer);
            if (late == null) {
                return Outcome.STORED; // it was stored: the write happened, the interrupt stays set
            }
            throw cancelled;
        } catch (RuntimeException e) {
            failure = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        }
        return afterFailure(failure, operation);
    }

    private Outcome afterFailure(Throwable failure, String operation) {
        if (failure instanceof JetStreamApiException api) {
            if (api.getApiErrorCode() == FULL) {
                return Outcome.FULL;
            }
            LOG.debug("remote channel '{}': {} not stored: {}", name, operation, api.toString());
            if (api.getErrorCode() != 503) {
                throw new UncheckedIOException(operation + " to remote channel '" + name + "' refused by the server: "
                        + api.getMessage(), new IOException(api));
            }
        }
        if (failure instanceof java.util.concurrent.TimeoutException) {
            LOG.debug("remote channel '{}': {} unanswered, will retry: {}", name, operation, failure.toString());
            // No answer: the server, or the stream's leader, is away (a node of a cluster died and
            // its successor is being elected). Asking whether the channel was closed would wait as
            // long; a closed channel answers the next try at once (no stream takes its subject).
            return Outcome.UNREACHABLE;
        }
        // No stream took it (closed or deleted), or the connection failed: ask.
        try {
            if (refreshClosed()) {
                throw closedException(operation);
            }
        } catch (IOException unreachable) {
            LOG.debug("remote channel '{}': server unreachable, will retry: {}", name, unreachable.toString());
            return Outcome.UNREACHABLE;
        }
        return Outcome.UNREACHABLE;
    }



    @Override
    public void writeAll(Publisher<? extends T> source) {
        Objects.requireNonNull(source, "source");
        Channel<T> buffer = Channel.from(source);
        try {
            for (T v : buffer) {
                write(v);
            }
        } finally {
            buffer.close(); // cancels the source when we stop early
        }
    }

    // ---- reading ----

    /**
     * Writes went unanswered for {@link #UNANSWERED_LIMIT} on a connection that says it is up:
     * the server it reaches may have lost its way to the stream (seen after a node of a cluster
     * dies); reconnecting, to this or another server of the cluster, gives it a fresh start. At
     * most once per limit for all the channels of the connection. A connection that knows only
     * one server waits {@link #LONE_SERVER_UNANSWERED_LIMIT} first: a lone server that does not
     * answer yet is likely starting up (it listens before JetStream has recovered its streams) or
     * busy, and a reconnect to it would only cut the requests in flight; but a connection whose
     * replies stopped coming after the server restarted stays silent until it reconnects.
     *
     * @param silentNanos how long requests have gone unanswered
     */
    void reconnectIfSilent(long silentNanos) {
        if (silentNanos <= UNANSWERED_LIMIT.toNanos() || connection.getStatus() != Connection.Status.CONNECTED) {
            return; // not yet, or reconnecting already
        }
        if (connection.getServers().size() < 2 && silentNanos <= LONE_SERVER_UNANSWERED_LIMIT.toNanos()) {
            return; // one server: it may be starting up (JetStream recovers after it listens), or busy
        }
        long now = System.nanoTime();
        long last = registry.lastForcedReconnect().get();
        if (now - last < UNANSWERED_LIMIT.toNanos() || !registry.lastForcedReconnect().compareAndSet(last, now)) {
            return;
        }
        LOG.warn("remote channel '{}': no answer from the server at {} for {} ms on a live connection; reconnecting",
                name, connection.getConnectedUrl(), TimeUnit.NANOSECONDS.toMillis(silentNanos));
        try {
            connection.forceReconnect();
        } catch (IOException | RuntimeException e) {
            LOG.debug("remote channel '{}': reconnect failed: {}", name, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A quarter-second pause between tries while the server is away; a cancel ends it early. */
    static void pause() {
        try {
            Fiber.sleep(Duration.ofMillis(250));
        } catch (CancellationException stop) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Closed, and no value left that any reader could still get: the work queue is empty (a value
     * leaves it only when acked, so pending and unacked values both count), once values the server
     * kept after they were acked are removed ({@link JetStreamSetup#reclaimAcked()}).
     */
    boolean drainedOnServer() {
        try {
            StreamInfo info = setup.existing(stream);
            if (info == null || info.getStreamState().getMsgCount() == 0) {
                return true;
            }
            reclaimAcked();
            info = setup.existing(stream);
            return info == null || info.getStreamState().getMsgCount() == 0;
        } catch (JetStreamApiException | IOException e) {
            return false; // not known: ask again later
        }
    }

    /** Removes values the server kept after they were acked, saying so when there were any. */
    void reclaimAcked() throws IOException, JetStreamApiException {
        long removed = setup.reclaimAcked();
        if (removed > 0) {
            LOG.warn("remote channel '{}': removed {} values the server still stored after they were acked (a "
                    + "server restart after SIGKILL loses deletions); they had been read", name, removed);
        }
    }

    /** Takes a fetched message for a local reader, waiting until the deadline (Long.MIN_VALUE: none). */
    private @Nullable Message take(long deadline, String operation) {
        return take(deadline, operation, 1);
    }

    /**
     * As {@link #take(long, String)}, counting {@code weight} readers of demand while it waits (a
     * Flux subscriber counts what it requested, so the fetcher pulls that many at once).
     */
    @Nullable Message take(long deadline, String operation, int weight) {
        checkMayBlock("RemoteChannel." + operation);
        if (detached) {
            throw closedException(operation);
        }
        try {
            return fetcher.take(deadline, weight);
        } catch (ChannelClosedException end) {
            throw closedException(operation);
        }
    }

    T decode(Message m) {
        byte[] data = m.getData();
        try {
            T v = codec.decode(data);
            if (v == null) {
                throw new IllegalStateException("the codec returned null");
            }
            return v;
        } catch (RuntimeException e) {
            // set aside: the bytes go to the dead-letter stream, the value leaves the channel
            String where;
            try {
                js.publish(deadSubject, data);
                where = "its bytes were moved to stream " + deadStream;
            } catch (IOException | JetStreamApiException | RuntimeException deadFailed) {
                where = "it could not be moved to stream " + deadStream + " (" + deadFailed.getMessage() + ")";
                e.addSuppressed(deadFailed);
            }
            m.term();
            throw new IllegalStateException("remote channel '" + name + "': a value could not be decoded by " + codec
                    + ": " + e.getMessage() + "; " + where, e);
        }
    }

    /**
     * Acks with the server's confirmation. A confirmation lost to a dropped connection is asked
     * for again (an ack is idempotent) for up to the ack wait, as long as the server keeps an
     * unacked value this reader's, then settled by asking whether the value is still stored; on cancellation it waits for the answer in flight, so a cancelled
     * caller either took the value or left it.
     */
    void ackConfirmed(Message m) {
        String reply = m.getReplyTo();
        if (reply == null) {
            return;
        }
        long giveUp = System.nanoTime() + ackWait.toNanos();
        for (;;) {
            CompletableFuture<Message> confirmed = connection.request(reply, "+ACK".getBytes(StandardCharsets.US_ASCII));
            try {
                ServerAnswers.answer(confirmed, ServerAnswers.RETRY_WAIT);
                return;
            } catch (CancellationException cancelled) {
                if (ServerAnswers.awaitUninterruptibly(confirmed) != null) {
                    m.nak();
                    throw cancelled;
                }
                return; // acked: the value is this reader's; the interrupt stays set for its next call
            } catch (RuntimeException e) {
                if (detached || System.nanoTime() - giveUp > 0) {
                    settleUnconfirmedAck(m, e);
                    return;
                }
                LOG.debug("remote channel '{}': ack not confirmed, asking again: {}", name, e.toString());
                pause();
            }
        }
    }

    /**
     * No confirmation came (a server or node went away) within the ack wait. A work queue
     * deletes a value once it is acked, so a value no longer stored was acked. Otherwise the
     * answer is unknown (a replicated stream deletes after the ack, not with it): the value is
     * returned all the same and may be delivered once more, so that nothing is lost.
     */
    private void settleUnconfirmedAck(Message m, RuntimeException why) {
        long seq = m.metaData().streamSequence();
        try {
            jsm.getMessage(stream, seq);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE || e.getApiErrorCode() == JetStreamSetup.STREAM_NOT_FOUND) {
                return; // deleted: acked
            }
        } catch (IOException | RuntimeException unreachable) {
            // unknown
        }
        LOG.warn("remote channel '{}': the ack of value #{} was not confirmed ({}); it is returned and may be "
                + "delivered once more", name, seq, why.toString());
    }

    void handBack(Message m) {
        m.nak();
    }

    @Override
    public T read() {
        Message m = take(Long.MIN_VALUE, "read");
        assert m != null;
        return settle(m);
    }

    /** Decodes, then acks: the value is returned only once the server confirmed it is ours. */
    private T settle(Message m) {
        T value = decode(m);
        ackConfirmed(m);
        return value;
    }

    @Override
    public Optional<T> tryRead() {
        checkMayBlock("RemoteChannel.tryRead");
        if (detached) {
            throw closedException("tryRead");
        }
        Optional<Message> m;
        try {
            m = fetcher.tryTake();
        } catch (ChannelClosedException end) {
            throw closedException("tryRead");
        }
        return m.map(this::settle);
    }

    @Override
    public Optional<T> read(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
        }
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 2);
        Message m = take(deadline == Long.MIN_VALUE ? deadline + 1 : deadline, "read");
        return m == null ? Optional.empty() : Optional.of(settle(m));
    }

    @Override
    public Flux<T> asFlux() {
        return RemoteFlux.of(this);
    }

    @Override
    public Delivery<T> receive() {
        Message m = take(Long.MIN_VALUE, "receive");
        assert m != null;
        return new RemoteDelivery<>(this, decode(m), m);
    }

    @Override
    public Optional<Delivery<T>> receive(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
        }
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 2);
        Message m = take(deadline == Long.MIN_VALUE ? deadline + 1 : deadline, "receive");
        return m == null ? Optional.empty() : Optional.of(new RemoteDelivery<>(this, decode(m), m));
    }

    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private @Nullable T next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                if (done) {
                    return false;
                }
                try {
                    next = read();
                    return true;
                } catch (ChannelClosedException end) {
                    done = true;
                    if (end.getCause() != null) {
                        throw end;
                    }
                    return false;
                }
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("remote channel '" + name + "' is closed and drained");
                }
                T v = next;
                next = null;
                assert v != null;
                return v;
            }
        };
    }

    @Override
    public Stream<T> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }



    // ---- closing ----

    @Override
    public void close() {
        closeFor("");
    }

    @Override
    public void close(Throwable cause) {
        Objects.requireNonNull(cause, "cause");
        closeFor(cause.toString());
    }

    private void closeFor(String cause) {
        if (closedWith != null) {
            return;
        }
        if (Schedulers.isInNonBlockingThread()) {
            throw new IllegalStateException("RemoteChannel.close would block, which is not supported on the "
                    + "non-blocking thread " + Thread.currentThread().getName());
        }
        // A server away (a restart, a cluster electing a leader) is waited for, as other calls do.
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (;;) {
            try {
                StreamInfo info = setup.existing(stream);
                if (info == null) {
                    markClosed("deleted");
                    return;
                }
                String description = info.getConfiguration().getDescription();
                if (description == null || !description.startsWith(CLOSED_MARK)) {
                    jsm.updateStream(StreamConfiguration.builder(info.getConfiguration())
                            .subjects(setup.closedSubject)
                            .description(CLOSED_MARK + (cause.isEmpty() ? "" : ":" + cause))
                            .build());
                }
                markClosed(cause);
                connection.publish(eventsSubject, new byte[0]);
                return;
            } catch (IOException | JetStreamApiException e) {
                boolean refused = e instanceof JetStreamApiException api && api.getErrorCode() != 503;
                if (refused || System.nanoTime() - giveUp > 0) {
                    throw new UncheckedIOException("cannot close remote channel '" + name + "': " + e.getMessage(),
                            e instanceof IOException io ? io : new IOException(e));
                }
                pause();
                if (Thread.currentThread().isInterrupted()) {
                    throw new CancellationException("close of remote channel '" + name + "' cancelled");
                }
            }
        }
    }

    /** Starts this process's fetcher, so that it notices a close before any reader waits. */
    void startReading() {
        fetcher.start();
    }

    /** @return whether nothing more will reach readers here: closed and drained, or detached */
    boolean drainedHere() {
        return detached || fetcher.drained();
    }

    /** @return whether the channel was closed for every process (or deleted) */
    boolean isClosedEverywhere() {
        return closedWith != null;
    }

    /** @return whether this process stopped using the channel */
    boolean isDetached() {
        return detached;
    }

    @Override
    public boolean isClosed() {
        return closedWith != null || detached;
    }

    @Override
    public void delete() {
        try {
            if (setup.existing(stream) != null) {
                jsm.deleteStream(stream);
            }
            if (setup.existing(deadStream) != null) {
                jsm.deleteStream(deadStream);
            }
            connection.publish(eventsSubject, new byte[0]);
        } catch (IOException | JetStreamApiException e) {
            throw new UncheckedIOException("cannot delete remote channel '" + name + "': " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        }
        markClosed("deleted");
        detach();
    }

    /**
     * This process stops using the channel: blocked calls here throw, values fetched and not handed
     * out go back to the server. The channel lives on. Idempotent.
     */
    void detach() {
        if (detached) {
            return;
        }
        detached = true;
        registry.remove(this);
        roomWait.close();
        fetcher.stop();
        try {
            connection.closeDispatcher(events);
        } catch (RuntimeException ignored) {
            // the connection is closing
        }
    }

    @Override
    public int size() {
        try {
            refreshClosed();
        } catch (IOException | RuntimeException e) {
            // the last size known
        }
        return lastSize;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "RemoteChannel[" + name + ", capacity " + capacity + (isClosed() ? ", closed]" : "]");
    }
}
