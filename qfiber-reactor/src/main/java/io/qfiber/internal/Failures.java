package io.qfiber.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * How failures cross from one thread or layer to a blocking caller, in one place: unwrapping,
 * rethrowing and turning causes into the I/O exceptions the API promises.
 */
public final class Failures {
    private Failures() {}

    /**
     * The failure a caller should see: the cause of a {@link CompletionException}, else the error.
     *
     * @param error what was caught or signalled
     * @return its cause when it is a CompletionException with one, else {@code error}
     */
    public static Throwable unwrap(Throwable error) {
        Throwable cause = error.getCause();
        return error instanceof CompletionException && cause != null ? cause : error;
    }

    /**
     * How an error signalled on another thread reaches a blocking caller: unchecked exceptions as
     * they are, errors thrown from here, checked ones wrapped in {@link CompletionException}.
     *
     * @param error the error signalled
     * @return the exception to throw
     */
    public static RuntimeException rethrow(Throwable error) {
        if (error instanceof RuntimeException re) {
            return re;
        }
        if (error instanceof Error err) {
            throw err;
        }
        return new CompletionException(error);
    }

    /**
     * The cause as an {@link IOException}, wrapping it when it is not one.
     *
     * @param cause the cause, or null
     * @return the IOException
     */
    public static IOException asIOException(@Nullable Throwable cause) {
        return cause instanceof IOException io ? io : new IOException(cause);
    }

    /**
     * An I/O failure naming the operation, keeping the cause.
     *
     * @param what  the operation ("send to /127.0.0.1:80")
     * @param cause the cause, or null when the connection was closed
     * @return the exception
     */
    public static UncheckedIOException ioFailure(String what, @Nullable Throwable cause) {
        String reason = cause == null || cause instanceof ClosedChannelException ? "the connection was closed"
                : cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        return new UncheckedIOException(what + " failed: " + reason, asIOException(cause));
    }

    /**
     * The failure of a socket that was closed before its first use.
     *
     * @param cause why, or null
     * @return the exception
     */
    public static UncheckedIOException closedBeforeUse(@Nullable Throwable cause) {
        SocketException closed = new SocketException("connection closed before it could be used");
        if (cause != null) {
            closed.initCause(cause);
        }
        return new UncheckedIOException(closed.getMessage(), closed);
    }
}
