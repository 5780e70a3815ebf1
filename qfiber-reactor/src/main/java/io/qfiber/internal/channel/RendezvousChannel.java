package io.qfiber.internal.channel;

import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.WaiterList;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import io.qfiber.internal.select.SelectNode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * A channel of capacity 0: a write returns only once a reader has taken the value.
 *
 * <p>A writer first tries to hand its value straight to a waiting reader
 * ({@link WaiterList#handOffToFirst}). When none waits, it publishes an {@link Offer}, wakes a
 * reader if one has started waiting meanwhile, and waits on its offer. The offer goes into a
 * single slot when the slot is free and no other offer is queued (one CAS for the writer, one for
 * the reader that takes it out), otherwise into a lock-free queue, where readers take offers by
 * CAS from WAITING to TAKEN and a writer that gives up (cancelled, timed out, closed) CASes it
 * from WAITING to CANCELLED. Either way exactly one CAS wins, so a value is either taken once or
 * not at all, and a writer that lost the race to a reader returns normally: its value was
 * delivered.
 *
 * <p>Close: the closed flag is set first, then every queued offer is cancelled and its writer
 * woken. A writer re-checks the flag after enqueueing its offer, so an offer enqueued during
 * close is cancelled by one side or the other.
 */
final class RendezvousChannel<T> extends AbstractChannel<T> {
    private static final VarHandle SLOT =
            FieldHandles.find(MethodHandles.lookup(), RendezvousChannel.class, "slot", Offer.class);


    private final SegmentQueue<Offer> offers = new SegmentQueue<>();
    // A writer waiting alone. Whoever CASes it out (a reader, its writer giving up, close) owns
    // it and sets its final state with a plain volatile write.
    private volatile @Nullable Offer slot;
    private volatile boolean closed;
    // Values handed over, counted once the channel has a name (null before: nothing counted).
    private volatile java.util.concurrent.atomic.@Nullable LongAdder transfers;
    // Writers waiting on their offer, counted once the channel has a name.
    private volatile java.util.concurrent.atomic.@Nullable LongAdder waitingWriters;

    RendezvousChannel(String name, java.util.function.@Nullable Consumer<? super T> onDrop) {
        super(name, 0, onDrop);
    }

    @Override
    @Nullable T poll() {
        Offer s = slot;
        if (s != null && SLOT.compareAndSet(this, s, null) && s.takeFromSlot()) {
            @SuppressWarnings("unchecked")
            T v = (T) s.value;
            s.wakeWriter();
            counted();
            return v;
        }
        for (;;) {
            Offer o = offers.poll();
            if (o == null) {
                return null;
            }
            if (o.take()) {
                @SuppressWarnings("unchecked")
                T v = (T) o.value;
                o.wakeWriter();
                counted();
                return v;
            }
        }
    }

    @Override
    boolean hasReadable() {
        return slot != null || !offers.isEmpty();
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
    public boolean offer(T value) {
        if (isClosed()) {
            throw closedException("write");
        }
        if (readers.handOffToFirst(value)) {
            counted();
            return true;
        }
        // A close raced the hand-off: it woke the waiting readers, or a reader saw it starting and
        // stopped waiting. Either way the channel is closed, so say so rather than "no reader".
        // (The close cause is set first, before the kind's own flag: check the cause.)
        if (isClosed()) {
            throw closedException("write");
        }
        return false;
    }

    @Override
    boolean put(T value, long deadline) {
        if (closed) {
            throw closedException("write");
        }
        if (!readers.isEmpty() && readers.handOffToFirst(value)) {
            counted();
            return true;
        }
        Offer o = new Offer(value);
        boolean inSlot = publish(o);
        if (closed && withdraw(o, inSlot)) {
            throw closedException("write");
        }
        int spins = Blocking.spinBudget();
        boolean parked = false; // from the first park on, the wait is recorded and counted
        WaitRecord rec = null;
        while (o.state == Offer.WAITING) {
            boolean cancelled = Thread.currentThread().isInterrupted();
            if (cancelled || Blocking.expired(deadline)) {
                if (withdraw(o, inSlot)) {
                    endParking(parked, rec);
                    if (cancelled) {
                        throw Blocking.cancelled();
                    }
                    return false;
                }
                // A reader (or close) removed the offer first and is setting its state now.
                while (o.state == Offer.WAITING) {
                    Thread.onSpinWait();
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
                if (!parked) {
                    parked = true;
                    rec = beginParking(deadline);
                }
                if (o.state == Offer.WAITING) {
                    Blocking.park(this, deadline);
                }
            }
        }
        endParking(parked, rec);
        if (o.state == Offer.TAKEN) {
            return true;
        }
        throw closedException("write");
    }

    /** Takes a writer's own offer back; false if a reader or close got to it first. */
    private boolean withdraw(Offer o, boolean inSlot) {
        if (inSlot) {
            if (SLOT.compareAndSet(this, o, null)) {
                o.state = Offer.CANCELLED;
                return true;
            }
            return false;
        }
        return o.cancel();
    }

    @Override
    void closeBuffer() {
        closed = true;
        Offer s = slot;
        if (s != null && SLOT.compareAndSet(this, s, null) && s.cancelFromSlot()) {
            s.wakeWriterAlways();
        }
        for (Offer o = offers.poll(); o != null; o = offers.poll()) {
            if (o.cancel()) {
                o.wakeWriterAlways();
            }
        }
    }

    @Override
    boolean registerSelectWriter(SelectNode node, T value) {
        if (closed) {
            return true;
        }
        // Published like a blocked writer's offer; whoever takes or cancels it must win the
        // select's round first (Offer.take/cancel), so a value is taken only from a select
        // that has not fired yet, and then fires it.
        Offer o = new Offer(value, node);
        node.attachment = o;
        publish(o);
        return closed;
    }

    /**
     * Publishes an offer where readers find it, then wakes one waiting reader. The common case,
     * one writer at a time, waits in the slot (one CAS each side); behind queued offers an offer
     * queues up too, so a writer in the queue is not overtaken for long.
     *
     * @return true if the offer went into the slot, false if it was queued
     */
    private boolean publish(Offer o) {
        boolean inSlot = offers.isEmpty() && SLOT.compareAndSet(this, null, o);
        if (!inSlot) {
            offers.offer(o);
        }
        if (!readers.isEmpty()) {
            readers.wakeOne();
        }
        return inSlot;
    }

    @Override
    void unregisterSelectWriter(SelectNode node) {
        // A queued offer of a round that has ended is dead (its take fails) and is skipped and
        // dropped by the next poll; one in the slot is removed now.
        Object o = node.attachment;
        if (o != null && slot == o) {
            SLOT.compareAndSet(this, o, null);
        }
    }

    /** A writer starts parking: recorded for the fiber dump, counted when the channel has a name. */
    private @Nullable WaitRecord beginParking(long deadline) {
        java.util.concurrent.atomic.LongAdder w = waitingWriters;
        if (w != null) {
            w.increment();
        }
        return WaitRecord.begin(WaitKind.WRITE, this, deadline);
    }

    /** The parking writer leaves (no effect if it never parked). */
    private void endParking(boolean parked, @Nullable WaitRecord rec) {
        if (parked) {
            WaitRecord.end(rec);
            java.util.concurrent.atomic.LongAdder w = waitingWriters;
            if (w != null) {
                w.decrement();
            }
        }
    }

    private void counted() {
        java.util.concurrent.atomic.LongAdder t = transfers;
        if (t != null) {
            t.increment();
        }
    }

    @Override
    void enableStats() {
        waitingWriters = new java.util.concurrent.atomic.LongAdder();
        transfers = new java.util.concurrent.atomic.LongAdder();
    }

    @Override
    public long writtenCount() {
        java.util.concurrent.atomic.LongAdder t = transfers;
        return t == null ? 0 : t.sum();
    }

    @Override
    public long readCount() {
        return writtenCount(); // every value written was taken by a reader at that moment
    }

    @Override
    public int writersWaiting() {
        java.util.concurrent.atomic.LongAdder w = waitingWriters;
        return w == null ? 0 : (int) Math.max(0, w.sum());
    }

    @Override
    void passOnWriterWakeUp() {
        // Writers are never woken for room here: a reader takes their offer instead.
    }

    /** A writer waiting for its value to be taken: a blocked writer, or a select's write clause. */
    private static final class Offer {
        static final int WAITING = 0;
        static final int TAKEN = 1;
        static final int CANCELLED = 2;
        static final Object TAKEN_BY_READER = new Object();
        static final VarHandle STATE = FieldHandles.find(MethodHandles.lookup(), Offer.class, "state", int.class);

        final Object value;
        final Thread writer = Thread.currentThread();
        /** The select clause this offer belongs to; null for a blocked writer. */
        final @Nullable SelectNode select;
        volatile int state;
        // Set by the writer before it parks; a writer still spinning needs no unpark, which
        // saves the permit round trip on the fast path.
        volatile boolean writerParked;

        Offer(Object value) {
            this(value, null);
        }

        Offer(Object value, @Nullable SelectNode select) {
            this.value = value;
            this.select = select;
        }

        void wakeWriter() {
            if (select != null) {
                select.wake();
            } else if (writerParked) {
                Blocking.unpark(writer);
            }
        }

        void wakeWriterAlways() {
            if (select != null) {
                select.wake();
            } else {
                Blocking.unpark(writer);
            }
        }

        /** A reader removed the offer from the slot, which made it the reader's alone unless it is a select's. */
        boolean takeFromSlot() {
            if (select != null) {
                return select.claim(TAKEN_BY_READER);
            }
            state = TAKEN;
            return true;
        }

        /** Close removed the offer from the slot. */
        boolean cancelFromSlot() {
            if (select != null) {
                return select.claim(null);
            }
            state = CANCELLED;
            return true;
        }

        boolean take() {
            return select != null ? select.claim(TAKEN_BY_READER) : STATE.compareAndSet(this, WAITING, TAKEN);
        }

        boolean cancel() {
            return select != null ? select.claim(null) : STATE.compareAndSet(this, WAITING, CANCELLED);
        }
    }
}
