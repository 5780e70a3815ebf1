package io.qfiber.internal.channel;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.ThreadWaiter;
import io.qfiber.internal.fiber.Waiter;
import io.qfiber.internal.fiber.WaiterList;
import io.qfiber.internal.observe.ChannelStats;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import io.qfiber.internal.select.SelectNode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * What every channel kind shares: argument checks, the blocking reader loop, timeouts, close
 * cause, iteration, the Flux face and the publisher pump. A kind supplies the non-blocking core:
 * {@link #poll()}, {@link #offer}, {@link #put}, {@link #hasReadable()}, {@link #isDrained()} and
 * {@link #closeBuffer()}.
 *
 * <p>Readers wait in {@link #readers} with the event-count protocol of {@link WaiterList}: a
 * kind's writer wakes one reader whenever it makes a value readable while a reader waits.
 */
public abstract class AbstractChannel<T> implements Channel<T>, ChannelStats {
    private static final Logger LOG = Loggers.getLogger(Channel.class);
    private static final Object PLAIN_CLOSE = new Object();
    private static final VarHandle DROPPED_COUNT = FieldHandles.find(MethodHandles.lookup(),
            AbstractChannel.class, "droppedCount", LongAdder.class);
    private static final VarHandle CLOSE_CAUSE =
            FieldHandles.find(MethodHandles.lookup(), AbstractChannel.class, "closeCause", Object.class);
    private static final VarHandle CLOSE_WATCHERS =
            FieldHandles.find(MethodHandles.lookup(), AbstractChannel.class, "closeWatchers", WaiterList.class);


    private final String name;
    private final int capacity;
    private final @Nullable Consumer<? super T> onDrop;
    /** Blocked readers and Flux subscribers with demand, waiting for a value. */
    final WaiterList readers = new WaiterList();
    // null while open; PLAIN_CLOSE or the Throwable once closed. Set once, by CAS, before the kind
    // marks itself closed, so whoever sees the channel closed sees the cause.
    private volatile @Nullable Object closeCause;
    /**
     * Parties to wake on close whatever their demand: Flux subscribers, so that a closed channel
     * terminates their Flux even when they request nothing. Created on first use.
     */
    private volatile @Nullable WaiterList closeWatchers;
    /** Values handed to onDrop (or dropped without one); created at the first drop. */
    private volatile @Nullable LongAdder droppedCount;

    AbstractChannel(String name, int capacity, @Nullable Consumer<? super T> onDrop) {
        this.name = name;
        this.capacity = capacity;
        this.onDrop = onDrop;
    }

    // ---- the kind's non-blocking core ----

    /** Takes a value if one is readable now, waking a waiting writer if that made room. */
    abstract @Nullable T poll();

    /** Non-blocking write: true if accepted (or dropped by policy); false if it would block. */
    public abstract boolean offer(T value);

    /** Blocking write with a deadline: true if written, false on timeout. */
    abstract boolean put(T value, long deadline);

    /** Whether a value may be readable now (the re-check of the waiting protocol). */
    abstract boolean hasReadable();

    /** Whether the channel is closed and nothing more will ever be readable. */
    abstract boolean isDrained();

    @Override
    public final boolean isFinished() {
        return isClosed() && isDrained();
    }

    /** Marks the kind closed (after the cause is set) and wakes its blocked writers; idempotent. */
    abstract void closeBuffer();

    /**
     * Select: registers a writing clause's node for a round, then re-checks.
     *
     * @return true if writing may succeed now, or the channel is closed
     */
    abstract boolean registerSelectWriter(SelectNode node, T value);

    /** Select: withdraws a writing clause's node (no effect once a waker or reader has it). */
    abstract void unregisterSelectWriter(SelectNode node);

    /** Passes a writer wake-up on when the writer that got it leaves without writing. */
    abstract void passOnWriterWakeUp();

    // ---- statistics, for metrics ----

    /** Called once when the channel was given a name: starts what counting the kind needs. */
    void enableStats() {}

    /**
     * Values written so far (accepted, not dropped); for a rendezvous channel, once it has a name.
     *
     * @return the count
     */
    public abstract long writtenCount();

    /**
     * Values taken by readers so far; for a rendezvous channel, once it has a name.
     *
     * @return the count
     */
    public abstract long readCount();

    /**
     * Writers blocked now (a snapshot).
     *
     * @return the count
     */
    public abstract int writersWaiting();

    /**
     * Values dropped so far by the overflow policy.
     *
     * @return the count
     */
    public final long droppedCount() {
        LongAdder d = droppedCount;
        return d == null ? 0 : d.sum();
    }

    /**
     * Blocked readers and Flux subscribers with demand now (a snapshot).
     *
     * @return the count
     */
    public final int readersWaiting() {
        return readers.size();
    }

    // ---- Channel ----

    @Override
    public final void write(T value) {
        Objects.requireNonNull(value, "value");
        Blocking.enter("Channel.write");
        put(value, Blocking.NO_DEADLINE);
    }

    @Override
    public final boolean tryWrite(T value) {
        Objects.requireNonNull(value, "value");
        return offer(value);
    }

    @Override
    public final boolean write(T value, Duration timeout) {
        Objects.requireNonNull(value, "value");
        long deadline = Blocking.deadline(timeout);
        Blocking.enter("Channel.write");
        return put(value, deadline);
    }

    @Override
    public final void writeAll(Publisher<? extends T> source) {
        Objects.requireNonNull(source, "source");
        Blocking.enter("Channel.writeAll");
        PublisherPump.pump(source, this);
    }

    @Override
    public final T read() {
        Blocking.enter("Channel.read");
        T v = take(Blocking.NO_DEADLINE);
        assert v != null;
        return v;
    }

    @Override
    public final Optional<T> tryRead() {
        T v = poll();
        // Closing: the cause is set but the kind has not shut yet, and a write may still get in
        // before it does. Wait the few instructions until it has: returning empty here would let a
        // reader that saw the close miss a write that happened before the close took effect.
        while (v == null && isClosed() && !isDrained()) {
            Thread.onSpinWait();
            v = poll();
        }
        return Optional.ofNullable(v);
    }

    @Override
    public final Optional<T> read(Duration timeout) {
        long deadline = Blocking.deadline(timeout);
        Blocking.enter("Channel.read");
        return Optional.ofNullable(take(deadline));
    }

    @Override
    public final Iterator<T> iterator() {
        return new ChannelIterator();
    }

    @Override
    public final Stream<T> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    @Override
    public final Flux<T> asFlux() {
        return Flux.defer(() -> new FluxConsumer<>(this).flux());
    }

    @Override
    public final void close() {
        closeWith(PLAIN_CLOSE);
    }

    @Override
    public final void close(Throwable cause) {
        closeWith(Objects.requireNonNull(cause, "cause"));
    }

    private void closeWith(Object cause) {
        if (CLOSE_CAUSE.compareAndSet(this, null, cause)) {
            closeBuffer();
            readers.wakeAll();
            WaiterList watchers = closeWatchers;
            if (watchers != null) {
                watchers.wakeAll();
            }
        } else {
            // Another close won, and may not have shut the buffer yet: a close must not return
            // before writes are refused (closeBuffer is idempotent).
            closeBuffer();
        }
    }

    @Override
    public final boolean isClosed() {
        return closeCause != null;
    }

    @Override
    public final int capacity() {
        return capacity;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", capacity=" + capacity + ", size=" + size()
                + (isClosed() ? ", closed]" : "]");
    }

    // ---- shared machinery ----

    /** The cause given to {@code close(Throwable)}, or null (also while open). */
    final @Nullable Throwable closeCause() {
        return closeCause instanceof Throwable t ? t : null;
    }

    final ChannelClosedException closedException(String operation) {
        Throwable cause = closeCause();
        return new ChannelClosedException(operation + " on closed channel '" + name + "'"
                + (cause == null ? "" : " (closed with " + cause + ")"), cause);
    }

    /** Hands a value that will not be delivered to the drop consumer; never throws. */
    final void dropped(T value) {
        LongAdder d = droppedCount;
        if (d == null) {
            LongAdder fresh = new LongAdder();
            Object witness = DROPPED_COUNT.compareAndExchange(this, (LongAdder) null, fresh);
            d = witness != null ? (LongAdder) witness : fresh;
        }
        d.increment();
        if (onDrop == null) {
            if (LOG.isDebugEnabled()) {
                LOG.debug("channel '{}' dropped {}", name, value);
            }
            return;
        }
        try {
            onDrop.accept(value);
        } catch (Throwable t) {
            LOG.error("onDrop of channel '" + name + "' failed for " + value, t);
        }
    }

    /**
     * Registers a waiter to wake once on close. The caller re-checks {@link #isClosed()} after
     * this returns: a close that ran before the registration does not wake it.
     */
    final void watchClose(Waiter w) {
        WaiterList watchers = closeWatchers;
        if (watchers == null) {
            watchers = WaiterList.getOrCreate(CLOSE_WATCHERS, this);
        }
        assert watchers != null;
        watchers.add(w);
    }

    /** Unregisters a close watcher (no effect if close already woke it). */
    final void unwatchClose(Waiter w) {
        WaiterList watchers = closeWatchers;
        if (watchers != null) {
            watchers.remove(w);
        }
    }

    /** Passes a reader wake-up on when the reader that got it leaves without taking a value. */
    final void passOnReaderWakeUp() {
        if (hasReadable() || isClosed()) {
            readers.wakeOne();
        }
    }

    /**
     * The blocking reader loop: spin briefly, then wait in {@link #readers}.
     *
     * @param deadline from {@link Blocking#deadline} or {@link Blocking#NO_DEADLINE}
     * @return the value, or null on timeout
     */
    final @Nullable T take(long deadline) {
        return take(deadline, Blocking.spinBudget());
    }

    /**
     * The blocking reader loop with a chosen spin budget: 0 for waits that are long by nature
     * (network input), where spinning would only take CPU from the other threads.
     */
    @SuppressWarnings("unchecked")
    public final @Nullable T take(long deadline, int spinBudget) {
        int spins = spinBudget;
        for (;;) {
            T v = poll();
            if (v != null) {
                return v;
            }
            if (isClosed()) {
                if (isDrained()) {
                    throw closedException("read");
                }
                // Closing: the kind shuts in a moment, and a write may still get in before it.
                Thread.onSpinWait();
                continue;
            }
            if (spins > 0) {
                spins--;
                Thread.onSpinWait();
                continue;
            }
            if (Blocking.expired(deadline)) {
                return null;
            }
            ThreadWaiter w = new ThreadWaiter();
            readers.add(w);
            if (!hasReadable() && !isClosed()) {
                parkUntilWoken(w, WaitKind.READ, deadline);
            }
            if (!readers.remove(w)) {
                // Woken: the waker unlinked us, possibly handing a value over.
                Object handed = w.handOff();
                if (handed != null) {
                    return (T) handed;
                }
                if (Thread.currentThread().isInterrupted() || Blocking.expired(deadline)) {
                    passOnReaderWakeUp();
                }
            }
            if (Thread.currentThread().isInterrupted()) {
                throw Blocking.cancelled();
            }
        }
    }

    /**
     * Parks a linked waiter until it is woken, the thread is interrupted or the deadline passes,
     * with the wait recorded for the fiber dump. Kept out of the callers' loops, which stay small
     * enough to inline; nothing in here throws.
     */
    final void parkUntilWoken(ThreadWaiter w, WaitKind kind, long deadline) {
        WaitRecord rec = WaitRecord.begin(kind, this, deadline);
        while (!w.isWoken() && !Thread.currentThread().isInterrupted() && !Blocking.expired(deadline)) {
            Blocking.park(this, deadline);
        }
        WaitRecord.end(rec);
    }

    /** Iterator over a channel: hasNext() takes the next value and keeps it for next(). */
    private final class ChannelIterator implements Iterator<T> {
        private @Nullable T next;
        private boolean ended;

        @Override
        public boolean hasNext() {
            if (next != null) {
                return true;
            }
            if (ended) {
                return false;
            }
            Blocking.enter("Channel iteration");
            try {
                next = take(Blocking.NO_DEADLINE);
                return true;
            } catch (ChannelClosedException e) {
                ended = true;
                if (e.getCause() != null) {
                    throw e;
                }
                return false;
            }
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException("channel '" + name + "' is closed and drained");
            }
            T v = next;
            next = null;
            assert v != null;
            return v;
        }
    }
}
