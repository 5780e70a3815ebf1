package io.qfiber.internal.fiber;

/** A waiter that is a parked thread (virtual or platform): waking it unparks it. */
public final class ThreadWaiter extends Waiter {
    private final Thread thread = Thread.currentThread();
    // Set before the unpark, so the parked thread can tell a wake-up from a spurious return.
    private volatile boolean woken;

    /** Creates a waiter for the calling thread. */
    public ThreadWaiter() {}

    /**
     * Whether a wake-up reached this waiter (set before the unpark).
     *
     * @return true once woken
     */
    public boolean isWoken() {
        return woken;
    }

    @Override
    protected void wake() {
        woken = true;
        Blocking.unpark(thread);
    }
}
