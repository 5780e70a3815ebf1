package io.qfiber.internal.select;

import io.qfiber.internal.fiber.WaiterList;
import io.qfiber.internal.reactive.MonoSignal;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * One clause of one {@code select()} call, as {@link Selector} drives it: try without blocking,
 * register a node for a round, unregister it, and pass on a wake-up it did not use. A clause
 * object lives for one call and is used by the selecting thread only, except where noted.
 */
public abstract class SelectClause {
    int index;
    /** The node of the current round, while registered. */
    @Nullable SelectNode node;
    /** The value the clause fired with (null for writes, empty Monos and Runnable fibers). */
    public @Nullable Object result;

    /** Once per call, before the first try (a Mono subscribes here). */
    public void start() {}

    /**
     * Performs the clause's operation if it can without blocking.
     *
     * @return true if it fired ({@link #result} set)
     * @throws RuntimeException when the clause fires by failing: a closed channel, a failed or
     *                          cancelled fiber, a failed Mono
     */
    public abstract boolean tryNow();

    /**
     * Registers {@code node} for the current round, then re-checks the condition.
     *
     * @return true if the clause may be ready now (the selector then aborts the round and tries)
     */
    public abstract boolean register(SelectNode node);

    /** Unregisters a node of an ended round; no effect if a waker already unlinked it. */
    public abstract void unregister(SelectNode node);

    /** The node won with a transfer: {@code handOff} is the value read, or a marker for a write taken. */
    public void transferred(Object handOff) {
        throw new IllegalStateException("clause " + getClass().getSimpleName() + " takes no transfers");
    }

    /** A plain wake-up for this clause was not used: pass it to the next waiter. */
    public void passOn() {}

    /** Once per call, at its end. */
    public void finish(boolean fired) {}

    /** Waits for a fiber to end: fires with its value, or by throwing as {@code join()} does. */
    public static final class Join extends SelectClause {
        private final Object fiber;
        private final CompletableFuture<?> outcome;
        private final Supplier<WaiterList> endWaiters;
        private @Nullable WaiterList waiters;

        /**
         * @param fiber      the fiber, for the fiber dump
         * @param outcome    the fiber's outcome
         * @param endWaiters the fiber's list of waiters woken when it ends (created on demand)
         */
        public Join(Object fiber, CompletableFuture<?> outcome, Supplier<WaiterList> endWaiters) {
            this.fiber = fiber;
            this.outcome = outcome;
            this.endWaiters = endWaiters;
        }

        @Override
        public boolean tryNow() {
            if (!outcome.isDone()) {
                return false;
            }
            result = outcome.join(); // CompletionException or CancellationException, as join()
            return true;
        }

        @Override
        public boolean register(SelectNode node) {
            WaiterList w = waiters;
            if (w == null) {
                w = endWaiters.get();
                waiters = w;
            }
            w.add(node);
            return outcome.isDone();
        }

        @Override
        public void unregister(SelectNode node) {
            WaiterList w = waiters;
            if (w != null) {
                w.remove(node);
            }
        }

        @Override
        public String toString() {
            return "join of " + fiber;
        }
    }

    /**
     * Waits for a Mono: subscribes once per call, fires with its value (null when empty) or by
     * throwing its error; the subscription is cancelled when another clause fires. The signal runs
     * on the Mono's thread: it publishes the outcome, then wakes the current round.
     */
    public static final class Await<T> extends SelectClause {
        private final Mono<T> mono;
        private final Subscriber<T> subscriber;
        private volatile @Nullable SelectNode watching;

        public Await(Mono<T> mono, ContextView context) {
            this.mono = mono;
            this.subscriber = new Subscriber<>(context, this);
        }

        @Override
        public void start() {
            mono.subscribe(subscriber);
        }

        @Override
        public boolean tryNow() {
            if (!subscriber.isDone()) {
                return false;
            }
            result = subscriber.outcome(); // throws the Mono's error
            return true;
        }

        @Override
        public boolean register(SelectNode node) {
            // Publish the node, then re-check: the signal publishes `done`, then reads the node.
            watching = node;
            return subscriber.isDone();
        }

        @Override
        public void unregister(SelectNode node) {
            watching = null;
        }

        @Override
        public void finish(boolean fired) {
            if (!fired) {
                subscriber.cancel();
            }
        }

        @Override
        public String toString() {
            return "await of " + mono;
        }

        private static final class Subscriber<T> extends MonoSignal<T> {
            private final Await<T> clause;

            Subscriber(ContextView context, Await<T> clause) {
                super(context);
                this.clause = clause;
            }

            @Override
            protected void signalled() {
                SelectNode n = clause.watching;
                if (n != null && n.claim(null)) {
                    n.wake();
                }
            }
        }
    }
}
