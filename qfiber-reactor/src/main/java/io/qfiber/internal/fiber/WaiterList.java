package io.qfiber.internal.fiber;

import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A FIFO of {@link Waiter}s with O(1) removal, guarded by a lock that is held only for a few
 * pointer updates: nobody blocks and no user code runs while holding it.
 *
 * <p>The protocol that prevents lost wake-ups (an "event count"): a waiter first {@link #add}s
 * itself, then re-checks its condition, then parks. The party that makes the condition true first
 * publishes the change (a volatile write or CAS on the channel), then reads {@link #isEmpty()}
 * (a volatile read of {@code size}). Both sides order a volatile write before a volatile read, so
 * at least one of them sees the other: either the waiter sees the change, or the changer sees the
 * waiter and wakes it. Wake-ups therefore happen only when somebody waits, that is on the
 * empty-to-non-empty and full-to-not-full transitions, never per message.
 *
 * <p>A woken waiter that leaves without consuming what it was woken for (cancelled, timed out)
 * must pass the wake-up on; the channels do that, since only they know the condition.
 */
public final class WaiterList {
    private final ReentrantLock lock = new ReentrantLock();
    private @Nullable Waiter head;
    private @Nullable Waiter tail;
    // Written under the lock; read without it as the fast "anyone waiting?" check.
    private volatile int size;

    /**
     * The list in a field that is created on first use: reads the field through {@code handle},
     * and if it is null installs a new list by CAS (the loser of a race takes the winner's).
     *
     * @param handle a VarHandle of a volatile {@code WaiterList} field
     * @param owner  the object holding the field
     * @return the list in the field
     */
    public static WaiterList getOrCreate(VarHandle handle, Object owner) {
        WaiterList w = (WaiterList) handle.getVolatile(owner);
        if (w != null) {
            return w;
        }
        WaiterList fresh = new WaiterList();
        WaiterList witness = (WaiterList) handle.compareAndExchange(owner, (WaiterList) null, fresh);
        return witness != null ? witness : fresh;
    }

    /**
     * Whether no waiter is linked. A volatile read: see the class comment for the protocol.
     *
     * @return true if nobody waits
     */
    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * How many waiters are linked now (a snapshot, for metrics).
     *
     * @return the count
     */
    public int size() {
        return size;
    }

    /**
     * Links a waiter at the tail.
     *
     * @param w a waiter not linked anywhere
     */
    public void add(Waiter w) {
        lock.lock();
        try {
            w.linked = true;
            w.prev = tail;
            w.next = null;
            if (tail == null) {
                head = w;
            } else {
                tail.next = w;
            }
            tail = w;
            size = size + 1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Unlinks a waiter that gives up waiting.
     *
     * @param w the waiter
     * @return true if it was still linked; false if a wake-up unlinked it first (it then owns that
     *         wake-up and any handed-off value)
     */
    public boolean remove(Waiter w) {
        lock.lock();
        try {
            if (!w.linked) {
                return false;
            }
            unlink(w);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Unlinks the first waiter that claims the wake-up, if any, and wakes it. */
    public void wakeOne() {
        Waiter w;
        lock.lock();
        try {
            for (w = head; w != null; w = head) {
                unlink(w);
                if (w.claim(null)) {
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (w != null) {
            w.wake();
        }
    }

    /**
     * Unlinks the first waiter, hands it {@code value} and wakes it.
     *
     * @param value the value to hand over
     * @return true if a waiter took the value; false if nobody waited
     */
    public boolean handOffToFirst(Object value) {
        Waiter w;
        lock.lock();
        try {
            for (w = head; w != null; w = head) {
                unlink(w);
                // claim() stores the value before the wake (and before the waiter can observe
                // itself unlinked through the lock), so the waiter sees it once it knows it was woken.
                if (w.claim(value)) {
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (w == null) {
            return false;
        }
        w.wake();
        return true;
    }

    /** Unlinks every waiter and wakes each that claims the wake-up, outside the lock. */
    public void wakeAll() {
        Waiter w;
        lock.lock();
        try {
            w = head;
            for (Waiter x = w; x != null; x = x.next) {
                x.linked = false;
                x.claimed = x.claim(null);
            }
            head = null;
            tail = null;
            size = 0;
        } finally {
            lock.unlock();
        }
        while (w != null) {
            Waiter next = w.next;
            w.prev = null;
            w.next = null;
            if (w.claimed) {
                w.wake();
            }
            w = next;
        }
    }

    private void unlink(Waiter w) {
        Waiter p = w.prev;
        Waiter n = w.next;
        if (p == null) {
            head = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.prev = p;
        }
        w.prev = null;
        w.next = null;
        w.linked = false;
        size = size - 1;
    }
}
