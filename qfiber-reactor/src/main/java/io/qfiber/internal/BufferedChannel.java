package io.qfiber.internal;

import io.qfiber.Overflow;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A channel with a buffer of capacity 1 to unbounded: a lock-free {@link SegmentQueue} for the
 * values, one atomic state word for the slot count and the closed flag, and two
 * {@link WaiterList}s for blocked readers and writers.
 *
 * <p>State word: bit 62 is CLOSED, the low bits count reserved slots, that is values written or
 * being written and not yet taken. A writer reserves a slot by CAS (which fails once CLOSED is
 * set, so nothing is enqueued after close), then enqueues. A reader dequeues, then releases the
 * slot. Hence {@code count >= values in the queue} at all times, and "closed and count 0" means
 * closed and drained for good.
 *
 * <p>Wake-ups follow the event-count protocol of {@link WaiterList}: a writer wakes one reader
 * after enqueueing only if a reader waits; a reader wakes one writer after releasing a slot only
 * if a writer waits. Both look at the waiter list after their own volatile update.
 */
final class BufferedChannel<T> extends AbstractChannel<T> {
    private static final long CLOSED = 1L << 62;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(BufferedChannel.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SegmentQueue<T> queue = new SegmentQueue<>();
    private final long limit;
    private final Overflow overflow;
    /** Writers blocked on a full buffer. */
    private final WaiterList writers = new WaiterList();
    private volatile long state;

    BufferedChannel(String name, int capacity, Overflow overflow, @Nullable Consumer<? super T> onDrop) {
        super(name, capacity, onDrop);
        this.limit = capacity;
        this.overflow = overflow;
    }

    private static long count(long s) {
        return s & ~CLOSED;
    }

    @Override
    @Nullable T poll() {
        T v = queue.poll();
        if (v != null) {
            // Release the slot (a volatile RMW), then look for a writer waiting for room.
            STATE.getAndAdd(this, -1L);
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
        long s = state;
        return (s & CLOSED) != 0 && count(s) == 0;
    }

    @Override
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, count(state));
    }

    private static final int RESERVED = 0;
    private static final int FULL = 1;
    private static final int DROPPED = 2;

    /** Reserves a slot, applying the overflow policy when full; throws when closed. */
    private int reserve(T value) {
        for (;;) {
            long s = state;
            if ((s & CLOSED) != 0) {
                throw closedException("write");
            }
            if (count(s) < limit) {
                if (STATE.compareAndSet(this, s, s + 1)) {
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
    boolean offer(T value) {
        int r = reserve(value);
        if (r == RESERVED) {
            enqueue(value);
        }
        return r != FULL;
    }

    @Override
    boolean put(T value, long deadline) {
        int spins = Blocking.SPINS;
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
                while (!w.isWoken() && !Thread.currentThread().isInterrupted() && !Blocking.expired(deadline)) {
                    Blocking.park(this, deadline);
                }
            }
            if (!writers.remove(w) && (Thread.currentThread().isInterrupted() || Blocking.expired(deadline))) {
                // Woken for room we will not use: pass the wake-up on.
                if (hasRoom()) {
                    writers.wakeOne();
                }
            }
            if (Thread.currentThread().isInterrupted()) {
                throw Blocking.cancelled();
            }
        }
    }

    private boolean hasRoom() {
        return count(state) < limit;
    }

    @Override
    void closeBuffer() {
        STATE.getAndBitwiseOr(this, CLOSED);
        writers.wakeAll();
    }
}
