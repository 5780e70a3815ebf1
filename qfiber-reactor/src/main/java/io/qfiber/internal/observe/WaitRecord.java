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
 * <p>A running fiber's thread finds its record in one thread-local ({@link #ofCurrentThread}),
 * which is also how the library finds the fiber a thread runs ({@link #owner()}). (A map keyed by
 * thread instead, which would spare each fiber's thread its thread-local map, measured about 4 % of
 * a keep-alive echo server's CPU samples for its lookup per wait, the thread-local under 0.5 %.)
 *
 * <p>Cost when nobody looks: a thread-local lookup and three plain field writes on the way into a
 * wait (after any spinning, only when the caller is about to park), one on the way out; nothing is
 * allocated. The target and start time are written before {@code kind} with release semantics,
 * and a dump reads {@code kind} with acquire semantics first, so a dump that sees a kind sees its
 * target. A dump may still see a wait that has just ended: it is a snapshot, not a lock.
 *
 * <p>Waits nest (a {@code takeNext} reads a channel inside): the outermost wait is recorded, inner
 * ones leave it in place.
 */
public final class WaitRecord {
    private static final ThreadLocal<WaitRecord> CURRENT = new ThreadLocal<>();
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
        CURRENT.set(record);
    }

    /** Forgets the calling thread's record: called when a fiber's body ends. */
    public static void detach() {
        CURRENT.remove();
    }

    /**
     * The record of the fiber whose body the calling thread runs.
     *
     * @return the record, or null when the caller is not running a fiber's body
     */
    public static @Nullable WaitRecord ofCurrentThread() {
        return CURRENT.get();
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
