package io.qfiber.internal.channel;

import io.qfiber.Overflow;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.ThreadWaiter;
import io.qfiber.internal.fiber.WaiterList;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.select.SelectNode;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A channel with a buffer of capacity 1 to unbounded: two counters that hand out tickets, the
 * {@link TicketCells} the tickets index, and two {@link WaiterList}s for blocked readers and
 * writers.
 *
 * <p>Two counters, each on its own cache line so that writers and readers do not share one:
 * {@code enq} counts tickets taken by writers (bit 62 of it is CLOSED) and {@code deq} tickets
 * taken by readers. A writer takes ticket {@code t} by CAS of {@code enq} from {@code t} to
 * {@code t + 1}, only while {@code t - deq < capacity}, and the CAS fails once CLOSED is set, so
 * nothing is written after close; it then stores its value in cell {@code t}. A reader takes
 * ticket {@code t} by CAS of {@code deq}, only while {@code t < enq}, and takes the value of cell
 * {@code t}. Each side keeps its last look at the other side's counter on its own cache line
 * ({@link PaddedCounter#peer()}) and reads the other counter only when that copy stops it, so in
 * steady state neither side reads the line the other side writes.
 *
 * <p>So the counters alone say what the channel holds: {@code enq - deq} values, exactly. A
 * write takes effect at its ticket CAS and a read at its own, which makes the channel a
 * linearizable bounded FIFO: a {@code tryWrite} that finds the channel full and a
 * {@code tryRead} that finds it empty are both right at the moment they looked, however many
 * writers and readers run, and values leave in the order of their writers' tickets. The one wait
 * this costs: a reader whose writer has taken the ticket but not stored yet waits until it has
 * (the writer is between two of its own instructions; see {@link TicketCells#take}).
 *
 * <p>Wake-ups follow the event-count protocol of {@link WaiterList}: a writer wakes one reader
 * after storing only if a reader waits; a reader wakes one writer after taking a value only if a
 * writer waits. Both look at the waiter list after their own ticket CAS.
 */
public final class BufferedChannel<T> extends AbstractChannel<T> {
    private static final long CLOSED = 1L << 62;

    private final TicketCells<T> cells;
    private final long limit;
    private final Overflow overflow;
    /** Writers blocked on a full buffer. */
    private final WaiterList writers = new WaiterList();
    /** Writers' tickets taken, plus the CLOSED bit. Written by writers and close. */
    private final PaddedCounter enq = new PaddedCounter();
    /** Readers' tickets taken. Written by readers. */
    private final PaddedCounter deq = new PaddedCounter();

    BufferedChannel(String name, int capacity, Overflow overflow, @Nullable Consumer<? super T> onDrop) {
        this(name, capacity, overflow, onDrop, SEGMENT_SIZE);
    }

    /** Cells per segment, unless chosen. */
    static final int SEGMENT_SIZE = 128;

    /** With a chosen segment size (a power of two): small for channels that hold few values. */
    public BufferedChannel(String name, int capacity, Overflow overflow, @Nullable Consumer<? super T> onDrop, int segmentSize) {
        super(name, capacity, onDrop);
        this.cells = new TicketCells<>(segmentSize);
        this.limit = capacity == UNBOUNDED ? Long.MAX_VALUE : capacity;
        this.overflow = overflow;
    }

    private static long count(long s) {
        return s & ~CLOSED;
    }

    @Override
    @Nullable T poll() {
        long d = deq.get();
        // Readers keep the last enq they saw on their own cache line and read enq itself (the
        // writers' line) only when the copy says empty.
        long e = deq.peer();
        for (;;) {
            if (d >= e) {
                // enq read after d: if d has caught up with it, the channel was empty right then.
                e = count(enq.get());
                deq.updatePeer(e);
                if (d >= e) {
                    return null;
                }
            }
            TicketCells.Segment start = cells.readStart();
            long witness = deq.compareAndExchange(d, d + 1);
            if (witness == d) {
                T v = cells.take(start, d);
                if (!writers.isEmpty()) {
                    writers.wakeOne();
                }
                return v;
            }
            // Another reader took ticket d: try the next one (enq only grows, so e still holds).
            d = witness;
        }
    }

    @Override
    boolean hasReadable() {
        return deq.get() < count(enq.get());
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
        // Capped: a DROP_OLDEST writer takes its ticket before it drops, so for a moment there
        // can be one value more per such writer than the capacity (see tryPut).
        return (int) Math.max(0, Math.min(Math.min(Integer.MAX_VALUE, limit), count(e) - d));
    }

    /** What {@link #tryPut} returns besides a ticket. */
    private static final long FULL = -1;
    private static final long DROPPED = -2;

    /**
     * Takes a writer's ticket and stores the value, applying the overflow policy when full;
     * throws when closed. The ticket's segment is found from a start read before the ticket.
     *
     * <p>A DROP_OLDEST writer takes its ticket even when full, then drops the oldest values until
     * its own is within the capacity. Its write takes effect when it is within the capacity
     * (whoever's read or drop brought it there), so the channel still acts as one sequence of
     * whole writes, reads and drops; and since a write that has its ticket cannot fail, a close
     * cannot come between a drop and the write it made room for ({@link #closeBuffer}).
     *
     * @return the ticket written, {@link #FULL} or {@link #DROPPED}
     */
    private long tryPut(T value) {
        long e = enq.get();
        for (;;) {
            if ((e & CLOSED) != 0) {
                throw closedException("write");
            }
            long t = count(e);
            // Fullness is judged as of the read of enq: deq only grows, so t - deq was at least
            // as large then as any later read of deq shows.
            if (t - enq.peer() < limit || t - refreshDeq() < limit || overflow == Overflow.DROP_OLDEST) {
                TicketCells.Segment start = cells.writeStart();
                long witness = enq.compareAndExchange(e, e + 1);
                if (witness == e) {
                    cells.store(start, t, value);
                    if (!readers.isEmpty()) {
                        readers.wakeOne();
                    }
                    if (overflow == Overflow.DROP_OLDEST) {
                        dropBelow(t + 1 - limit);
                    }
                    return t;
                }
                e = witness; // another writer (or close) came first: go on from what it left
                continue;
            }
            if (overflow == Overflow.DROP_LATEST) {
                dropped(value);
                return DROPPED;
            }
            return FULL;
        }
    }

    /** Drops the values of the tickets below {@code bound} that no reader has taken yet. */
    private void dropBelow(long bound) {
        for (;;) {
            long d = deq.get();
            if (d >= bound) {
                return;
            }
            TicketCells.Segment start = cells.readStart();
            if (deq.compareAndSet(d, d + 1)) {
                dropped(cells.take(start, d));
            }
        }
    }

    @Override
    public boolean offer(T value) {
        return tryPut(value) != FULL;
    }

    @Override
    boolean put(T value, long deadline) {
        int spins = Blocking.spinBudget();
        for (;;) {
            if (tryPut(value) != FULL) {
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

    /** Reads deq and keeps it as the writers' copy. */
    private long refreshDeq() {
        long d = deq.get();
        enq.updatePeer(d);
        return d;
    }

    private boolean hasRoom() {
        return count(enq.get()) - deq.get() < limit;
    }

    @Override
    void closeBuffer() {
        if (overflow == Overflow.DROP_OLDEST) {
            // Close only when every DROP_OLDEST writer that holds a ticket is within the capacity
            // (doing their drops if need be): such a writer returns true, so its write must take
            // effect before the close.
            for (;;) {
                long e = enq.get();
                if ((e & CLOSED) != 0) {
                    break;
                }
                dropBelow(count(e) - limit);
                if (enq.compareAndSet(e, e | CLOSED)) {
                    break;
                }
            }
        } else {
            enq.getAndBitwiseOr(CLOSED);
        }
        writers.wakeAll();
    }
}
