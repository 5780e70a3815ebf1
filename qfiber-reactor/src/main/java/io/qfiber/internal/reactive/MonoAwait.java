package io.qfiber.internal.reactive;

import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * {@code Fiber.await(Mono)}: subscribes and parks the caller until the Mono signals; the parked
 * thread reads {@code done} after every wake-up.
 */
public final class MonoAwait<T> extends MonoSignal<T> {
    private final Thread waiter = Thread.currentThread();

    private MonoAwait(ContextView context) {
        super(context);
    }

    /**
     * Subscribes to {@code mono} and waits for its signal.
     *
     * @param mono the Mono
     * @param <T>  value type
     * @return the value or null
     */
    public static <T> @Nullable T await(Mono<T> mono) {
        return await(mono, Context.empty());
    }

    /**
     * Subscribes to {@code mono} with {@code context} as the subscriber's Reactor context and
     * waits for its signal.
     *
     * @param mono    the Mono
     * @param context the context the subscription carries
     * @param <T>     value type
     * @return the value or null
     */
    public static <T> @Nullable T await(Mono<T> mono, ContextView context) {
        MonoAwait<T> s = new MonoAwait<>(context);
        mono.subscribe(s);
        WaitRecord rec = s.isDone() ? null : WaitRecord.begin(WaitKind.AWAIT, mono);
        try {
            Blocking.parkUntil(s::isDone, s, Blocking.NO_DEADLINE);
        } catch (CancellationException e) {
            s.cancel();
            throw e;
        } finally {
            WaitRecord.end(rec);
        }
        return s.outcome();
    }

    @Override
    protected void signalled() {
        Blocking.unpark(waiter);
    }
}
