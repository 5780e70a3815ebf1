package io.qfiber.internal.channel;

import io.qfiber.internal.FieldHandles;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The cells of a buffered channel, one per ticket: the channel's writers' counter hands each
 * ticket to exactly one writer, which stores its value in that cell, and the readers' counter
 * hands the same ticket to exactly one reader, which takes the value out. The cells form a
 * conceptually infinite array, kept as a linked list of segments of a fixed size: segment
 * {@code k} holds tickets {@code [k * size, (k + 1) * size)}. A segment is created by whoever
 * reaches it first (writer or reader) and becomes garbage once both sides have moved past it.
 *
 * <p>Because the tickets are the channel's counters themselves, the channel is a linearizable
 * FIFO: a write takes effect when its ticket is handed out, a read when its ticket is. A reader
 * whose writer holds the ticket but has not stored yet waits for it: the writer is between two
 * of its own instructions (it never blocks or parks there), so the wait is a short spin.
 *
 * <p>Finding a ticket's segment: a caller reads its starting segment with {@link #writeStart()}
 * or {@link #readStart()} <em>before</em> it takes its ticket. The two segment pointers only
 * move to segments of tickets already handed out, so a start read before the ticket is never
 * past the ticket's segment, and the search only walks forward.
 */
final class TicketCells<T> {
    private static final VarHandle READ_SEGMENT;
    private static final VarHandle WRITE_SEGMENT;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
    /** Spins on a cell whose writer has its ticket but has not stored yet, before yielding. */
    private static final int STORE_SPINS = 128;
    /** Yields after the spins, before sleeping: the writer's thread was descheduled mid-store. */
    private static final int STORE_YIELDS = 16;
    /** The longest sleep between looks at such a cell. */
    private static final long MAX_STORE_SLEEP_NANOS = 100_000;

    static {
        MethodHandles.Lookup l = MethodHandles.lookup();
        READ_SEGMENT = FieldHandles.find(l, TicketCells.class, "readSegment", Segment.class);
        WRITE_SEGMENT = FieldHandles.find(l, TicketCells.class, "writeSegment", Segment.class);
    }

    private final int segmentShift;
    // Both null until the first value: a channel that never held one costs two null fields.
    // readSegment: the segment of the newest ticket a reader took (or the first one);
    // writeSegment: the segment of the newest ticket a writer stored into.
    private volatile @Nullable Segment readSegment;
    private volatile @Nullable Segment writeSegment;

    /**
     * Cells in segments of {@code segmentSize}.
     *
     * @param segmentSize a power of two, at least 2
     */
    TicketCells(int segmentSize) {
        if (segmentSize < 2 || Integer.bitCount(segmentSize) != 1) {
            throw new IllegalArgumentException("segmentSize must be a power of two >= 2, was " + segmentSize);
        }
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
    }

    /** Where a writer starts looking for its cell; read before it takes its ticket. */
    Segment writeStart() {
        Segment s = writeSegment;
        if (s == null) {
            s = readStart();
        }
        return s;
    }

    /** Where a reader starts looking for its cell; read before it takes its ticket. */
    Segment readStart() {
        Segment s = readSegment;
        if (s == null) {
            Segment first = new Segment(0, 1 << segmentShift);
            Segment witness = (Segment) READ_SEGMENT.compareAndExchange(this, (Segment) null, first);
            s = witness == null ? first : witness;
        }
        return s;
    }

    /**
     * Stores the value of a ticket. Never blocks.
     *
     * @param start from {@link #writeStart()}, read before the ticket was taken
     */
    void store(Segment start, long ticket, T value) {
        Segment s = find(start, ticket >>> segmentShift);
        SLOTS.setRelease(s.slots, (int) ticket & (s.slots.length - 1), value);
        if (s != start) {
            moveForward(WRITE_SEGMENT, s);
        }
    }

    /**
     * Takes the value of a ticket, waiting for its writer to store it if it has not yet (that
     * writer holds the ticket already and is a few instructions from the store).
     *
     * @param start from {@link #readStart()}, read before the ticket was taken
     */
    @SuppressWarnings("unchecked")
    T take(Segment start, long ticket) {
        Segment s = find(start, ticket >>> segmentShift);
        if (s != start) {
            moveForward(READ_SEGMENT, s);
        }
        int i = (int) ticket & (s.slots.length - 1);
        Object v = SLOTS.getAcquire(s.slots, i);
        long sleep = 1_000;
        for (int waits = 0; v == null; waits++) {
            if (waits < STORE_SPINS) {
                Thread.onSpinWait();
            } else if (waits < STORE_SPINS + STORE_YIELDS) {
                Thread.yield();
            } else {
                // The writer's thread is off the CPU (more threads than cores): give it ours.
                LockSupport.parkNanos(this, sleep);
                sleep = Math.min(MAX_STORE_SLEEP_NANOS, sleep * 2);
            }
            v = SLOTS.getAcquire(s.slots, i);
        }
        SLOTS.setOpaque(s.slots, i, null); // a lagging segment pointer must not keep the value alive
        return (T) v;
    }

    private Segment find(Segment start, long id) {
        assert start.id <= id : "start segment " + start.id + " is past segment " + id;
        Segment s = start;
        while (s.id < id) {
            Segment next = s.next;
            if (next == null) {
                Segment fresh = new Segment(s.id + 1, 1 << segmentShift);
                Segment witness = (Segment) Segment.NEXT.compareAndExchange(s, (Segment) null, fresh);
                next = witness == null ? fresh : witness;
            }
            s = next;
        }
        return s;
    }

    private void moveForward(VarHandle pointer, Segment to) {
        for (;;) {
            Segment cur = (Segment) pointer.getVolatile(this);
            if (cur != null && cur.id >= to.id) {
                return;
            }
            if (pointer.compareAndSet(this, cur, to)) {
                return;
            }
        }
    }

    /** A run of cells, linked forward only so that passed segments become garbage. */
    static final class Segment {
        static final VarHandle NEXT =
                FieldHandles.find(MethodHandles.lookup(), Segment.class, "next", Segment.class);

        final long id;
        final Object[] slots;
        volatile @Nullable Segment next;

        Segment(long id, int size) {
            this.id = id;
            this.slots = new Object[size];
        }
    }
}
