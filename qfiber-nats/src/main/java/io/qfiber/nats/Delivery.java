package io.qfiber.nats;

/**
 * A value received from a remote channel with {@link RemoteChannel#receive()}, held by this
 * reader until it is acknowledged. If it is neither acked nor nak'd within the channel's
 * {@code redeliverAfter}, or the process dies, the server hands it to another reader: processing
 * is at least once. Thread-safe; {@code ack} and {@code nak} act once (later calls do nothing).
 *
 * @param <T> the value type
 */
public interface Delivery<T> {
    /**
     * The value.
     *
     * @return the value
     */
    T value();

    /**
     * Acknowledges the value: the server removes it and never delivers it again. Blocks the
     * calling fiber until the server has confirmed.
     *
     * @throws java.io.UncheckedIOException if the server could not confirm (the value may then
     *                                      be delivered again after {@code redeliverAfter})
     * @throws java.util.concurrent.CancellationException if the fiber is cancelled while waiting
     *                                      for the confirmation (the ack may still take effect)
     * @throws IllegalStateException        if called on a Reactor non-blocking thread
     */
    void ack();

    /**
     * Hands the value back: the server delivers it to a reader (possibly this one) at once.
     * Never blocks.
     */
    void nak();

    /**
     * How many times the server has handed this value out, this delivery included (also to
     * processes that handed it back unread because their readers had left).
     *
     * @return 1 on the first delivery
     */
    int deliveries();
}
