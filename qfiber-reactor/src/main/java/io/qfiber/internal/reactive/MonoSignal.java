package io.qfiber.internal.reactive;

import io.qfiber.internal.Failures;
import io.qfiber.internal.FieldHandles;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * A subscriber that keeps a Mono's one signal for a blocking caller: {@code Fiber.await} and
 * {@code Select.onAwait}. It requests everything, stores the value or error, then sets the
 * volatile {@code done} (so whoever reads {@code done} true sees them) and calls
 * {@link #signalled()}. The subscription is set by CAS, so a {@link #cancel()} racing
 * {@code onSubscribe} always cancels it.
 *
 * @param <T> the value type
 */
public abstract class MonoSignal<T> implements CoreSubscriber<T> {
    private static final VarHandle SUBSCRIPTION =
            FieldHandles.find(MethodHandles.lookup(), MonoSignal.class, "subscription", Subscription.class);

    private final Context context;
    private volatile @Nullable Subscription subscription;
    private @Nullable T value;
    private @Nullable Throwable error;
    private volatile boolean done;

    protected MonoSignal(ContextView context) {
        this.context = Context.of(context);
    }

    /** Called once, on the signalling thread, after the outcome is stored. */
    protected abstract void signalled();

    public final boolean isDone() {
        return done;
    }

    /**
     * The outcome, once {@link #isDone()}.
     *
     * @return the value, or null when the Mono completed empty
     * @throws RuntimeException the Mono's error, as {@link #rethrow} turns it
     */
    public final @Nullable T outcome() {
        Throwable e = error;
        if (e != null) {
            throw rethrow(e);
        }
        return value;
    }

    /** Cancels the subscription, also one that has not arrived yet. */
    public final void cancel() {
        Subscription s = (Subscription) SUBSCRIPTION.getAndSet(this, Operators.cancelledSubscription());
        if (s != null) {
            s.cancel();
        }
    }

    /**
     * How a Mono's error reaches a blocking caller: unchecked exceptions and errors as they are,
     * checked ones wrapped in {@link CompletionException}.
     *
     * @param e the error signalled
     * @return the exception to throw (errors are thrown from here)
     */
    static RuntimeException rethrow(Throwable e) {
        return Failures.rethrow(e);
    }

    @Override
    public final Context currentContext() {
        return context;
    }

    @Override
    public final void onSubscribe(Subscription s) {
        if (SUBSCRIPTION.compareAndSet(this, null, s)) {
            s.request(Long.MAX_VALUE);
        } else {
            s.cancel(); // cancelled before it arrived, or a second subscription
        }
    }

    @Override
    public final void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, context);
            return;
        }
        value = t;
        finish();
    }

    @Override
    public final void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, context);
            return;
        }
        error = t;
        finish();
    }

    @Override
    public final void onComplete() {
        if (!done) {
            finish();
        }
    }

    private void finish() {
        done = true;
        signalled();
    }
}
