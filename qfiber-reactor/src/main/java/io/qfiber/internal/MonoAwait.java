package io.qfiber.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * {@code Fiber.await(Mono)}: subscribes and parks the caller until the Mono signals. The
 * signal's fields are written before the volatile {@code done}, which the parked thread reads
 * after every wake-up.
 */
public final class MonoAwait<T> implements CoreSubscriber<T> {
    private static final VarHandle SUBSCRIPTION =
            FieldHandles.find(MethodHandles.lookup(), MonoAwait.class, "subscription", Subscription.class);
    private final Thread waiter = Thread.currentThread();
    private final Context context;
    private volatile @Nullable Subscription subscription;
    private @Nullable T value;
    private @Nullable Throwable error;
    private volatile boolean done;

    private MonoAwait(Context context) {
        this.context = context;
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
        MonoAwait<T> s = new MonoAwait<>(Context.of(context));
        mono.subscribe(s);
        WaitRecord rec = s.done ? null : WaitRecord.begin(WaitKind.AWAIT, mono);
        try {
            while (!s.done) {
                if (Thread.currentThread().isInterrupted()) {
                    // getAndSet, so that a subscription arriving concurrently is cancelled by one side.
                    Subscription sub = (Subscription) SUBSCRIPTION.getAndSet(s, Operators.cancelledSubscription());
                    if (sub != null) {
                        sub.cancel();
                    }
                    throw Blocking.cancelled();
                }
                Blocking.park(s, Blocking.NO_DEADLINE);
            }
        } finally {
            WaitRecord.end(rec);
        }
        Throwable e = s.error;
        if (e != null) {
            throw rethrow(e);
        }
        return s.value;
    }

    /**
     * How a Mono's error reaches a blocking caller: unchecked exceptions and errors as they are,
     * checked ones wrapped in {@link CompletionException}.
     *
     * @param e the error signalled
     * @return the exception to throw (errors are thrown from here)
     */
    static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException re) {
            return re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return new CompletionException(e);
    }

    @Override
    public Context currentContext() {
        return context;
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (SUBSCRIPTION.compareAndSet(this, null, s)) {
            s.request(Long.MAX_VALUE);
        } else {
            s.cancel(); // cancelled before it arrived, or a second subscription
        }
    }

    @Override
    public void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, currentContext());
            return;
        }
        value = t;
        finish();
    }

    @Override
    public void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, currentContext());
            return;
        }
        error = t;
        finish();
    }

    @Override
    public void onComplete() {
        if (!done) {
            finish();
        }
    }

    private void finish() {
        done = true;
        Blocking.unpark(waiter);
    }
}
