package io.qfiber.internal.channel;

import io.qfiber.Overflow;
import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.ThreadWaiter;
import io.qfiber.internal.fiber.WaiterList;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.select.SelectNode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A channel with a buffer of capacity 1 to unbounded: a lock-free {@link SegmentQueue} for the
 * values, two counters for the slot count and the closed flag, and two
 * {@link WaiterList}s for blocked readers and writers.
 *
 * <p>Two counters, each on its own cache line so that writers and readers do not share one:
 * {@code enq} counts slots reserved by writers (bit 62 of it is CLOSED) and {@code deq} counts
 * slots released by readers. A writer reserves a slot by CAS on {@code enq} (which fails once
 * CLOSED is set, so nothing is enqueued after close), then enqueues; it reads {@code deq} only when
 * its cached copy says the buffer is full. A reader dequeues, then increments {@code deq}. Hence
 * {@code enq - deq >= values in the queue} at all times, and "closed and enq == deq" means closed
 * and drained for good.
 *
 * <p>Wake-ups follow the event-count protocol of {@link WaiterList}: a writer wakes one reader
 * after enqueueing only if a reader waits; a reader wakes one writer after releasing a slot only
 * if a writer waits. Both look at the waiter list after their own volatile update.
 */
public final class BufferedChannel<T> extends AbstractChannel<T> {
    private static final long CLOSED = 1L << 62;

    private final SegmentQueue<T> queue;
    private final long limit;
    private final Overflow overflow;
    /** Writers blocked on a full buffer. */
    private final WaiterList writers = new WaiterList();
    /** Reserved slots, plus the CLOSED bit. Written by writers and close. */
    private final PaddedCounter enq = new PaddedCounter();
    /** Released slots. Written by readers. */
    private final PaddedCounter deq = new PaddedCounter();
    // The last value of deq a writer saw: deq only grows, so a stale copy only makes the buffer
    // look fuller, and the writer then reads deq itself. Opaque: no ordering needed.
    private long cachedDeq;

    BufferedChannel(String name, int capacity, Overflow overflow, @Nullable Consumer<? super T> onDrop) {
        this(name, capacity, overflow, onDrop, SegmentQueue.SEGMENT_SIZE);
    }

    /** With a chosen segment size: small for short-lived channels that hold few values. */
    public BufferedChannel(String name, int capacity, Overflow overflow, @Nullable Consumer<? super T> onDrop, int segmentSize) {
        super(name, capacity, onDrop);
        this.queue = new SegmentQueue<>(segmentSize);
        this.limit = capacity == UNBOUNDED ? Long.MAX_VALUE : capacity;
        this.overflow = overflow;
    }

    private static final VarHandle CACHED_DEQ =
            FieldHandles.find(MethodHandles.lookup(), BufferedChannel.class, "cachedDeq", long.class);

    private static long count(long s) {
        return s & ~CLOSED;
    }

    @Override
    @Nullable T poll() {
        T v = queue.poll();
        if (v != null) {
            // Release the slot (a volatile RMW), then look for a writer waiting for room.
            deq.getAndAdd(1L);
            if (!writers.isEmpty()) {
                writers.wakeOne();
            }
        }
        return v;
    }

    @Override
    boolean hasReadable() {
        return !queue.isEmpty();
    }

    @Override
    boolean isDrained() {
        long e = enq.get();
        // Once CLOSED is set, enq no longer changes, so comparing with deq afterwards is exact.
        return (e & CLOSED) != 0 && count(e) == deq.get();
    }

    @Override
    public int size() {
        long e = enq.get();
        long d = deq.get();
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, count(e) - d));
    }

    private static final int RESERVED = 0;
    private static final int FULL = 1;
    private static final int DROPPED = 2;

    /** Reserves a slot, applying the overflow policy when full; throws when closed. */
    private int reserve(T value) {
        for (;;) {
            long e = enq.get();
            if ((e & CLOSED) != 0) {
                throw closedException("write");
            }
            if (count(e) - (long) CACHED_DEQ.getOpaque(this) < limit || count(e) - refreshDeq() < limit) {
                if (enq.compareAndSet(e, e + 1)) {
                    return RESERVED;
                }
                continue;
            }
            switch (overflow) {
                case BLOCK:
                    return FULL;
                case DROP_LATEST:
                    dropped(value);
                    return DROPPED;
                case DROP_OLDEST:
                    T oldest = poll();
                    if (oldest != null) {
                        dropped(oldest);
                    } else {
                        // Full but nothing visible: a writer is between reserve and enqueue. It
                        // finishes without blocking, so wait for it.
                        Thread.onSpinWait();
                    }
                    break;
                default:
                    throw new AssertionError(overflow);
            }
        }
    }

    /** Enqueues into a reserved slot and wakes a reader if one waits. */
    private void enqueue(T value) {
        queue.offer(value);
        if (!readers.isEmpty()) {
            readers.wakeOne();
        }
    }

    @Override
    public boolean offer(T value) {
        int r = reserve(value);
        if (r == RESERVED) {
            enqueue(value);
        }
        return r != FULL;
    }

    @Override
    boolean put(T value, long deadline) {
        int spins = Blocking.spinBudget();
        for (;;) {
            int r = reserve(value);
            if (r == RESERVED) {
                enqueue(value);
                return true;
            }
            if (r == DROPPED) {
                return true;
            }
            if (spins > 0) {
                spins--;
                Thread.onSpinWait();
                continue;
            }
            if (Blocking.expired(deadline)) {
                return false;
            }
            ThreadWaiter w = new ThreadWaiter();
            writers.add(w);
            if (!hasRoom() && !isClosed()) {
                parkUntilWoken(w, WaitKind.WRITE, deadline);
            }
            if (!writers.remove(w) && (Thread.currentThread().isInterrupted() || Blocking.expired(deadline))) {
                passOnWriterWakeUp(); // woken for room we will not use
            }
            if (Thread.currentThread().isInterrupted()) {
                throw Blocking.cancelled();
            }
        }
    }

    @Override
    void passOnWriterWakeUp() {
        if (hasRoom() || isClosed()) {
            writers.wakeOne();
        }
    }

    @Override
    boolean registerSelectWriter(SelectNode node, T value) {
        writers.add(node);
        return hasRoom() || isClosed();
    }

    @Override
    void unregisterSelectWriter(SelectNode node) {
        writers.remove(node);
    }

    @Override
    public long writtenCount() {
        return count(enq.get());
    }

    @Override
    public long readCount() {
        return deq.get();
    }

    @Override
    public int writersWaiting() {
        return writers.size();
    }

    private long refreshDeq() {
        long d = deq.get();
        CACHED_DEQ.setOpaque(this, d);
        return d;
    }

    private boolean hasRoom() {
        return count(enq.get()) - deq.get() < limit;
    }

    @Override
    void closeBuffer() {
        enq.getAndBitwiseOr(CLOSED);
        writers.wakeAll();
    }
}
