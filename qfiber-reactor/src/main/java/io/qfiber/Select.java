package io.qfiber;

import io.qfiber.internal.channel.AbstractChannel;
import io.qfiber.internal.channel.ReadClause;
import io.qfiber.internal.channel.WriteClause;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.select.SelectClause;
import io.qfiber.internal.select.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Waits on several channels, fibers and Monos at once and runs the handler of exactly one clause
 * that fires: Go's {@code select}, with Kotlin's {@code onJoin} and {@code onAwait} besides.
 *
 * <pre>{@code
 * String what = Select.<String>create()
 *         .onRead(orders, order -> "order " + order.id())
 *         .onRead(cancels, id -> "cancel " + id)
 *         .onWrite(audit, entry, () -> "audited")
 *         .onTimeout(Duration.ofSeconds(1), () -> "idle")
 *         .select();
 * }</pre>
 *
 * <p><b>Exactly one clause fires.</b> {@link #select()} blocks until one clause can complete,
 * completes it, runs its handler and returns the handler's result. The other clauses take and put
 * nothing, also when other readers, writers, Flux subscribers, selects, closes and cancellations
 * race with it: an {@code onRead} that did not fire has taken no value, an {@code onWrite} that did
 * not fire has enqueued nothing (on a rendezvous channel it fires only when a reader took the
 * value).
 *
 * <p><b>Fairness.</b> Among clauses ready at once the choice is random, so none starves. An
 * {@code onTimeout} fires only when no other clause is ready at its deadline, which is computed
 * once when {@code select()} starts.
 *
 * <p><b>Closed channels and failures.</b> A clause whose channel is closed (and drained, for
 * reads) fires by throwing {@link ChannelClosedException} from {@code select()}; an
 * {@code onJoin} of a failed or cancelled fiber fires by throwing as {@link Fiber#join()} would
 * ({@link java.util.concurrent.CompletionException} with the failure as cause, or
 * {@link java.util.concurrent.CancellationException}); an {@code onAwait} of a failing Mono fires
 * by throwing its error as {@link Fiber#await} would.
 *
 * <p><b>Cancellation.</b> If the selecting fiber is cancelled (its thread interrupted) before a
 * clause fired, {@code select()} throws {@link java.util.concurrent.CancellationException} having
 * taken and put nothing; the interrupt status stays set. Every {@code onAwait} subscription that
 * did not fire is cancelled when {@code select()} returns or throws.
 *
 * <p><b>Threads.</b> {@code select()} works in fibers, threaded fibers and platform threads; on a
 * Reactor non-blocking thread it throws {@link IllegalStateException} at once, like every blocking
 * call of the library. Configure a {@code Select} in one thread; once configured, {@code select()}
 * may be called any number of times (each call waits anew, with its own deadline), also from
 * several threads at once. Handlers run on the selecting thread, after the clause completed.
 *
 * @param <R> what {@link #select()} returns: the result of the handler that ran
 */
public final class Select<R> {
    private final List<Arm<R>> arms = new ArrayList<>();
    private @Nullable Duration timeout;
    private @Nullable Supplier<? extends R> onTimeout;

    private Select() {}

    /**
     * A select with no clauses yet.
     *
     * @param <R> what {@link #select()} returns
     * @return a new select
     */
    public static <R> Select<R> create() {
        return new Select<>();
    }

    /**
     * Adds a clause that reads one value from {@code channel}; its handler gets the value.
     *
     * @param channel the channel to read
     * @param then    the handler, run on the selecting thread with the value read
     * @param <T>     the value type
     * @return this select
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the channel was not created by {@link Channel}'s
     *                                  factories, or if this select also writes to the same
     *                                  rendezvous channel
     */
    public <T> Select<R> onRead(Channel<T> channel, Function<? super T, ? extends R> then) {
        AbstractChannel<T> c = ours(channel);
        Objects.requireNonNull(then, "then");
        refuseReadAndWriteOfOneRendezvous(c, true);
        arms.add(new Arm<>(c, true, () -> new ReadClause<>(c), result -> then.apply(cast(result))));
        return this;
    }

    /**
     * Adds a clause that writes {@code value} to {@code channel}: it fires once the channel took
     * the value (a buffered channel had room, or applied its overflow policy; a rendezvous
     * channel's reader took it).
     *
     * @param channel the channel to write
     * @param value   the value, not null
     * @param then    the handler, run on the selecting thread after the write
     * @param <T>     the value type
     * @return this select
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the channel was not created by {@link Channel}'s
     *                                  factories, or if this select also reads the same
     *                                  rendezvous channel
     */
    public <T> Select<R> onWrite(Channel<T> channel, T value, Supplier<? extends R> then) {
        AbstractChannel<T> c = ours(channel);
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(then, "then");
        refuseReadAndWriteOfOneRendezvous(c, false);
        arms.add(new Arm<>(c, false, () -> new WriteClause<>(c, value), result -> then.get()));
        return this;
    }

    /**
     * Adds a clause that fires when no other clause has fired within {@code timeout} of the start
     * of {@link #select()}. At most one per select.
     *
     * @param timeout how long to wait at most, not negative
     * @param then    the handler
     * @return this select
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if timeout is negative
     * @throws IllegalStateException    if this select already has an {@code onTimeout} clause
     */
    public Select<R> onTimeout(Duration timeout, Supplier<? extends R> then) {
        Blocking.checkTimeout(timeout);
        Objects.requireNonNull(then, "then");
        if (this.timeout != null) {
            throw new IllegalStateException("this select already has an onTimeout clause");
        }
        this.timeout = timeout;
        this.onTimeout = then;
        return this;
    }

    /**
     * Adds a clause that fires when {@code fiber} ends: its handler gets the fiber's value; a
     * failed or cancelled fiber makes {@link #select()} throw as {@link Fiber#join()} would.
     *
     * @param fiber the fiber to wait for, joinable
     * @param then  the handler, run on the selecting thread with the fiber's value
     * @param <T>   the fiber's result type
     * @return this select
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the fiber is detached
     */
    public <T> Select<R> onJoin(Fiber<T> fiber, Function<? super T, ? extends R> then) {
        Objects.requireNonNull(fiber, "fiber");
        Objects.requireNonNull(then, "then");
        fiber.checkJoinableBy("join");
        arms.add(new Arm<>(fiber, false, () -> {
            fiber.checkJoinableBy("join");
            return new SelectClause.Join(fiber, fiber.outcome(), fiber::endWaiters);
        }, result -> then.apply(cast(result))));
        return this;
    }

    /**
     * Adds a clause that subscribes to {@code mono} when {@link #select()} starts and fires with
     * its value (null when it completes empty); an error makes {@code select()} throw it as
     * {@link Fiber#await} would. The subscription carries the selecting fiber's
     * {@link Fiber#context()} and is cancelled if another clause fires, or if the select is
     * cancelled. Each call of {@code select()} subscribes anew.
     *
     * @param mono the Mono to await
     * @param then the handler, run on the selecting thread with the value or null
     * @param <T>  the value type
     * @return this select
     * @throws NullPointerException if an argument is null
     */
    public <T> Select<R> onAwait(Mono<T> mono, Function<? super @Nullable T, ? extends R> then) {
        Objects.requireNonNull(mono, "mono");
        Objects.requireNonNull(then, "then");
        arms.add(new Arm<>(mono, false, () -> new SelectClause.Await<>(mono, Fiber.context()),
                result -> then.apply(cast(result))));
        return this;
    }

    /**
     * Blocks until exactly one clause fires, then runs its handler and returns its result.
     *
     * @return the result of the handler that ran
     * @throws ChannelClosedException if the clause that fired is on a closed channel (drained, for
     *                                reads)
     * @throws java.util.concurrent.CompletionException   if an {@code onJoin} fiber failed (cause:
     *                                the failure), or an {@code onAwait} Mono failed with a checked
     *                                exception
     * @throws java.util.concurrent.CancellationException if the calling fiber is cancelled before a
     *                                clause fired (nothing taken or put), or an {@code onJoin} fiber
     *                                was cancelled
     * @throws IllegalStateException  if the select has no clause, an {@code onJoin} fiber is the
     *                                caller itself, or on a Reactor non-blocking thread
     * @throws RuntimeException       what a handler or a failing {@code onAwait} Mono throws
     */
    public R select() {
        if (arms.isEmpty() && timeout == null) {
            throw new IllegalStateException("select has no clauses");
        }
        Blocking.enter("Select.select");
        long deadline = timeout != null ? Blocking.deadline(timeout) : Blocking.NO_DEADLINE;
        int n = arms.size();
        SelectClause[] clauses = new SelectClause[n];
        for (int i = 0; i < n; i++) {
            clauses[i] = arms.get(i).clause.get();
        }
        int fired = Selector.select(clauses, deadline);
        if (fired < 0) {
            Supplier<? extends R> then = onTimeout;
            assert then != null;
            return then.get();
        }
        return arms.get(fired).then.apply(clauses[fired].result);
    }

    private static <T> AbstractChannel<T> ours(Channel<T> channel) {
        Objects.requireNonNull(channel, "channel");
        if (channel instanceof AbstractChannel<T> c) {
            return c;
        }
        throw new IllegalArgumentException("channel must be created by Channel's factories, was "
                + channel.getClass().getName());
    }

    private void refuseReadAndWriteOfOneRendezvous(AbstractChannel<?> channel, boolean reading) {
        if (channel.capacity() != 0) {
            return;
        }
        for (Arm<R> a : arms) {
            if (a.target == channel && a.reading != reading) {
                throw new IllegalArgumentException("a select cannot both read and write rendezvous channel '"
                        + channel.name() + "': it would have to meet itself");
            }
        }
    }

    // A clause's result is null where its type allows it (a write, an empty Mono, a Runnable
    // fiber's join): the handler's parameter type says so, which the checker cannot follow here.
    @SuppressWarnings({"unchecked", "NullAway"})
    private static <T> T cast(@Nullable Object value) {
        return (T) value;
    }

    /** A configured clause: a factory for its per-call state, and its handler. */
    private record Arm<R>(Object target, boolean reading, Supplier<SelectClause> clause,
                          Function<@Nullable Object, ? extends R> then) {}
}
