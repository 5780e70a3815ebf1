package io.qfiber.internal.fiber;

import org.jspecify.annotations.Nullable;

/**
 * A party waiting on a channel: a parked thread or a Flux subscriber with demand. It is linked
 * into one {@link WaiterList} while it waits; whoever unlinks it with a wake-up calls
 * {@link #wake()} outside the list's lock.
 *
 * <p>A waiter can also receive a value directly ({@link #handOff}): a rendezvous writer hands its
 * value to a waiting reader this way.
 */
public abstract class Waiter {
    // Links and membership: guarded by the lock of the WaiterList the waiter is in.
    @Nullable Waiter prev;
    @Nullable Waiter next;
    boolean linked;
    // Set by wakeAll under the lock, read by it after: whether this waiter claimed the wake-up.
    boolean claimed;

    /** A value handed over directly by the party that unlinked this waiter, or null for a plain wake-up. */
    protected volatile @Nullable Object handOff;

    /**
     * The value handed over with the wake-up that this waiter claimed.
     *
     * @return the value, or null for a plain wake-up
     */
    public final @Nullable Object handOff() {
        return handOff;
    }

    /**
     * Called by a waker that has just unlinked this waiter, under the list's lock, before
     * {@link #wake()}: accepts the wake-up (and {@code value}, when handed over) or declines it.
     * A waiter of a {@code select} declines once another of its clauses has fired; the waker then
     * goes on to the next waiter, so a declined wake-up or value is never lost. Must not block.
     *
     * @param value the value handed over, or null for a plain wake-up
     * @return true if this waiter takes the wake-up
     */
    protected boolean claim(@Nullable Object value) {
        if (value != null) {
            handOff = value;
        }
        return true;
    }

    /** Called once after this waiter was unlinked by a wake-up it claimed; never under a lock. */
    protected abstract void wake();
}
