package io.qfiber;

/**
 * What a bounded channel does with a write when its buffer is full.
 *
 * <p>Whatever the policy, nothing disappears silently: every value that a policy drops is passed
 * to the channel's {@code onDrop} consumer (see {@link Channel.Builder#onDrop}).
 */
public enum Overflow {
    /** The writer waits for room ({@link Channel#write} blocks, {@link Channel#tryWrite} returns false). The default. */
    BLOCK,
    /** The oldest buffered value is dropped to make room; writes never block. */
    DROP_OLDEST,
    /** The value being written is dropped; writes never block. */
    DROP_LATEST
}
