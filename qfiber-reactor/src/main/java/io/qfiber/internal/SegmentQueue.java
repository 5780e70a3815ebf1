package io.qfiber.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * An unbounded lock-free multi-producer multi-consumer FIFO of non-null values, made of linked
 * array segments (the fetch-and-add array queue of Correia and Ramalhete). Memory grows one
 * segment of {@value #SEGMENT_SIZE} slots at a time, so an empty or nearly empty queue is small,
 * and consumed segments become garbage as the head moves on.
 *
 * <p>Algorithm: an enqueuer takes a slot index in the tail segment by fetch-and-add and CASes its
 * value into the slot; a dequeuer takes an index in the head segment by fetch-and-add and swaps
 * the slot to {@link #TAKEN}. When a dequeuer reaches a slot before its enqueuer, the swap leaves
 * {@code TAKEN} behind, the enqueuer's CAS fails and it retries with a new index; the dequeuer
 * retries too. A full segment is followed by a new one, linked by CAS. Linearizable, so values
 * keep FIFO order per producer.
 *
 * <p>Boundedness, blocking and closing are not this class's business: the channels count slots
 * in a separate state word.
 */
final class SegmentQueue<T> {
    static final int SEGMENT_SIZE = 32;
    private static final Object TAKEN = new Object();

    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(SegmentQueue.class, "head", Segment.class);
            TAIL = l.findVarHandle(SegmentQueue.class, "tail", Segment.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile Segment head;
    private volatile Segment tail;

    SegmentQueue() {
        Segment s = new Segment();
        head = s;
        tail = s;
    }

    /**
     * Appends a value. Never blocks; lock-free.
     *
     * @param value not null
     */
    void offer(T value) {
        for (;;) {
            Segment t = tail;
            int i = (int) Segment.ENQ.getAndAdd(t, 1);
            if (i < SEGMENT_SIZE) {
                // CAS, not a plain store: a dequeuer may have marked the slot TAKEN first.
                if (Segment.SLOTS.compareAndSet(t.slots, i, null, value)) {
                    return;
                }
                continue;
            }
            if (t != tail) {
                continue;
            }
            Segment next = t.next;
            if (next == null) {
                Segment fresh = new Segment();
                fresh.slots[0] = value;
                fresh.enqIndex = 1;
                // The CAS publishes the new segment together with its first value.
                if (Segment.NEXT.compareAndSet(t, null, fresh)) {
                    TAIL.compareAndSet(this, t, fresh);
                    return;
                }
            } else {
                TAIL.compareAndSet(this, t, next);
            }
        }
    }

    /**
     * Removes the oldest value. Never blocks; lock-free.
     *
     * @return the value, or null if the queue was empty at some point during the call
     */
    @SuppressWarnings("unchecked")
    @Nullable T poll() {
        for (;;) {
            Segment h = head;
            if (h.deqIndex >= h.enqIndex && h.next == null) {
                return null;
            }
            int i = (int) Segment.DEQ.getAndAdd(h, 1);
            if (i >= SEGMENT_SIZE) {
                Segment next = h.next;
                if (next == null) {
                    return null;
                }
                HEAD.compareAndSet(this, h, next);
                continue;
            }
            // getAndSet: either we get the value, or we leave TAKEN so its enqueuer moves on.
            Object v = Segment.SLOTS.getAndSet(h.slots, i, TAKEN);
            if (v != null) {
                return (T) v;
            }
        }
    }

    /**
     * Whether the queue looks empty now (a snapshot that may be stale at once).
     *
     * @return true if no value is visible
     */
    boolean isEmpty() {
        Segment h = head;
        return h.deqIndex >= Math.min(h.enqIndex, SEGMENT_SIZE) && h.next == null;
    }

    private static final class Segment {
        static final VarHandle ENQ;
        static final VarHandle DEQ;
        static final VarHandle NEXT;
        static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                ENQ = l.findVarHandle(Segment.class, "enqIndex", int.class);
                DEQ = l.findVarHandle(Segment.class, "deqIndex", int.class);
                NEXT = l.findVarHandle(Segment.class, "next", Segment.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Object[] slots = new Object[SEGMENT_SIZE];
        volatile int enqIndex;
        volatile int deqIndex;
        volatile @Nullable Segment next;
    }
}
