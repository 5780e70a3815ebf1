package io.qfiber;

import org.jspecify.annotations.Nullable;

/**
 * Thrown by a channel operation that cannot complete because the channel is closed: a write to a
 * closed channel, or a read from a channel that is closed and drained.
 *
 * <p>When the channel was closed with {@link Channel#close(Throwable)}, {@link #getCause()} is
 * that cause.
 */
public class ChannelClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was attempted on which channel
     * @param cause   the cause the channel was closed with, or null after a plain {@code close()}
     */
    public ChannelClosedException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
