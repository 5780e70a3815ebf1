package io.qfiber.nats;

import io.qfiber.Channel;
import java.time.Duration;
import java.util.Optional;

/**
 * A {@link Channel} whose values live on a NATS JetStream server, shared by every process that
 * opens a channel of the same name on the same server or cluster. Writers anywhere fill it up to
 * its capacity; each value reaches exactly one reader anywhere.
 *
 * <h2>The local channel's rules, across processes</h2>
 * <ul>
 *   <li>{@code write} returns once the server has stored the value; it waits while the channel
 *       holds {@link #capacity()} values (received but unacked ones count), whichever process
 *       wrote them. {@code tryWrite} waits for the server's answer but not for room.</li>
 *   <li>{@code read}, iteration, {@code asFlux} and {@link #receive()} share the values across
 *       all processes. A value returned by {@code read} (or emitted by {@code asFlux}) was acked
 *       first and is never delivered again.</li>
 *   <li>A reader process holds at most a small, fixed number of values fetched ahead, however long
 *       the backlog; values it fetched but did not hand out go to other readers when it closes or
 *       dies. A fetched value older than half of {@code redeliverAfter} is handed back rather than
 *       out, so it is never delivered twice.</li>
 *   <li>{@link #close()} closes the channel for every process: later writes anywhere throw
 *       {@link io.qfiber.ChannelClosedException}; readers everywhere drain what remains, then see
 *       it closed. {@link #delete()} removes it and its values.</li>
 *   <li>Values of one writer reach a single reader in the order written.</li>
 *   <li>A lost server connection makes calls wait for it (timed calls up to their timeout); a value
 *       whose {@code write} returned survives a server restart.</li>
 *   <li>A value the codec cannot decode fails the read that meets it with an exception naming the
 *       channel and the codec's error; its bytes are moved to the channel's dead-letter stream
 *       ({@code QFIBER_DEAD_<name>}, subject {@code qfiber.<name>.dead}) and it is not
 *       redelivered.</li>
 *   <li>{@code Select} clauses on a remote channel are refused with
 *       {@link IllegalArgumentException}.</li>
 * </ul>
 *
 * <p>{@link #size()} asks the server (one request) and returns the values stored, unacked ones
 * included. Thread-safe.
 *
 * @param <T> the value type
 */
public interface RemoteChannel<T> extends Channel<T> {
    /**
     * Receives a value without acknowledging it: it stays this reader's until
     * {@link Delivery#ack()}, {@link Delivery#nak()}, or {@code redeliverAfter} passes. Blocks as
     * {@link #read()} does.
     *
     * @return the delivery
     * @throws io.qfiber.ChannelClosedException once the channel is closed and drained
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; nothing was
     *                                          received
     * @throws IllegalStateException            if called on a Reactor non-blocking thread
     */
    Delivery<T> receive();

    /**
     * Receives a value, waiting at most {@code timeout}.
     *
     * @param timeout how long to wait at most, not negative
     * @return the delivery, or empty on timeout
     * @throws io.qfiber.ChannelClosedException once the channel is closed and drained
     * @throws IllegalArgumentException         if timeout is negative
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled; nothing was
     *                                          received
     * @throws IllegalStateException            if called on a Reactor non-blocking thread
     */
    Optional<Delivery<T>> receive(Duration timeout);

    /**
     * Removes the channel and every value in it from the server, for every process. Blocked
     * callers here throw {@link io.qfiber.ChannelClosedException}; elsewhere, their next call to
     * the server fails. Blocks until the server confirms.
     *
     * @throws java.io.UncheckedIOException if the server cannot be reached
     */
    void delete();

    /**
     * Opens a remote channel: its capacity, redelivery time and replicas. Not thread-safe.
     *
     * @param <T> the value type
     */
    interface Builder<T> {
        /**
         * The most values the channel holds, across all writers and processes, received but
         * unacked ones included.
         *
         * @param capacity at least 1; default 1000 (QFiber's high-water mark)
         * @return this builder
         * @throws IllegalArgumentException if capacity is below 1 (a rendezvous cannot span processes)
         */
        Builder<T> capacity(int capacity);

        /**
         * How long a received value may stay unacked before the server gives it to another reader.
         *
         * @param ackWait positive; default 30 s
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        Builder<T> redeliverAfter(Duration ackWait);

        /**
         * How many copies a clustered server keeps of each value.
         *
         * @param replicas 1 to 5; default 1
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        Builder<T> replicas(int replicas);

        /**
         * Creates the channel on the server, or joins the one of that name. Blocks until the
         * server answers.
         *
         * @return the channel
         * @throws IllegalStateException        if a channel of that name exists with another capacity
         *                                      or redelivery time (the message names both values)
         * @throws java.io.UncheckedIOException if the server refuses or cannot be reached
         */
        RemoteChannel<T> open();
    }
}
