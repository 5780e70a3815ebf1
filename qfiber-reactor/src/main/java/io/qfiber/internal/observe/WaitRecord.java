package io.qfiber.internal.observe;

import io.qfiber.internal.Deadlines;
import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.TimeDomain;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * What a fiber is blocked on, for the fiber dump: one per fiber, written only by the fiber's own
 * thread when it is about to wait and cleared when the wait ends, read by dumps from any thread.
 *
 * <p>A running fiber's thread finds its record as its own uncaught-exception handler
 * ({@link #ofCurrentThread}): the record is installed there while the fiber's body runs, which is
 * also how the library finds the fiber a thread runs ({@link #owner()}). That is one field of the
 * thread, read without a lookup, and spares each fiber's thread the thread-local map it would
 * otherwise need (136 bytes per fiber: the map, its 16-slot table and an entry). (A map keyed by
 * thread, the other way to spare it, measured about 4 % of a keep-alive echo server's CPU
 * samples for its lookup per wait.) The record passes an uncaught exception on to the thread's
 * group, as the thread would without it; a fiber's body never lets one escape anyway. Code that
 * replaces the handler of a fiber's thread hides the fiber from {@code Fiber.current()} and the
 * fiber dump.
 *
 * <p>Cost when nobody looks: a read of the thread's handler and three plain field writes on the way into a
 * wait (after any spinning, only when the caller is about to park), one on the way out; nothing is
 * allocated. The target and start time are written before {@code kind} with release semantics,
 * and a dump reads {@code kind} with acquire semantics first, so a dump that sees a kind sees its
 * target. A dump may still see a wait that has just ended: it is a snapshot, not a lock.
 *
 * <p>Waits nest (a {@code takeNext} reads a channel inside): the outermost wait is recorded, inner
 * ones leave it in place.
 */
public final class WaitRecord implements Thread.UncaughtExceptionHandler {
    private static final VarHandle KIND = FieldHandles.find(MethodHandles.lookup(), WaitRecord.class, "kind", WaitKind.class);

    private final Object owner;
    private @Nullable WaitKind kind;
    private @Nullable Object target;
    private long since;
    private long deadline;

    /**
     * Creates the record of a fiber.
     *
     * @param owner the fiber, returned by {@link #owner()}
     */
    public WaitRecord(Object owner) {
        this.owner = owner;
    }

    /**
     * The fiber this record belongs to.
     *
     * @return the owner given at creation
     */
    public Object owner() {
        return owner;
    }

    /**
     * Makes {@code record} the calling thread's record: called by a fiber's thread when its body
     * starts.
     *
     * @param record the fiber's record
     */
    public static void attach(WaitRecord record) {
        Thread.currentThread().setUncaughtExceptionHandler(record);
    }

    /** Forgets the calling thread's record: called when a fiber's body ends. */
    public static void detach() {
        Thread.currentThread().setUncaughtExceptionHandler(null);
    }

    /**
     * The record of the fiber whose body the calling thread runs.
     *
     * @return the record, or null when the caller is not running a fiber's body
     */
    public static @Nullable WaitRecord ofCurrentThread() {
        return Thread.currentThread().getUncaughtExceptionHandler() instanceof WaitRecord r ? r : null;
    }

    /**
     * Passes an exception that escaped the thread on to the thread's group, as the thread would
     * without this record installed (the group hands it to the default handler, or prints it).
     *
     * @param thread the thread
     * @param failure what escaped
     */
    @Override
    public void uncaughtException(Thread thread, Throwable failure) {
        ThreadGroup group = thread.getThreadGroup();
        if (group != null) {
            group.uncaughtException(thread, failure);
        } else {
            Thread.UncaughtExceptionHandler fallback = Thread.getDefaultUncaughtExceptionHandler();
            if (fallback != null) {
                fallback.uncaughtException(thread, failure);
            } else {
                failure.printStackTrace();
            }
        }
    }

    /**
     * Records that the calling fiber is about to wait.
     *
     * @param kind   what kind of wait
     * @param target what it waits on (a channel, fiber, Mono, socket, scope, select clauses), or null
     * @return the record to pass to {@link #end}, or null when the caller is not a fiber or an outer
     *         wait is already recorded
     */
    public static @Nullable WaitRecord begin(WaitKind kind, @Nullable Object target) {
        return begin(kind, target, Deadlines.NO_DEADLINE);
    }

    /**
     * Records that the calling fiber is about to wait, until a deadline at most.
     *
     * @param kind     what kind of wait
     * @param target   what it waits on, or null
     * @param deadline from {@code Blocking.deadline}, or {@link Deadlines#NO_DEADLINE}
     * @return the record to pass to {@link #end}, or null
     */
    public static @Nullable WaitRecord begin(WaitKind kind, @Nullable Object target, long deadline) {
        WaitRecord r = ofCurrentThread();
        if (r == null || r.kind != null) {
            return null;
        }
        r.target = target;
        r.since = TimeDomain.nanoTimeOf(Thread.currentThread());
        r.deadline = deadline;
        KIND.setRelease(r, kind);
        return r;
    }

    /**
     * What the calling thread's fiber waits on now: the kind of its outermost recorded wait.
     *
     * @return the kind, or null when the caller is not a fiber or records no wait
     */
    public static @Nullable WaitKind currentKind() {
        WaitRecord r = ofCurrentThread();
        return r == null ? null : (WaitKind) KIND.getAcquire(r);
    }

    /**
     * Records that the wait begun with {@link #begin} has ended.
     *
     * @param r what {@code begin} returned (null: nothing to do)
     */
    public static void end(@Nullable WaitRecord r) {
        if (r != null) {
            KIND.setRelease(r, (WaitKind) null);
            r.target = null;
        }
    }

    /**
     * A consistent-enough copy for a dump.
     *
     * @return the wait now, or null if none is recorded
     */
    public @Nullable Snapshot snapshot() {
        WaitKind k = (WaitKind) KIND.getAcquire(this);
        if (k == null) {
            return null;
        }
        return new Snapshot(k, target, since, deadline);
    }

    /**
     * One recorded wait.
     *
     * @param kind     what kind of wait
     * @param target   what it waits on, or null
     * @param since    when it began, on the library's clock ({@code TimeDomain.nanoTimeOf})
     * @param deadline when it gives up, or {@link Deadlines#NO_DEADLINE}
     */
    public record Snapshot(WaitKind kind, @Nullable Object target, long since, long deadline) {}
}
