package io.qfiber.internal.fiber;

import io.qfiber.internal.TimeDomain;

import io.qfiber.internal.Deadlines;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import reactor.core.scheduler.Schedulers;

/**
 * The rules every blocking call of the library follows: refuse Reactor non-blocking threads,
 * turn interrupts into {@link CancellationException} (keeping the interrupt status), carry one
 * deadline, and park in a way that lets a threaded fiber's thread run its scheduled tasks while
 * it waits.
 */
public final class Blocking {
    /** Deadline value meaning "wait without a time limit". */
    public static final long NO_DEADLINE = Deadlines.NO_DEADLINE;

    /** How many times a waiter polls with {@link Thread#onSpinWait()} before it parks. */
    static final int SPINS = Runtime.getRuntime().availableProcessors() > 1 ? Integer.getInteger("qfiber.spins", 128) : 0;

    private Blocking() {}

    /**
     * How many times the calling waiter may spin before it parks: {@link #SPINS}, or none on a
     * threaded fiber's thread in carrier mode (its body, or a fiber it carries), where the party
     * that would end the wait may need this very thread to run.
     *
     * @return the spin budget
     */
    public static int spinBudget() {
        if (SPINS == 0) {
            return 0;
        }
        return ThreadedFiberThread.current() != null || TimeDomain.current() != null ? 0 : SPINS;
    }

    /**
     * The library's clock: {@link System#nanoTime()}, or the clock of the calling thread's
     * {@link TimeDomain} (a simulation's virtual clock).
     *
     * @return nanoseconds, comparable only with other values of this clock on the same domain
     */
    public static long nanoTime() {
        return TimeDomain.nanoTimeOf(Thread.currentThread());
    }

    /**
     * Interrupts {@code thread} (how fibers are cancelled), first telling its {@link TimeDomain},
     * if any, that it becomes runnable.
     *
     * @param thread the thread to interrupt
     */
    public static void interrupt(Thread thread) {
        TimeDomain d = TimeDomain.of(thread);
        if (d != null) {
            d.interrupting(thread);
        }
        thread.interrupt();
    }

    // Virtual threads that drive event loops (the shared loops, one per core): blocking there
    // would stall the loop, as on a platform loop thread.
    private static volatile Thread[] nonBlockingVirtual = new Thread[0];

    /**
     * Makes the library's blocking calls refuse to run on {@code thread}, a virtual thread that
     * drives an event loop (as they refuse on Reactor's non-blocking platform threads).
     *
     * @param thread the thread
     */
    public static synchronized void refuseBlockingOn(Thread thread) {
        Thread[] old = nonBlockingVirtual;
        Thread[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = thread;
        nonBlockingVirtual = grown;
    }

    private static boolean isNonBlockingVirtual(Thread thread) {
        for (Thread t : nonBlockingVirtual) {
            if (t == thread) {
                return true;
            }
        }
        return false;
    }

    /**
     * Fails fast where blocking is not allowed and where the thread was cancelled.
     *
     * @param operation what was called, for the message
     */
    public static void enter(String operation) {
        checkMayBlock(operation);
        checkInterrupted();
    }

    /**
     * Refuses a call that may wait on a thread where waiting is not allowed: a Reactor non-blocking
     * thread, or a threaded fiber's thread while it runs its scheduler's work. Unlike
     * {@link #enter}, ignores the interrupt status (for calls such as {@code close()} that wait
     * regardless of interrupts).
     *
     * @param operation what was called, for the message
     * @throws IllegalStateException on such a thread
     */
    public static void checkMayBlock(String operation) {
        Thread current = Thread.currentThread();
        // Reactor marks its non-blocking threads with an interface of their class; a virtual
        // thread's class is the JDK's own and never has it, so fibers skip that type check and
        // look only at the few virtual threads that drive event loops.
        if (current.isVirtual() ? isNonBlockingVirtual(current) : Schedulers.isNonBlockingThread(current)) {
            throw new IllegalStateException(operation + " would block, which is not supported on the "
                    + "non-blocking thread " + current.getName()
                    + "; use the try* form or the reactive API there");
        }
        if (current instanceof ThreadedFiberThread threaded && threaded.isRunningWork()) {
            throw new IllegalStateException(operation + " would block the thread of threaded fiber '"
                    + current.getName() + "' while it runs its scheduler's work, I/O and fibers; "
                    + "use the try* form or the reactive API there, or block in a fiber");
        }
    }

    /** Throws {@link CancellationException} if the current thread is interrupted, keeping the status. */
    public static void checkInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw cancelled();
        }
    }

    /** The exception a cancelled blocking call throws; the interrupt status is left set. */
    public static CancellationException cancelled() {
        return new CancellationException("cancelled: the thread " + Thread.currentThread().getName()
                + " was interrupted");
    }

    /**
     * Computes a deadline from a timeout, once, at the start of a timed call.
     *
     * @param timeout the timeout, not negative
     * @return the {@link #nanoTime()} value at which the call gives up
     */
    public static long deadline(Duration timeout) {
        checkTimeout(timeout);
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE / 2;
        }
        long now = nanoTime();
        long deadline = now + Math.min(nanos, Long.MAX_VALUE / 2);
        return deadline == NO_DEADLINE ? deadline + 1 : deadline;
    }

    /**
     * Checks a timeout argument: not null, not negative. The one place that says so.
     *
     * @param timeout the timeout
     * @return the timeout
     * @throws NullPointerException     if it is null
     * @throws IllegalArgumentException if it is negative
     */
    public static Duration checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
        }
        return timeout;
    }

    /**
     * Whether the deadline has passed.
     *
     * @param deadline a value from {@link #deadline} or {@link #NO_DEADLINE}
     * @return true if it is a real deadline in the past
     */
    public static boolean expired(long deadline) {
        return deadline != NO_DEADLINE && deadline - nanoTime() <= 0;
    }

    /**
     * Parks the current thread once, until unparked ({@link #unpark}), interrupted, the deadline
     * passes, or spuriously. On a threaded fiber's thread it runs the thread's other work meanwhile
     * (see {@link ThreadedFiberThread}). Callers re-check their condition after every return.
     *
     * @param blocker  the object waited on, for thread dumps
     * @param deadline a value from {@link #deadline} or {@link #NO_DEADLINE}
     */
    public static void park(Object blocker, long deadline) {
        TimeDomain d = TimeDomain.current();
        if (d != null) {
            d.park(blocker, deadline);
            return;
        }
        if (Thread.currentThread() instanceof ThreadedFiberThread threaded) {
            threaded.parkBody(blocker, deadline);
            return;
        }
        parkThread(blocker, deadline);
    }

    /**
     * Parks the current thread once with {@link LockSupport}, until unparked, interrupted, the
     * deadline passes, or spuriously: the plain-thread branch of {@link #park}.
     *
     * @param blocker  the object waited on, for thread dumps
     * @param deadline a value from {@link #deadline} or {@link #NO_DEADLINE}
     */
    public static void parkThread(Object blocker, long deadline) {
        if (deadline == NO_DEADLINE) {
            LockSupport.park(blocker);
        } else {
            long nanos = deadline - System.nanoTime();
            if (nanos > 0) {
                LockSupport.parkNanos(blocker, nanos);
            }
        }
    }

    /**
     * Wakes a thread parked in {@link #park}: the counterpart every waker of the library uses, since
     * a threaded fiber's thread in carrier mode waits in its event loop, not in
     * {@link LockSupport#park}.
     *
     * @param thread the thread to wake
     */
    public static void unpark(Thread thread) {
        TimeDomain d = TimeDomain.of(thread);
        if (d != null) {
            d.unpark(thread);
        } else if (thread instanceof ThreadedFiberThread threaded) {
            threaded.wakeBody();
        } else {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Parks the caller until {@code future} completes or the deadline passes (then it returns
     * with the future still pending).
     *
     * @param future   what to wait for
     * @param deadline a value from {@link #deadline} or {@link #NO_DEADLINE}
     * @throws java.util.concurrent.CancellationException if the caller is interrupted meanwhile
     */
    public static void awaitCompletion(CompletableFuture<?> future, long deadline) {
        if (future.isDone()) {
            return;
        }
        Thread waiter = Thread.currentThread();
        future.whenComplete((v, e) -> unpark(waiter));
        parkUntil(future::isDone, future, deadline);
    }

    /**
     * The one park-until-done loop of the library: parks the caller until {@code done} holds or
     * the deadline passes. Whoever makes {@code done} true must then {@link #unpark} the caller.
     *
     * @param done     the condition, re-checked after every wake-up
     * @param blocker  the object waited on, for thread dumps
     * @param deadline a value from {@link #deadline} or {@link #NO_DEADLINE}
     * @return true if {@code done} holds, false if the deadline passed first
     * @throws CancellationException if the caller is interrupted first (interrupt status kept)
     */
    public static boolean parkUntil(BooleanSupplier done, Object blocker, long deadline) {
        Thread waiter = Thread.currentThread();
        while (!done.getAsBoolean()) {
            if (waiter.isInterrupted()) {
                throw cancelled();
            }
            if (expired(deadline)) {
                return false;
            }
            park(blocker, deadline);
        }
        return true;
    }

    /**
     * Parks the caller until the deadline passes: the body of {@code Fiber.sleep}.
     *
     * @param blocker  the object waited on, for thread dumps
     * @param deadline a value from {@link #deadline}
     * @throws CancellationException if the caller is interrupted first (interrupt status kept)
     */
    public static void sleepUntil(Object blocker, long deadline) {
        parkUntil(() -> expired(deadline), blocker, deadline);
    }
}
