package io.qfiber.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A channel of capacity 0: a write returns only once a reader has taken the value.
 *
 * <p>A writer first tries to hand its value straight to a waiting reader
 * ({@link WaiterList#handOffToFirst}). When none waits, it enqueues an {@link Offer} into a
 * lock-free queue, wakes a reader if one has started waiting meanwhile, and waits on its offer.
 * Readers take offers by CAS from WAITING to TAKEN; a writer that gives up (cancelled, timed out,
 * closed) CASes its offer from WAITING to CANCELLED. Exactly one CAS wins, so a value is either
 * taken once or not at all, and a writer that lost the race to a reader returns normally: its
 * value was delivered.
 *
 * <p>Close: the closed flag is set first, then every queued offer is cancelled and its writer
 * woken. A writer re-checks the flag after enqueueing its offer, so an offer enqueued during
 * close is cancelled by one side or the other.
 */
final class RendezvousChannel<T> extends AbstractChannel<T> {
    private final SegmentQueue<Offer> offers = new SegmentQueue<>();
    private volatile boolean closed;

    RendezvousChannel(String name, java.util.function.@Nullable Consumer<? super T> onDrop) {
        super(name, 0, onDrop);
    }

    @Override
    @Nullable T poll() {
        for (;;) {
            Offer o = offers.poll();
            if (o == null) {
                return null;
            }
            if (o.take()) {
                @SuppressWarnings("unchecked")
                T v = (T) o.value;
                o.wakeWriter();
                return v;
            }
        }
    }

    @Override
    boolean hasReadable() {
        return !offers.isEmpty();
    }

    @Override
    boolean isDrained() {
        return closed;
    }

    @Override
    public int size() {
        return 0;
    }

    @Override
    boolean offer(T value) {
        if (closed) {
            throw closedException("write");
        }
        return readers.handOffToFirst(value);
    }

    @Override
    boolean put(T value, long deadline) {
        if (closed) {
            throw closedException("write");
        }
        if (!readers.isEmpty() && readers.handOffToFirst(value)) {
            return true;
        }
        Offer o = new Offer(value);
        offers.offer(o);
        if (!readers.isEmpty()) {
            readers.wakeOne();
        }
        if (closed && o.cancel()) {
            throw closedException("write");
        }
        int spins = Blocking.SPINS;
        while (o.state == Offer.WAITING) {
            if (Thread.currentThread().isInterrupted()) {
                if (o.cancel()) {
                    throw Blocking.cancelled();
                }
                break;
            }
            if (Blocking.expired(deadline)) {
                if (o.cancel()) {
                    return false;
                }
                break;
            }
            if (spins > 0) {
                spins--;
                Thread.onSpinWait();
            } else {
                // Announce the park, then re-check: a reader that takes the offer after this
                // announcement sees it and unparks us (both sides write, then read, volatiles).
                o.writerParked = true;
                if (o.state == Offer.WAITING) {
                    Blocking.park(this, deadline);
                }
            }
        }
        if (o.state == Offer.TAKEN) {
            return true;
        }
        throw closedException("write");
    }

    @Override
    void closeBuffer() {
        closed = true;
        for (Offer o = offers.poll(); o != null; o = offers.poll()) {
            if (o.cancel()) {
                LockSupport.unpark(o.writer);
            }
        }
    }

    /** A writer waiting for its value to be taken. */
    private static final class Offer {
        static final int WAITING = 0;
        static final int TAKEN = 1;
        static final int CANCELLED = 2;
        static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Offer.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Object value;
        final Thread writer = Thread.currentThread();
        volatile int state;
        // Set by the writer before it parks; a writer still spinning needs no unpark, which
        // saves the permit round trip on the fast path.
        volatile boolean writerParked;

        void wakeWriter() {
            if (writerParked) {
                LockSupport.unpark(writer);
            }
        }

        Offer(Object value) {
            this.value = value;
        }

        boolean take() {
            return STATE.compareAndSet(this, WAITING, TAKEN);
        }

        boolean cancel() {
            return STATE.compareAndSet(this, WAITING, CANCELLED);
        }
    }
}
