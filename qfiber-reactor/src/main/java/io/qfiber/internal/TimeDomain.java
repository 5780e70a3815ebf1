package io.qfiber.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;

/**
 * A group of threads with a clock and a schedule of their own: the hook a simulation
 * ({@code io.qfiber.test.Sim}) implements. The library's time ({@link #nanoTimeOf}), its
 * parks and wake-ups, and the placement of new fibers ask the calling thread's domain first; a
 * thread in no domain uses the JDK's clock and parking.
 *
 * <p>Cost when no domain exists: one read of a volatile counter per clock read, park and wake-up.
 *
 * <p>Membership: a fiber started by a member (or while {@link #startingIn} names a domain) is
 * placed by that domain ({@link #newThread}) and becomes a member before its thread starts
 * ({@link #memberStarting}); it leaves when its thread's body ends ({@link #memberEnded}).
 */
public abstract class TimeDomain {
    private static final AtomicInteger OPEN = new AtomicInteger();
    private static final ConcurrentHashMap<Thread, TimeDomain> MEMBERS = new ConcurrentHashMap<>();
    private static final ThreadLocal<TimeDomain> STARTING = new ThreadLocal<>();
    private static volatile int open;

    /** Counts the domain as open: from now on the library looks up the threads' domains. */
    protected TimeDomain() {
        open = OPEN.incrementAndGet();
    }

    /** Counts the domain as closed; call once, after its last member has left. */
    protected final void closeDomain() {
        open = OPEN.decrementAndGet();
    }

    /**
     * The domain of {@code thread}.
     *
     * @param thread a thread
     * @return its domain, or null (always null while no domain is open)
     */
    public static @Nullable TimeDomain of(Thread thread) {
        return open == 0 ? null : MEMBERS.get(thread);
    }

    /**
     * The domain of the calling thread.
     *
     * @return the domain, or null
     */
    public static @Nullable TimeDomain current() {
        return open == 0 ? null : MEMBERS.get(Thread.currentThread());
    }

    /**
     * The domain a fiber started now by the calling thread joins: the one named by
     * {@link #startingIn}, else the caller's own.
     *
     * @return the domain, or null
     */
    public static @Nullable TimeDomain forNewFiber() {
        if (open == 0) {
            return null;
        }
        TimeDomain d = STARTING.get();
        return d != null ? d : MEMBERS.get(Thread.currentThread());
    }

    /**
     * The library's clock as seen by {@code thread}: its domain's, else {@link System#nanoTime()}.
     *
     * @param thread a thread
     * @return nanoseconds, comparable only with values of the same clock
     */
    public static long nanoTimeOf(Thread thread) {
        TimeDomain d = of(thread);
        return d != null ? d.nanoTime() : System.nanoTime();
    }

    /**
     * Runs {@code start} so that the fibers it starts join {@code domain}, although the calling
     * thread is not a member: how a simulation starts its root fiber.
     *
     * @param domain the domain
     * @param start  what starts the fiber
     * @param <T>    what it returns
     * @return what {@code start} returned
     */
    public static <T> T startingIn(TimeDomain domain, Supplier<T> start) {
        TimeDomain before = STARTING.get();
        STARTING.set(domain);
        try {
            return start.get();
        } finally {
            if (before == null) {
                STARTING.remove();
            } else {
                STARTING.set(before);
            }
        }
    }

    /**
     * Starts a virtual thread that does work for the calling code (a pump, a bridge): in the
     * caller's domain, where it counts as runnable until it ends, or as a plain virtual thread.
     *
     * @param name the thread's name
     * @param body what it runs
     * @return the started thread
     */
    public static Thread startVirtualThread(String name, Runnable body) {
        TimeDomain d = forNewFiber();
        if (d == null) {
            return Thread.ofVirtual().name(name).start(body);
        }
        Thread t = d.newThread(name, () -> {
            try {
                body.run();
            } finally {
                d.memberEnded(Thread.currentThread());
            }
        });
        d.memberStarting(t, d); // a member that is not a fiber
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            d.memberEnded(t);
            throw e;
        }
        return t;
    }

    /**
     * Makes {@code thread} a member; for subclasses' own threads (Reactor task runners).
     *
     * @param thread the thread, not yet started
     */
    protected final void addMember(Thread thread) {
        MEMBERS.put(thread, this);
    }

    /**
     * Makes {@code thread} leave this domain.
     *
     * @param thread a member
     */
    protected final void removeMember(Thread thread) {
        MEMBERS.remove(thread, this);
    }

    /**
     * The domain's clock, in nanoseconds, comparable only with itself (like {@link System#nanoTime()}).
     *
     * @return the time now
     */
    public abstract long nanoTime();

    /**
     * Parks the calling member once: until {@link #unpark}, an interrupt, the deadline on this
     * domain's clock, or spuriously.
     *
     * @param blocker  what it waits on
     * @param deadline on {@link #nanoTime()}, or {@link Deadlines#NO_DEADLINE}
     */
    public abstract void park(Object blocker, long deadline);

    /**
     * Wakes a member parked in {@link #park} (or makes its next park return at once).
     *
     * @param thread the member
     */
    public abstract void unpark(Thread thread);

    /**
     * Called just before a member is interrupted, which ends its park: counts it as runnable.
     *
     * @param thread the member
     */
    public abstract void interrupting(Thread thread);

    /**
     * Creates the (unstarted) thread of a fiber that joins this domain; threaded fibers too run on
     * the domain's threads.
     *
     * @param name the fiber's name
     * @param body what the thread runs
     * @return the thread
     */
    public abstract Thread newThread(String name, Runnable body);

    /**
     * Registers a fiber's thread as a member, runnable, before it starts.
     *
     * @param thread the fiber's thread, not yet started
     * @param fiber  the fiber, or another object for a member that is not a fiber
     */
    public abstract void memberStarting(Thread thread, Object fiber);

    /**
     * Called by a member's thread as the last thing it does, or by the starter if the start failed.
     *
     * @param thread the member
     */
    public abstract void memberEnded(Thread thread);

    /**
     * The scheduler a fiber of this domain reports as its own ({@code Fiber.scheduler()}).
     *
     * @return a scheduler whose tasks run in this domain
     */
    public abstract Scheduler scheduler();
}
