package io.qfiber.internal;

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

    /** A value handed over directly by the party that unlinked this waiter, or null for a plain wake-up. */
    volatile @Nullable Object handOff;

    /** Called once after this waiter was unlinked by a wake-up; never under a lock. */
    protected abstract void wake();
}
