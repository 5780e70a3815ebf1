package io.qfiber;

import io.qfiber.internal.channel.ChannelFactory;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * A typed pipe between fibers, threads and {@link Flux} subscribers: QFiber's channel.
 *
 * <p>Values are passed by reference (zero copy): send immutable values such as records or
 * {@code List.copyOf(...)}. A multi-value write in QFiber's C++ API ({@code write(fd, addr)})
 * becomes a record here.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Each value written is delivered to exactly one consumer (a blocking reader, an iterator or
 *       a {@link #asFlux()} subscriber), at most once, in FIFO order per writer, under any mix of
 *       consumers and threads.</li>
 *   <li>Writing a value happens-before the read that returns it.</li>
 *   <li>A reader that is cancelled (its thread interrupted) while blocked takes nothing; a writer
 *       cancelled while blocked has enqueued nothing. Both throw
 *       {@link java.util.concurrent.CancellationException} and keep the interrupt status.</li>
 *   <li>{@link #close()} wakes every blocked reader and writer at once. Buffered values stay
 *       readable; once they are drained, reads throw {@link ChannelClosedException}.</li>
 *   <li>The blocking methods ({@code read}, {@code write}, the timed forms, {@code writeAll},
 *       iteration) park a virtual thread, or block a platform thread. Called on a Reactor
 *       non-blocking thread ({@code Schedulers.isInNonBlockingThread()}: parallel scheduler, Netty
 *       event loop) they throw {@link IllegalStateException} at once, whether or not they would
 *       have blocked. {@link #tryRead()} and {@link #tryWrite(Object)} never block and may be
 *       called anywhere.</li>
 *   <li>Null values are refused with {@link NullPointerException}.</li>
 * </ul>
 *
 * <p>Instances are thread-safe. Obtain them from {@link #create()}, {@link #create(int)},
 * {@link #unbounded()}, {@link #builder()} or {@link #from(Publisher)}.
 *
 * @param <T> the type of the values carried
 */
public interface Channel<T> extends Iterable<T> {

    /** The capacity QFiber's channels have by default: ZeroMQ's high-water mark of 1000 messages. */
    int DEFAULT_CAPACITY = 1000;

    /** The capacity of an unbounded channel, as reported by {@link #capacity()}. */
    int UNBOUNDED = Integer.MAX_VALUE;

    /**
     * Creates a buffered channel of capacity {@value #DEFAULT_CAPACITY} whose writers block while
     * it is full.
     *
     * @param <T> the type of the values carried
     * @return a new open channel
     */
    static <T> Channel<T> create() {
        return create(DEFAULT_CAPACITY);
    }

    /**
     * Creates a channel of the given capacity whose writers block while it is full. Capacity 0
     * makes a rendezvous channel: {@link #write} returns only once a reader has taken the value.
     *
     * @param capacity how many values may wait in the channel, {@code >= 0}
     * @param <T>      the type of the values carried
     * @return a new open channel
     * @throws IllegalArgumentException if capacity is negative
     */
    static <T> Channel<T> create(int capacity) {
        return Channel.<T>builder().capacity(capacity).build();
    }

    /**
     * Creates a channel whose writers never block: it buffers without bound.
     *
     * @param <T> the type of the values carried
     * @return a new open channel with {@link #capacity()} {@link #UNBOUNDED}
     */
    static <T> Channel<T> unbounded() {
        return Channel.<T>builder().capacity(UNBOUNDED).build();
    }

    /**
     * Starts describing a channel: name, capacity, overflow policy and drop consumer.
     *
     * @param <T> the type of the values carried
     * @return a new builder with capacity {@value #DEFAULT_CAPACITY} and {@link Overflow#BLOCK}
     */
    static <T> Builder<T> builder() {
        return new ChannelFactory.DefaultBuilder<>();
    }

    /**
     * Creates a channel filled from {@code source} with backpressure: the source is requested
     * only as room frees in the channel, so a slow reader slows the source down. The channel is
     * closed when the source completes, and closed with the source's error when it fails.
     * The subscription starts at once, from a new virtual thread (named {@code qfiber-from}) that
     * moves the values and ends with the source; it is cancelled if the channel is closed by a
     * consumer. Never blocks the caller.
     *
     * @param source the publisher to drain
     * @param <T>    the type of the values carried
     * @return a new channel of capacity {@value #DEFAULT_CAPACITY} fed by {@code source}
     */
    static <T> Channel<T> from(Publisher<? extends T> source) {
        return ChannelFactory.from(source);
    }

    /**
     * Writes a value, blocking while the channel is full (with {@link Overflow#BLOCK}), or until a
     * reader took it (rendezvous channel). With a dropping overflow policy it never blocks.
     *
     * @param value the value, not null
     * @throws NullPointerException     if value is null
     * @throws ChannelClosedException   if the channel is closed before or while blocked; the value
     *                                  was then not enqueued
     * @throws java.util.concurrent.CancellationException if the thread is interrupted before or
     *                                  while blocked; the value was then not enqueued and the
     *                                  interrupt status stays set
     * @throws IllegalStateException    if called on a Reactor non-blocking thread
     */
    void write(T value);

    /**
     * Writes a value if that is possible without blocking.
     *
     * @param value the value, not null
     * @return true if the value was accepted: enqueued, handed to a waiting reader (rendezvous), or
     *         taken care of by a dropping overflow policy; false if the channel is full (with
     *         {@link Overflow#BLOCK}) or, for a rendezvous channel, no reader is waiting
     * @throws NullPointerException   if value is null
     * @throws ChannelClosedException if the channel is closed
     */
    boolean tryWrite(T value);

    /**
     * Writes a value, blocking at most {@code timeout} for room or for a reader. With a dropping
     * overflow policy ({@link Overflow#DROP_OLDEST}, {@link Overflow#DROP_LATEST}) it never blocks
     * and returns true: a value that does not fit is dropped and passed to {@code onDrop}.
     *
     * @param value   the value, not null
     * @param timeout how long to wait at most, not negative
     * @return true if written, false if the timeout elapsed first (the value was then not enqueued)
     * @throws NullPointerException     if value or timeout is null
     * @throws IllegalArgumentException if timeout is negative
     * @throws ChannelClosedException   if the channel is closed before or while blocked
     * @throws java.util.concurrent.CancellationException if the thread is interrupted
     * @throws IllegalStateException    if called on a Reactor non-blocking thread
     */
    boolean write(T value, Duration timeout);

    /**
     * Writes every value of {@code source} in order, requesting values from it only as they can
     * be written, and returns when the source completes. Blocks the calling fiber meanwhile.
     * The channel is not closed by this method.
     *
     * @param source the values to write
     * @throws ChannelClosedException if the channel is closed before or meanwhile, also while the
     *                                call waits for the source; the source is cancelled at once
     * @throws java.util.concurrent.CancellationException if the thread is interrupted; the source
     *                                is cancelled
     * @throws RuntimeException       the source's error (checked errors wrapped in
     *                                {@link java.util.concurrent.CompletionException})
     * @throws IllegalStateException  if called on a Reactor non-blocking thread
     */
    void writeAll(Publisher<? extends T> source);

    /**
     * Takes the next value, blocking until one is available.
     *
     * @return the value
     * @throws ChannelClosedException if the channel is closed and drained; its cause is the one
     *                                given to {@link #close(Throwable)}
     * @throws java.util.concurrent.CancellationException if the thread is interrupted before or
     *                                while blocked; nothing was taken and the interrupt status
     *                                stays set
     * @throws IllegalStateException  if called on a Reactor non-blocking thread
     */
    T read();

    /**
     * Takes the next value if one is available now. Never blocks.
     *
     * @return the value, or empty if none is available (also when closed and drained)
     */
    Optional<T> tryRead();

    /**
     * Takes the next value, blocking at most {@code timeout}.
     *
     * @param timeout how long to wait at most, not negative
     * @return the value, or empty if the timeout elapsed first
     * @throws ChannelClosedException if the channel is closed and drained (at once, not after the
     *                                timeout)
     * @throws java.util.concurrent.CancellationException if the thread is interrupted
     * @throws IllegalArgumentException if timeout is negative
     * @throws IllegalStateException  if called on a Reactor non-blocking thread
     */
    Optional<T> read(Duration timeout);

    /**
     * An iterator that takes values from this channel: {@code hasNext()} blocks until a value is
     * available or the channel is closed and drained. After {@link #close()} iteration ends
     * normally; after {@link #close(Throwable)} {@code hasNext()} throws
     * {@link ChannelClosedException} with that cause. {@code hasNext()} takes the next value from
     * the channel and keeps it for the following {@code next()}; {@code next()} without a value
     * throws {@link java.util.NoSuchElementException}. Cancellation behaves as for {@link #read()}.
     *
     * @return a single-use iterator; not thread-safe
     */
    @Override
    Iterator<T> iterator();

    /**
     * A sequential stream of the values taken from this channel, ending when it is closed and
     * drained. Like {@link #iterator()}, it blocks while waiting for values.
     *
     * @return a new ordered, non-null stream
     */
    Stream<T> stream();

    /**
     * A reactive view of this channel: each subscriber becomes one more consumer, competing with
     * the other consumers for values (each value goes to one consumer only). A subscriber takes
     * values from the channel only against its demand, so values it did not request stay in the
     * channel for other consumers; cancelling loses nothing that was not received (a value caught
     * in flight by a cancel goes to {@code onDrop}). The Flux completes once the channel is closed
     * and drained, or errors with the cause given to {@link #close(Throwable)}. Signals are
     * delivered on the thread that requested or on the thread that wrote the value. A subscriber
     * with no demand still gets the completion or error once the channel is closed and drained.
     * The Flux is backed by a Reactor {@code Sinks.Many} per subscriber.
     *
     * @return a cold Flux; every subscription is a new consumer
     */
    Flux<T> asFlux();

    /**
     * Closes the channel: later writes throw {@link ChannelClosedException}; blocked writers wake
     * and throw it (their values not enqueued); buffered values stay readable, after which reads
     * throw it, iteration ends and {@link #asFlux()} completes. Idempotent.
     */
    void close();

    /**
     * Closes the channel with a cause: like {@link #close()}, but readers that find the channel
     * drained get a {@link ChannelClosedException} whose cause is {@code cause}, and
     * {@link #asFlux()} subscribers get {@code cause} itself as the error. Only the first close
     * counts.
     *
     * @param cause why the channel was closed, not null
     */
    void close(Throwable cause);

    /**
     * Whether {@code close} was called. A closed channel may still hold buffered values.
     *
     * @return true once closed
     */
    boolean isClosed();

    /**
     * How many values are buffered now (a snapshot; always 0 for a rendezvous channel).
     *
     * @return the number of buffered values
     */
    int size();

    /**
     * The capacity: 0 for rendezvous, {@link #UNBOUNDED} for an unbounded channel.
     *
     * @return the capacity given at creation
     */
    int capacity();

    /**
     * The channel's name, used in exception messages, logs and the fiber dump; {@code "channel"}
     * unless set with {@link Builder#name}. Never blocks.
     *
     * @return the name
     */
    String name();

    /**
     * Describes a channel to build. Not thread-safe; every method returns this builder.
     *
     * @param <T> the type of the values carried
     */
    interface Builder<T> {
        /**
         * Names the channel: the name appears in exception messages, logs and the fiber dump, and a
         * named channel is registered (weakly) for the metrics of {@code QFiberMetrics}, tagged
         * with its name (channels sharing a name are reported together).
         *
         * @param name the name, not null
         * @return this builder
         */
        Builder<T> name(String name);

        /**
         * Sets the capacity: 0 for rendezvous, {@link #UNBOUNDED} for unbounded.
         *
         * @param capacity {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if capacity is negative
         */
        Builder<T> capacity(int capacity);

        /**
         * Sets what happens to writes while the buffer is full; {@link Overflow#BLOCK} by default.
         * A dropping policy needs a capacity of at least 1.
         *
         * @param overflow the policy, not null
         * @return this builder
         */
        Builder<T> overflow(Overflow overflow);

        /**
         * Sets the consumer of dropped values: those dropped by the overflow policy, and values
         * taken for a Flux subscriber whose cancel raced with their delivery. It runs on the thread
         * that dropped the value, outside any lock of the channel; what it throws is logged.
         * By default dropped values are logged at debug level.
         *
         * @param onDrop the consumer, not null
         * @return this builder
         */
        Builder<T> onDrop(Consumer<? super T> onDrop);

        /**
         * Builds the channel.
         *
         * @return a new open channel
         * @throws IllegalArgumentException if a dropping overflow policy is combined with capacity 0
         */
        Channel<T> build();
    }
}
