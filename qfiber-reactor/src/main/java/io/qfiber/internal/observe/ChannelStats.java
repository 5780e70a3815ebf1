package io.qfiber.internal.observe;

/**
 * What the metrics read of a named channel: the channel engine implements it, so the
 * observability code depends on this view and not on the engine.
 */
public interface ChannelStats {
    /**
     * The channel's name.
     *
     * @return the name given at build time
     */
    String name();

    /**
     * Whether the channel is closed and nothing is left to read: its counts will not move again.
     *
     * @return true once closed and drained
     */
    boolean isFinished();

    /**
     * Values buffered now.
     *
     * @return the count
     */
    int size();

    /**
     * The buffer capacity.
     *
     * @return 0 for rendezvous, {@link Integer#MAX_VALUE} for unbounded
     */
    int capacity();

    /**
     * Blocked readers and Flux subscribers with demand.
     *
     * @return the count now
     */
    int readersWaiting();

    /**
     * Blocked writers.
     *
     * @return the count now
     */
    int writersWaiting();

    /**
     * Values written since the channel was built.
     *
     * @return the count
     */
    long writtenCount();

    /**
     * Values taken by readers and Flux subscribers.
     *
     * @return the count
     */
    long readCount();

    /**
     * Values dropped by the overflow policy.
     *
     * @return the count
     */
    long droppedCount();
}
