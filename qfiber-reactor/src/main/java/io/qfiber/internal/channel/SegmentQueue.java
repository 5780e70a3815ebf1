package io.qfiber.internal.channel;

import io.qfiber.internal.FieldHandles;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * An unbounded lock-free multi-producer multi-consumer FIFO of non-null values, made of linked
 * array segments (the fetch-and-add array queue of Correia and Ramalhete). Memory grows one
 * segment of {@value #SEGMENT_SIZE} slots at a time, the first one on the first offer, so a queue
 * that never held a value costs two null fields; consumed segments become garbage as the head
 * moves on.
 *
 * <p>Algorithm: an enqueuer takes a slot index in the tail segment by fetch-and-add and CASes its
 * value into the slot; a dequeuer takes an index in the head segment by fetch-and-add and swaps
 * the slot to {@link #TAKEN}. When a dequeuer reaches a slot before its enqueuer, the swap leaves
 * {@code TAKEN} behind, the enqueuer's CAS fails and it retries with a new index; the dequeuer
 * retries too. A full segment is followed by a new one, linked by CAS. Linearizable, so values
 * keep FIFO order per producer.
 *
 * <p>The rendezvous channel queues its waiting writers' offers here (buffered channels use
 * {@link TicketCells}); blocking and closing are not this class's business.
 */
final class SegmentQueue<T> {
    static final int SEGMENT_SIZE = 128;
    private static final Object TAKEN = new Object();
    /** How long a dequeuer waits for the enqueuer of a slot it reached first. */
    private static final int POLL_SPINS = 64;

    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static {
        MethodHandles.Lookup l = MethodHandles.lookup();
        HEAD = FieldHandles.find(l, SegmentQueue.class, "head", Segment.class);
        TAIL = FieldHandles.find(l, SegmentQueue.class, "tail", Segment.class);
    }

    // Both null until the first offer. The first segment is published to readers (head) first,
    // then to writers (tail), and a writer enqueues only once it sees tail: so a value is never in
    // a segment that readers cannot reach. (Published the other way round, a second writer could
    // enqueue while head was still null; a reader woken by that value found the queue empty and
    // parked again, and the first writer's one wake-up then served two values: a lost wake-up.)
    private volatile @Nullable Segment head;
    private volatile @Nullable Segment tail;

    private final int segmentSize;

    SegmentQueue() {
        this.segmentSize = SEGMENT_SIZE;
    }

    private void installFirstSegment() {
        Segment s = new Segment(segmentSize);
        if (HEAD.compareAndSet(this, null, s)) {
            tail = s;
        } else {
            while (tail == null) {
                Thread.onSpinWait(); // the winner sets tail right after its CAS
            }
        }
    }

    /**
     * Appends a value. Never blocks; lock-free.
     *
     * @param value not null
     */
    void offer(T value) {
        for (;;) {
            Segment t = tail;
            if (t == null) {
                installFirstSegment();
                continue;
            }
            int i = (int) Segment.ENQ.getAndAdd(t, 1);
            if (i < segmentSize) {
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
                Segment fresh = new Segment(segmentSize);
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
            if (h == null) {
                return null;
            }
            if (h.deqIndex >= h.enqIndex && h.next == null) {
                return null;
            }
            int i = (int) Segment.DEQ.getAndAdd(h, 1);
            if (i >= segmentSize) {
                Segment next = h.next;
                if (next == null) {
                    return null;
                }
                HEAD.compareAndSet(this, h, next);
                continue;
            }
            // The slot is ours. Its enqueuer has taken the index already and is about to store:
            // give it a moment rather than poisoning the slot at once, which would make it retry
            // (the common race when a reader polls an almost empty queue).
            for (int spins = POLL_SPINS; spins > 0 && Segment.SLOTS.getVolatile(h.slots, i) == null; spins--) {
                Thread.onSpinWait();
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
        return h == null || h.deqIndex >= Math.min(h.enqIndex, segmentSize) && h.next == null;
    }

    /**
     * A segment. Writers update {@code enqIndex} and readers {@code deqIndex} on every value, so the
     * two live on different cache lines (superclass fields come first, padding in between).
     */
    static final class Segment extends SegmentDeqIndex {
        static final VarHandle ENQ;
        static final VarHandle DEQ;
        static final VarHandle NEXT;
        static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);

        static {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ENQ = FieldHandles.find(l, SegmentEnqIndex.class, "enqIndex", int.class);
            DEQ = FieldHandles.find(l, SegmentDeqIndex.class, "deqIndex", int.class);
            NEXT = FieldHandles.find(l, Segment.class, "next", Segment.class);
        }

        final Object[] slots;
        volatile @Nullable Segment next;

        Segment(int size) {
            slots = new Object[size];
        }
    }

    /** Writers' index. */
    abstract static class SegmentEnqIndex {
        volatile int enqIndex;
    }

    /** Padding between the indexes. */
    abstract static class SegmentPad extends SegmentEnqIndex {
        @SuppressWarnings("unused")
        private long p0, p1, p2, p3, p4, p5, p6, p7;
    }

    /** Readers' index, then padding before the slots reference and link. */
    abstract static class SegmentDeqIndex extends SegmentPad {
        volatile int deqIndex;
        @SuppressWarnings("unused")
        private long q0, q1, q2, q3, q4, q5, q6, q7;
    }
}
