package io.qfiber.nats.internal;

import io.qfiber.Channel;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Waiting for the NATS server's answers from fibers: bounded, since an answer lost with a
 * connection may never come, and parking the fiber rather than blocking a carrier.
 */
final class ServerAnswers {
    /** How long a cancelled caller waits to learn whether its request took effect, per try. */
    static final Duration ANSWER_WAIT = Duration.ofSeconds(5);
    /**
     * The wait of a request that is safe to repeat (a publish with a message id, an ack): an
     * answer lost with a node of a cluster is asked for again this soon, so a request repeated
     * through a leader election is answered about this long after the new leader took over.
     * A slow server answers the first request or a repeat of it; the server stores a value and
     * applies an ack once however often they are sent.
     */
    static final Duration RETRY_WAIT = Duration.ofSeconds(1);

    private ServerAnswers() {}

    /**
     * Parks the calling fiber (or thread) until the server's answer, at most {@code wait}.
     *
     * @param future the answer to come
     * @param wait   how long to wait for it
     * @param <V>    its type
     * @return the answer
     * @throws CancellationException if the caller is cancelled meanwhile (the request goes on)
     * @throws CompletionException   with the failure, or a {@link TimeoutException} when no answer came
     */
    static <V> V answer(CompletableFuture<V> future, Duration wait) {
        if (!future.isDone()) {
            Channel<Boolean> done = Channel.create(1);
            future.whenComplete((v, e) -> done.tryWrite(Boolean.TRUE));
            if (done.read(wait).isEmpty()) {
                throw new CompletionException(new TimeoutException("no answer from the NATS server in " + wait));
            }
        }
        try {
            return future.join();
        } catch (CancellationException clientGaveUp) {
            throw new CompletionException(clientGaveUp); // not the caller's cancellation
        }
    }

    /**
     * Waits for an answer whatever the interrupt status (which it keeps): a cancelled caller must
     * know whether what it asked for happened.
     *
     * @param future the answer to come
     * @return null on success, else the failure (a {@link TimeoutException} when none came)
     */
    static @Nullable Throwable awaitUninterruptibly(CompletableFuture<?> future) {
        boolean interrupted = Thread.interrupted();
        try {
            for (;;) {
                try {
                    future.get(ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    return null;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    return e.getCause();
                } catch (TimeoutException e) {
                    return e;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
