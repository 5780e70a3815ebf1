package io.qfiber.internal;


/** A waiter that is a parked thread (virtual or platform): waking it unparks it. */
final class ThreadWaiter extends Waiter {
    private final Thread thread = Thread.currentThread();
    // Set before the unpark, so the parked thread can tell a wake-up from a spurious return.
    private volatile boolean woken;

    boolean isWoken() {
        return woken;
    }

    @Override
    protected void wake() {
        woken = true;
        Blocking.unpark(thread);
    }
}
