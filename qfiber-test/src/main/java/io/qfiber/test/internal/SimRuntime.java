package io.qfiber.test.internal;

import io.qfiber.Fiber;
import io.qfiber.internal.Deadlines;
import io.qfiber.internal.TimeDomain;
import io.qfiber.internal.fiber.Carriers;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import io.qfiber.test.Schedule;
import io.qfiber.test.SimConfig;
import io.qfiber.test.SimContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;

/**
 * One simulation's clock and bookkeeping: which of its threads are runnable, which wait in the
 * library (and until when), and what happens when none is runnable.
 *
 * <h2>The rule</h2>
 * {@link #busy} counts the members that may still do something: runnable, running, or blocked
 * outside the library (a JDK lock, {@code Thread.sleep}, a socket), which never passes through
 * {@link #park}. A member leaves the count only in {@link #park} for a <em>durable</em> wait (a
 * wait in the library on something only the simulation can end: not a socket) and comes back when
 * it is woken, counted at wake-up time by the waker ({@link #unpark}, {@link #interrupting}, a due
 * timer), so that the count never reads zero between a wake-up and the run it causes. When it
 * reaches zero ({@link #idle}): settling fibers return first; else the clock jumps to the earliest
 * deadline and fires everything due then; else nothing can ever move: a deadlock.
 *
 * <p>All state is guarded by {@link #lock}; the clock is also readable without it.
 */
public final class SimRuntime extends TimeDomain {
    private static final AtomicLong RUNS = new AtomicLong();

    final SimConfig config;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition finishedChanged = lock.newCondition();
    private final Map<Thread, Member> members = new LinkedHashMap<>();
    private final Map<Object, Member> byFiber = new IdentityHashMap<>();
    private final TreeSet<Timer> timers = new TreeSet<>();
    private final List<Member> settlers = new ArrayList<>();
    private final List<Fiber<?>> background = new ArrayList<>();
    private final @Nullable SimCarrier carrier;
    private final SimScheduler scheduler;
    private final String id;
    private volatile long now;
    private long timerSeq;
    private int busy;
    private boolean bodyDone;
    private boolean finished;
    private @Nullable String stopReason;
    private boolean stopIsTimeout;
    private boolean rootStarted;

    /**
     * Creates the simulation's runtime; in carrier mode, also its thread.
     *
     * @param config the configuration
     * @throws IllegalStateException for {@link Schedule#RANDOM} in shared mode
     */
    public SimRuntime(SimConfig config) {
        this.config = config;
        this.id = "sim-" + RUNS.incrementAndGet();
        if (Carriers.enabled()) {
            this.carrier = new SimCarrier(id, config.schedule(), config.seed());
        } else if (config.schedule() == Schedule.RANDOM) {
            closeDomain();
            throw new IllegalStateException("the RANDOM schedule needs carrier mode, where a simulation runs "
                    + "on one thread: start the JVM with --add-opens java.base/java.lang=ALL-UNNAMED");
        } else {
            this.carrier = null;
        }
        this.scheduler = new SimScheduler(this);
    }

    /**
     * The simulation the calling thread belongs to.
     *
     * @return it, or null
     */
    public static @Nullable SimRuntime current() {
        return TimeDomain.current() instanceof SimRuntime s ? s : null;
    }

    // ---- the clock ----

    @Override
    public long nanoTime() {
        return now;
    }

    /**
     * The virtual time passed.
     *
     * @return since the start
     */
    public Duration elapsed() {
        return Duration.ofNanos(now);
    }

    /**
     * The virtual time now.
     *
     * @return the instant
     */
    public Instant instant() {
        return config.start().plusNanos(now);
    }

    /**
     * The configuration.
     *
     * @return it
     */
    public SimConfig config() {
        return config;
    }

    // ---- TimeDomain: placement and membership ----

    @Override
    public Thread newThread(String name, Runnable body) {
        SimCarrier c = carrier;
        Thread.Builder.OfVirtual b = c != null ? Carriers.builderOn(c) : Thread.ofVirtual();
        return b.name(name).unstarted(body);
    }

    @Override
    public void memberStarting(Thread thread, Object fiber) {
        lock.lock();
        try {
            Member m = new Member(thread, fiber instanceof Fiber<?> f ? f : null);
            members.put(thread, m);
            if (m.fiber != null) {
                byFiber.put(m.fiber, m);
                if (!rootStarted) { // the first fiber is the body
                    rootStarted = true;
                    m.root = true;
                }
            }
            busy++;
            addMember(thread);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void memberEnded(Thread thread) {
        lock.lock();
        try {
            Member m = members.remove(thread);
            removeMember(thread);
            if (m == null) {
                return;
            }
            if (m.fiber != null) {
                byFiber.remove(m.fiber);
            }
            cancelTimer(m);
            if (!m.blocked) {
                busy--;
            }
            if (m.root) {
                bodyDone = true;
                for (Fiber<?> f : background) {
                    f.cancel();
                }
            }
            if (bodyDone && members.isEmpty()) {
                finish(null, false);
            } else if (busy == 0) {
                idle();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts a thread of the simulation that is not a fiber (a Reactor task's runner), counted
     * runnable from now until it ends.
     *
     * @param name the thread's name
     * @param body what it runs
     */
    void startThread(String name, Runnable body) {
        Thread t = newThread(name, () -> {
            try {
                body.run();
            } finally {
                memberEnded(Thread.currentThread());
            }
        });
        memberStarting(t, this);
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            memberEnded(t);
            throw e;
        }
    }

    /**
     * Runs {@code start}, which starts the body's fiber, so that the fiber joins this simulation
     * although the caller does not belong to it.
     *
     * @param start what starts the root fiber
     * @param <T>   what it returns
     * @return what {@code start} returned
     */
    public <T> T startRoot(Supplier<T> start) {
        return TimeDomain.startingIn(this, start);
    }

    /**
     * Marks a fiber as background: cancelled when the body returns, not a leak.
     *
     * @param fiber a fiber of this simulation
     */
    public void markBackground(Fiber<?> fiber) {
        lock.lock();
        try {
            background.add(fiber);
            Member m = byFiber.get(fiber);
            if (m != null) {
                m.background = true;
            }
            if (bodyDone) {
                fiber.cancel();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    /**
     * The scheduler of this simulation's Reactor tasks.
     *
     * @return it
     */
    public SimScheduler simScheduler() {
        return scheduler;
    }

    // ---- TimeDomain: parking ----

    @Override
    public void park(Object blocker, long deadline) {
        Thread me = Thread.currentThread();
        WaitKind kind = WaitRecord.currentKind();
        Member m;
        lock.lock();
        try {
            m = members.get(me);
            // A fiber's wait on a socket (or an unrecorded one) can be ended from outside: it holds
            // the clock. The library's helper threads (a Channel.from pump) wait on the simulation.
            boolean durable = m != null && (m.fiber == null || kind != null && !kind.isNetwork());
            if (m == null || !durable || finished) {
                m = null;
            } else {
                if (m.wakePending || me.isInterrupted()) {
                    m.wakePending = false;
                    return;
                }
                block(m);
                if (deadline != Deadlines.NO_DEADLINE) {
                    m.timer = new Timer(deadline, timerSeq++, m, null);
                    timers.add(m.timer);
                }
                if (busy == 0) {
                    idle();
                }
            }
        } finally {
            lock.unlock();
        }
        LockSupport.park(blocker);
        if (m != null) {
            lock.lock();
            try {
                m.wakePending = false;
                unblock(m);
                cancelTimer(m);
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public void unpark(Thread thread) {
        markRunnable(thread);
        LockSupport.unpark(thread);
    }

    @Override
    public void interrupting(Thread thread) {
        markRunnable(thread); // the interrupt that follows ends its park
    }

    /** Counts a member runnable from now: a wake-up is on its way (or makes its next park return). */
    private void markRunnable(Thread thread) {
        lock.lock();
        try {
            Member m = members.get(thread);
            if (m != null) {
                if (m.blocked) {
                    unblock(m);
                    cancelTimer(m);
                } else {
                    m.wakePending = true;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code SimContext.settle()}: parks the calling member until every other member waits.
     *
     * @throws IllegalStateException if the caller is not a member
     * @throws CancellationException if it is interrupted meanwhile
     */
    public void settle() {
        Thread me = Thread.currentThread();
        Member m;
        lock.lock();
        try {
            m = members.get(me);
            if (m == null || m.fiber == null) {
                throw new IllegalStateException("settle() is for the fibers of the simulation; called from "
                        + me.getName());
            }
            if (me.isInterrupted()) {
                throw cancelled(me);
            }
            m.settling = true;
            settlers.add(m);
            block(m);
            if (busy == 0) {
                idle();
            }
        } finally {
            lock.unlock();
        }
        try {
            while (true) {
                LockSupport.park(this);
                lock.lock();
                try {
                    if (!m.settling) {
                        return;
                    }
                    if (me.isInterrupted()) {
                        throw cancelled(me);
                    }
                    if (!m.blocked) { // a stray wake-up: wait on
                        block(m);
                        if (busy == 0) {
                            idle();
                        }
                    }
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            lock.lock();
            try {
                if (m.settling) {
                    m.settling = false;
                    settlers.remove(m);
                }
                m.wakePending = false;
                unblock(m);
            } finally {
                lock.unlock();
            }
        }
    }

    private static CancellationException cancelled(Thread me) {
        return new CancellationException("cancelled: the thread " + me.getName() + " was interrupted");
    }

    /**
     * Holds the clock still until the returned hold is closed.
     *
     * @return the hold (idempotent close)
     */
    public SimContext.ClockHold hold() {
        lock.lock();
        try {
            busy++;
        } finally {
            lock.unlock();
        }
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                lock.lock();
                try {
                    busy--;
                    idle();
                } finally {
                    lock.unlock();
                }
            }
        };
    }

    // ---- timers for Reactor tasks ----

    /**
     * Schedules {@code action} at {@code delayNanos} of virtual time from now; it runs under the
     * lock when due, so it must only start threads or queue work.
     *
     * @param delayNanos the delay, 0 or more
     * @param action     what to do then
     * @return the timer, for {@link #cancel}
     */
    Timer addTimer(long delayNanos, Runnable action) {
        lock.lock();
        try {
            Timer t = new Timer(now + Math.max(0, delayNanos), timerSeq++, null, action);
            timers.add(t);
            return t;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes a timer that has not fired.
     *
     * @param timer the timer
     */
    void cancel(Timer timer) {
        lock.lock();
        try {
            timers.remove(timer);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code body} under the simulation's lock: for the Reactor scheduler's own state.
     *
     * @param body what to run
     */
    void locked(Runnable body) {
        lock.lock();
        try {
            body.run();
        } finally {
            lock.unlock();
        }
    }

    // ---- the rule ----

    private void block(Member m) {
        if (!m.blocked) {
            m.blocked = true;
            busy--;
        }
    }

    private void unblock(Member m) {
        if (m.blocked) {
            m.blocked = false;
            busy++;
        }
    }

    private void cancelTimer(Member m) {
        Timer t = m.timer;
        if (t != null) {
            timers.remove(t);
            m.timer = null;
        }
    }

    /**
     * Nothing of the simulation can run: settle, advance the clock, or stop. Lock held. Loops
     * while firing what was due leaves nothing runnable (a Reactor task disposed meanwhile).
     */
    private void idle() {
        while (busy == 0 && !finished) {
            if (!settlers.isEmpty()) {
                for (Member s : settlers) {
                    s.settling = false;
                    unblock(s);
                    LockSupport.unpark(s.thread);
                }
                settlers.clear();
                return;
            }
            if (bodyDone || timers.isEmpty()) {
                break;
            }
            Timer first = timers.first();
            now = Math.max(now, first.deadline);
            while (!timers.isEmpty() && timers.first().deadline - now <= 0) {
                Timer t = timers.pollFirst();
                Member m = t.member;
                if (m != null) {
                    m.timer = null;
                    unblock(m);
                    LockSupport.unpark(m.thread);
                } else if (t.action != null) {
                    t.action.run();
                }
            }
        }
        if (busy != 0 || finished) {
            return;
        }
        if (bodyDone) {
            finish("fibers were still alive when the body returned: join them, cancel them, or start them "
                    + "with SimContext.background", false);
        } else {
            finish("deadlock: every fiber of the simulation waits in the library and no deadline is pending", false);
        }
    }

    private void finish(@Nullable String reason, boolean timeout) {
        if (finished) {
            return;
        }
        finished = true;
        stopReason = reason;
        stopIsTimeout = timeout;
        finishedChanged.signalAll();
    }

    // ---- the driver's side ----

    /**
     * Waits, in real time, until the run is over or the real-time limit passes.
     *
     * @param limitNanos the real-time limit
     * @return null when the body returned and every fiber ended; else why the run stopped
     * @throws InterruptedException if the driver is interrupted
     */
    public @Nullable Stop awaitEnd(long limitNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = limitNanos;
            while (!finished) {
                if (left <= 0) {
                    finish("the simulation took longer than its real-time limit of " + config.realTimeLimit()
                            + ": a fiber is busy or blocked outside the library (a JDK lock, Thread.sleep, a socket), "
                            + "which holds the virtual clock still", true);
                    break;
                }
                left = finishedChanged.awaitNanos(left);
            }
            String reason = stopReason;
            return reason == null ? null : new Stop(reason, stopIsTimeout);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Why a run stopped before its end.
     *
     * @param reason  the explanation
     * @param timeout whether the real-time limit passed
     */
    public record Stop(String reason, boolean timeout) {}

    /**
     * Waits (in real time, {@code limit} at most) until every member counted as waiting has
     * actually parked: the last one to wait reports the stop just before it parks, and a dump
     * taken sooner would show it running.
     *
     * @param limit how long to wait at most
     */
    public void awaitParked(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() - deadline < 0) {
            boolean all = true;
            lock.lock();
            try {
                for (Member m : members.values()) {
                    Thread.State st = m.thread.getState();
                    if (m.blocked && st != Thread.State.WAITING && st != Thread.State.TIMED_WAITING
                            && st != Thread.State.TERMINATED) {
                        all = false;
                        break;
                    }
                }
            } finally {
                lock.unlock();
            }
            if (all) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * The fibers of the simulation alive now, in the order they started.
     *
     * @return the fibers
     */
    public List<Fiber<?>> fibers() {
        lock.lock();
        try {
            List<Fiber<?>> out = new ArrayList<>();
            for (Member m : members.values()) {
                if (m.fiber != null) {
                    out.add(m.fiber);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The fibers started with {@code SimContext.background}.
     *
     * @return the fibers, in the order they started
     */
    public List<Fiber<?>> backgroundFibers() {
        lock.lock();
        try {
            return List.copyOf(background);
        } finally {
            lock.unlock();
        }
    }

    /**
     * After a stop: cancels every fiber still alive, waits up to {@code grace} of real time for
     * the simulation's threads to end, then releases its thread and closes the domain.
     *
     * @param grace how long to wait
     * @return the names of the threads that did not end
     */
    public List<String> shutDown(Duration grace) {
        List<Fiber<?>> alive = fibers();
        for (Fiber<?> f : alive) {
            f.cancel();
        }
        List<Thread> helpers = new ArrayList<>();
        lock.lock();
        try {
            for (Member m : members.values()) {
                if (m.fiber == null) {
                    helpers.add(m.thread); // a Channel.from pump, a Reactor task
                }
            }
        } finally {
            lock.unlock();
        }
        for (Thread t : helpers) {
            t.interrupt();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        List<String> stuck = new ArrayList<>();
        lock.lock();
        try {
            while (!members.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                // members leave under the lock: poll, the end of a failed run is rare
                lock.unlock();
                try {
                    LockSupport.parkNanos(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(1)));
                } finally {
                    lock.lock();
                }
            }
            for (Thread t : members.keySet()) {
                stuck.add(t.getName());
            }
        } finally {
            lock.unlock();
        }
        close();
        return stuck;
    }

    /** Stops the simulation's thread (carrier mode) and closes the domain: the run is over. */
    public void close() {
        lock.lock();
        try {
            finished = true;
        } finally {
            lock.unlock();
        }
        SimCarrier c = carrier;
        if (c != null) {
            c.stop();
        }
        closeDomain();
    }

    /**
     * A name for this run's threads and messages.
     *
     * @return "sim-N"
     */
    public String id() {
        return id;
    }

    // ---- state ----

    /** A thread of the simulation: a fiber, or a Reactor task's runner. */
    private static final class Member {
        final Thread thread;
        final @Nullable Fiber<?> fiber;
        boolean blocked;
        boolean wakePending;
        boolean settling;
        boolean root;
        boolean background;
        @Nullable Timer timer;

        Member(Thread thread, @Nullable Fiber<?> fiber) {
            this.thread = thread;
            this.fiber = fiber;
        }
    }

    /** A deadline of a parked member, or a Reactor task's due time; ordered by time, then creation. */
    static final class Timer implements Comparable<Timer> {
        final long deadline;
        final long seq;
        final @Nullable Member member;
        final @Nullable Runnable action;

        Timer(long deadline, long seq, @Nullable Member member, @Nullable Runnable action) {
            this.deadline = deadline;
            this.seq = seq;
            this.member = member;
            this.action = action;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
