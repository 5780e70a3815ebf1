package io.qfiber;

import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.TimeDomain;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.Carriers;
import io.qfiber.internal.fiber.ChildTracker;
import io.qfiber.internal.fiber.FiberPlacement;
import io.qfiber.internal.fiber.FiberSchedulers;
import io.qfiber.internal.fiber.ThreadedFiberThread;
import io.qfiber.internal.fiber.WaiterList;
import io.qfiber.internal.observe.LibraryStats;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import io.qfiber.internal.reactive.MonoAwait;
import io.qfiber.internal.reactive.ThreadLocalContext;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * A fiber: sequential, blocking-style code running concurrently with other fibers, QFiber's
 * coroutine. A plain fiber is a virtual thread named after the fiber, so thousands can block in
 * channel reads, socket reads or {@link #await} cheaply. A <em>threaded</em> fiber runs on a
 * dedicated platform thread with its own Reactor {@link Scheduler}: work scheduled there (for
 * example with {@code publishOn(fiber.scheduler())}) runs on that thread whenever the fiber waits
 * in a blocking call of this library.
 *
 * <h2>Where fibers run</h2>
 * As in QFiber, fibers live on the thread that started them. In carrier mode
 * ({@link #threadingMode()}, with {@code --add-opens java.base/java.lang=ALL-UNNAMED}), a plain
 * fiber started from a threaded fiber, or from a fiber already running on its thread, runs on that
 * thread, which also drives the event loop of the sockets those fibers use; it runs whenever the
 * code on that thread waits in the library, never in parallel with it. Other fibers, and every
 * fiber in shared mode, run on the JDK's shared virtual-thread scheduler;
 * {@link Builder#onSharedScheduler()} asks for that explicitly.
 *
 * <p>Start one with {@link #start(String, Runnable)}, {@link #start(String, Callable)} or
 * {@link #builder()}. The handle is thread-safe. A finished fiber's handle does not keep its thread
 * reachable.
 *
 * <h2>Lifecycle</h2>
 * <ul>
 *   <li>A fiber ends when its body returns (its value is the result) or throws (the failure).
 *       A failure never propagates beyond the fiber: it is kept for {@link #join()} and
 *       {@link #asMono()}, or, for a <em>detached</em> fiber, logged through Reactor's
 *       {@link Loggers} with the fiber's name.</li>
 *   <li>{@link #cancel()} interrupts the fiber: the library's blocking call it is in (or the next
 *       one) throws {@link CancellationException}. A fiber that ends with that exception after a
 *       cancel is <em>cancelled</em>.</li>
 *   <li>Fibers are daemon threads: they do not keep the JVM alive. A program's {@code main}
 *       joins the fibers it waits for.</li>
 * </ul>
 *
 * <p>The static helpers ({@link #current()}, {@link #sleep}, {@link #await}) are meant for code
 * running in a fiber, and also work on any thread that may block.
 *
 * @param <T> the type of the body's result ({@link Void} for a {@link Runnable})
 */
public final class Fiber<T> {
    private final String name;
    private final boolean detached;
    private final @Nullable ThreadedFiberThread threadedThread;
    // The threaded fiber's thread this plain fiber runs on (carrier mode), or null.
    final @Nullable ThreadedFiberThread carrier;
    // The simulation this fiber belongs to, or null.
    final @Nullable TimeDomain domain;
    private final boolean threaded;
    final CompletableFuture<T> result = new CompletableFuture<>();
    /** Selects waiting for this fiber to end (onJoin); created on first use, woken once it has ended. */
    private volatile @Nullable WaiterList endWaiters;
    private static final VarHandle END_WAITERS =
            FieldHandles.find(MethodHandles.lookup(), Fiber.class, "endWaiters", WaiterList.class);
    // The running thread; cleared when the body ends so a finished handle holds no thread.
    private volatile @Nullable Thread thread;
    volatile boolean cancelRequested;
    // The subscriber's Reactor Context for a fiber started by mono/flux; empty otherwise.
    private final ContextView context;
    // The scope this fiber was forked into (through the scope's tracker), or null.
    private final @Nullable ChildTracker<Fiber<?>> scope;
    // The fiber this one waits for in an untimed join(), for join-cycle detection; null otherwise.
    private volatile @Nullable Fiber<?> joining;
    /**
     * What this fiber waits on, for the fiber dump; written by its own thread. The thread's current
     * record while the body runs, which is how {@link #current()} finds the fiber.
     */
    final WaitRecord waits = new WaitRecord(this);
    /** Every fiber started and not yet ended, for the fiber dump. */
    static final Set<Fiber<?>> LIVE = ConcurrentHashMap.newKeySet();

    static {
        // The one arrow from Fiber to FiberDump: registers the dump with JMX, in the background,
        // when the first fiber class use initializes this class.
        FiberDump.init();
    }

    Fiber(String name, boolean detached, boolean threaded, boolean shared, ContextView context,
          @Nullable ChildTracker<Fiber<?>> scope, Callable<T> body) {
        this.name = name;
        this.detached = detached;
        this.context = context;
        this.scope = scope;
        this.threaded = threaded;
        this.domain = TimeDomain.forNewFiber();
        FiberPlacement placed = FiberPlacement.place(name, threaded, shared, () -> run(body));
        this.threadedThread = placed.own();
        this.carrier = placed.carrier();
        this.thread = placed.thread();
    }

    // ---- starting ----

    /**
     * Starts describing a fiber: name, detached, threaded.
     *
     * @return a new builder for a plain, joinable fiber named {@code "fiber"}
     */
    public static Builder builder() {
        return new FiberBuilder();
    }

    /**
     * Starts a plain, joinable fiber running {@code body}. Never blocks: the fiber runs
     * concurrently from here on.
     *
     * @param name the fiber's name (and its virtual thread's), not null
     * @param body the code to run, not null
     * @return the started fiber; its result is null
     */
    public static Fiber<Void> start(String name, Runnable body) {
        return builder().name(name).start(body);
    }

    /**
     * Starts a plain, joinable fiber computing a value. Never blocks.
     *
     * @param name the fiber's name (and its virtual thread's), not null
     * @param body the code to run, not null; what it throws becomes the fiber's failure
     * @param <T>  the result type
     * @return the started fiber
     */
    public static <T> Fiber<T> start(String name, Callable<T> body) {
        return builder().name(name).start(body);
    }

    /**
     * Describes a fiber to start, as QFiber's {@code Fiber(name)}, {@code setDetached},
     * {@code setThreaded}, {@code start}. Not thread-safe; each method returns this builder, which
     * can start any number of fibers.
     */
    public interface Builder {
        /**
         * Names the fiber; its thread gets the same name.
         *
         * @param name the name, not null
         * @return this builder
         */
        Builder name(String name);

        /**
         * Makes the fiber detached: it cannot be joined, and its failure is logged.
         *
         * @return this builder
         */
        Builder detached();

        /**
         * Sets whether the fiber is detached.
         *
         * @param on true for detached
         * @return this builder
         * @throws IllegalStateException if {@code on} and this builder came from
         *                               {@link FiberScope#builder()}: a scope waits for its children
         */
        Builder detached(boolean on);

        /**
         * Makes the fiber threaded: its body runs on its own platform thread, with a Scheduler on
         * that thread. In carrier mode the thread also carries the fibers started from it and the
         * event loop of their sockets, and lives until they have ended and those sockets are
         * closed; the scheduler is disposed when the thread ends. {@link Fiber#join()} returns when
         * the body ends.
         *
         * @return this builder
         */
        Builder threaded();

        /**
         * Sets whether the fiber is threaded.
         *
         * @param on true for threaded
         * @return this builder
         */
        Builder threaded(boolean on);

        /**
         * Starts the fiber on the JDK's shared virtual-thread scheduler even when it is started from
         * inside a threaded fiber. In carrier mode (see {@link Fiber#threadingMode()}) a fiber
         * started from a threaded fiber, or from a fiber running on its thread, runs on that thread:
         * it shares the thread with its siblings and with the event loop of their sockets, and
         * while it computes, nothing else runs there. Use this option for work that computes for
         * long or blocks outside the library (file I/O, {@code synchronized} on JDK 21 to 23),
         * which would hold the thread. In shared mode every fiber runs on the shared scheduler and
         * this option changes nothing.
         *
         * @return this builder
         */
        Builder onSharedScheduler();

        /**
         * Sets whether the fiber runs on the JDK's shared scheduler wherever it is started (see
         * {@link #onSharedScheduler()}). Applies to plain fibers only.
         *
         * @param on true for the shared scheduler
         * @return this builder
         */
        Builder onSharedScheduler(boolean on);

        /**
         * Starts a fiber running {@code body}. Never blocks.
         *
         * @param body the code, not null
         * @return the started fiber; its result is null
         * @throws IllegalStateException if both {@link #threaded()} and {@link #onSharedScheduler()}
         *                               are set: a threaded fiber runs on its own thread; for a
         *                               builder from {@link FiberScope#builder()}, if the caller is
         *                               not the scope's owner or the scope is closed (nothing is
         *                               started then)
         */
        Fiber<Void> start(Runnable body);

        /**
         * Starts a fiber computing a value.
         *
         * @param body the code, not null
         * @param <T>  the result type
         * @return the started fiber
         * @throws IllegalStateException as {@link #start(Runnable)}
         */
        <T> Fiber<T> start(Callable<T> body);
    }

    // Started by FiberBuilder.start, which registers the fiber with its scope, LIVE, the counters
    // and its carrier; run() deregisters it from the same four, in reverse, when the body ends.
    private void run(Callable<T> body) {
        WaitRecord.attach(waits);
        T value = null;
        Throwable failure = null;
        // ThreadLocals registered with context-propagation, restored from the subscriber's context
        // (only for fibers of Fiber.mono/flux, whose context is not empty) and cleared at the end.
        // Restored inside the try: an accessor that throws fails the fiber (its body does not run)
        // rather than leaving it unfinished, with its Mono or Flux never terminating.
        AutoCloseable threadLocals = null;
        try {
            threadLocals = ThreadLocalContext.restore(context);
            value = body.call();
        } catch (Throwable t) {
            failure = t;
        } finally {
            failure = ThreadLocalContext.close(threadLocals, failure);
            WaitRecord.detach();
            // Before completing, so that whoever sees the fiber ended sees its thread let go.
            thread = null;
        }
        try {
            boolean failed = false;
            // counted before the outcome is published, so whoever sees the fiber ended sees it counted
            if (failure == null) {
                LibraryStats.FIBERS_COMPLETED.increment();
                result.complete(value);
            } else {
                failed = !fail(failure);
            }
            // After completing (a volatile write), look for waiters; a select registers, then
            // looks at the outcome: one of the two sees the other.
            WaiterList waiters = endWaiters;
            if (waiters != null) {
                waiters.wakeAll();
            }
            LIVE.remove(this);
            ChildTracker<Fiber<?>> s = scope;
            if (s != null) {
                s.childEnded(this, failed ? failure : null);
            }
        } finally {
            ThreadedFiberThread c = carrier;
            if (c != null) {
                c.fiberEnded();
            }
            TimeDomain d = domain;
            if (d != null) {
                d.memberEnded(Thread.currentThread());
            }
        }
    }

    /** Records the failure; returns true if it counts as the fiber's cancellation, not a failure. */
    private boolean fail(Throwable failure) {
        boolean cancelled = cancelRequested
                && (failure instanceof CancellationException || failure instanceof InterruptedException);
        (cancelled ? LibraryStats.FIBERS_CANCELLED : LibraryStats.FIBERS_FAILED).increment();
        if (cancelled) {
            result.cancel(false);
        } else {
            result.completeExceptionally(failure);
        }
        if (detached) {
            // looked up per failure (rare), so logging configured after class init applies
            Logger log = Loggers.getLogger(Fiber.class);
            if (cancelled) {
                log.debug("detached fiber '{}' was cancelled", name);
            } else {
                log.error("detached fiber '" + name + "' failed", failure);
            }
        }
        return cancelled;
    }

    // ---- the handle ----

    /**
     * The fiber's name, as given to the builder.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Whether the fiber is detached (not joinable; failures logged).
     *
     * @return true if detached
     */
    public boolean isDetached() {
        return detached;
    }

    /**
     * Whether the fiber runs on its own platform thread and Scheduler.
     *
     * @return true if threaded
     */
    public boolean isThreaded() {
        return threaded;
    }

    /**
     * Whether the fiber's body is still running.
     *
     * @return true until the body returned or threw
     */
    public boolean isAlive() {
        return !result.isDone();
    }

    /**
     * Waits for the fiber to end and returns its result, like {@link CompletableFuture#join()}.
     * Blocks the calling fiber or thread.
     *
     * @return the body's value (null for a {@link Runnable} body)
     * @throws CompletionException   if the body failed; the cause is the failure
     * @throws CancellationException if the fiber was cancelled, or if the calling thread is
     *                               interrupted while waiting (its interrupt status stays set)
     * @throws IllegalStateException if the fiber is detached, if a fiber joins itself, if the join
     *                               would close a cycle of fibers joining each other (a joins b,
     *                               b joins a, directly or through longer chains of untimed joins:
     *                               the message names the cycle), or if called
     *                               on a Reactor non-blocking thread
     */
    public @Nullable T join() {
        checkJoinable("join");
        if (!result.isDone()) {
            Fiber<?> me = current();
            if (me != null) {
                // Announce the wait, then look for a cycle: of two fibers joining each other at
                // once, at least one sees the other's announcement (volatile write, then reads).
                me.joining = this;
                try {
                    refuseJoinCycle(me);
                    awaitDone(Blocking.NO_DEADLINE);
                } finally {
                    me.joining = null;
                }
            } else {
                awaitDone(Blocking.NO_DEADLINE);
            }
        }
        return result.join();
    }

    /** Throws if the chain of untimed joins from this fiber leads back to {@code me}. */
    private void refuseJoinCycle(Fiber<?> me) {
        StringBuilder chain = new StringBuilder("'").append(me.name).append('\'');
        Fiber<?> f = this;
        for (int steps = 0; f != null && steps < 100_000; steps++) {
            chain.append(" joins '").append(f.name).append('\'');
            if (f == me) {
                throw new IllegalStateException("join cycle: " + chain + "; this join would wait forever");
            }
            f = f.joining;
        }
    }

    /**
     * Waits at most {@code timeout} for the fiber to end, like {@code Thread.join(Duration)}.
     * Never throws the fiber's failure.
     *
     * @param timeout how long to wait at most, not negative
     * @return true if the fiber has ended
     * @throws CancellationException    if the calling thread is interrupted while waiting
     * @throws IllegalArgumentException if timeout is negative
     * @throws IllegalStateException    if the fiber is detached, if a fiber joins itself, or on a
     *                                  Reactor non-blocking thread
     */
    public boolean join(Duration timeout) {
        long deadline = Blocking.deadline(timeout);
        checkJoinable("join");
        awaitDone(deadline);
        return result.isDone();
    }

    /**
     * The fiber's outcome as a {@link Mono}: the value (empty for null), or the failure as error,
     * or {@link CancellationException} if the fiber was cancelled. Cancelling the Mono does not
     * cancel the fiber. Never blocks.
     *
     * @return a Mono replaying the outcome to every subscriber
     * @throws IllegalStateException if the fiber is detached
     */
    public Mono<T> asMono() {
        if (detached) {
            throw new IllegalStateException("fiber '" + name + "' is detached: it has no outcome to observe");
        }
        return Mono.fromFuture(result, true);
    }

    /**
     * Cancels the fiber by interrupting it: the library's blocking call it is in, or its next one,
     * throws {@link CancellationException}, which normally ends the fiber as cancelled. Code that
     * catches the exception may clean up and continue: cancellation is cooperative. No effect on a
     * fiber that has ended. Never blocks.
     */
    public void cancel() {
        cancelRequested = true;
        Thread t = thread;
        if (t != null) {
            Blocking.interrupt(t);
        }
    }

    /**
     * The scheduler of this fiber: for a threaded fiber, its own single-thread scheduler on its
     * thread (its tasks run while the body waits in the library and must not block there; disposed
     * when the thread ends: with the body, or in carrier mode once the fibers it carries have
     * ended too); for a plain fiber, a shared scheduler that runs each task on a new virtual thread
     * on the JDK's shared scheduler.
     *
     * @return the scheduler
     */
    public Scheduler scheduler() {
        ThreadedFiberThread t = threadedThread;
        if (t != null) {
            return t.scheduler();
        }
        TimeDomain d = domain;
        return d != null ? d.scheduler() : FiberSchedulers.virtualThreads();
    }

    /**
     * Which threading mode the library runs in: {@link ThreadingMode#CARRIERS} when the JVM was
     * started with {@code --add-opens java.base/java.lang=ALL-UNNAMED} (JDK 21 to 25), otherwise
     * {@link ThreadingMode#SHARED_SCHEDULER}. Decided once per JVM and logged once at INFO.
     * Semantics are the same in both modes; only where fibers run differs.
     *
     * @return the mode
     */
    public static ThreadingMode threadingMode() {
        return Carriers.enabled() ? ThreadingMode.CARRIERS : ThreadingMode.SHARED_SCHEDULER;
    }

    /** The name of the scope this fiber was forked into, or null. */
    @Nullable String scopeName() {
        ChildTracker<Fiber<?>> s = scope;
        return s != null ? s.name() : null;
    }

    /** The fiber's thread while it runs, null once it has ended (for the fiber dump and tests). */
    @Nullable Thread thread() {
        return thread;
    }

    @Override
    public String toString() {
        return "Fiber[" + name + (isThreaded() ? ", threaded" : "") + (detached ? ", detached" : "")
                + (isAlive() ? ", alive]" : ", ended]");
    }

    /** The outcome, for {@link Select#onJoin}. */
    CompletableFuture<T> outcome() {
        return result;
    }

    /** The waiters woken when this fiber ends, for {@link Select#onJoin}; created on first use. */
    WaiterList endWaiters() {
        WaiterList w = endWaiters;
        return w != null ? w : WaiterList.getOrCreate(END_WAITERS, this);
    }

    /**
     * Checks that a join-like wait on this fiber is allowed: not detached, not the caller itself.
     *
     * @param operation the operation, for the message
     */
    void checkJoinableBy(String operation) {
        if (detached) {
            throw new IllegalStateException("fiber '" + name + "' is detached and cannot be joined");
        }
        if (current() == this) {
            throw new IllegalStateException("fiber '" + name + "' cannot " + operation + " itself");
        }
    }

    private void checkJoinable(String operation) {
        checkJoinableBy(operation);
        Blocking.enter("Fiber." + operation);
    }

    private void awaitDone(long deadline) {
        if (result.isDone()) {
            return;
        }
        WaitRecord rec = WaitRecord.begin(WaitKind.JOIN, this, deadline);
        try {
            Blocking.awaitCompletion(result, deadline);
        } finally {
            WaitRecord.end(rec);
        }
    }

    // ---- helpers for code inside fibers ----

    /**
     * The fiber running the calling code.
     *
     * <p>A fiber's thread finds its fiber through its uncaught-exception handler, which the library
     * sets while the body runs (it passes an exception on to the thread's group, as the thread would
     * without it; a fiber's failure never escapes its thread anyway). Code that replaces that
     * handler on a fiber's own thread ({@link Thread#setUncaughtExceptionHandler}) makes this
     * method return null there and hides the fiber's waits from the fiber dump.
     *
     * @return the current fiber, or null when called outside any fiber
     */
    public static @Nullable Fiber<?> current() {
        WaitRecord r = WaitRecord.ofCurrentThread();
        if (r == null) {
            return null;
        }
        return (Fiber<?>) r.owner();
    }

    /**
     * Pauses the calling fiber for {@code duration}, parking its virtual thread. On a threaded
     * fiber's thread, the fiber's scheduled tasks run meanwhile.
     *
     * @param duration how long, not negative
     * @throws CancellationException    if the fiber is cancelled (interrupted) meanwhile
     * @throws IllegalArgumentException if duration is negative
     * @throws IllegalStateException    on a Reactor non-blocking thread
     */
    public static void sleep(Duration duration) {
        long deadline = Blocking.deadline(duration);
        Blocking.enter("Fiber.sleep");
        WaitRecord rec = WaitRecord.begin(WaitKind.SLEEP, null, deadline);
        try {
            Blocking.sleepUntil(Fiber.class, deadline);
        } finally {
            WaitRecord.end(rec);
        }
    }

    /**
     * Subscribes to {@code mono} and parks the calling fiber until it signals: the blocking bridge
     * from Reactor into fiber code, like {@code Mono.block()} but parking a virtual thread.
     *
     * @param mono the Mono to wait for
     * @param <T>  the value type
     * @return its value, or null if it completes empty
     * @throws RuntimeException      the Mono's error (unchecked errors as they are, checked ones
     *                               wrapped in {@link CompletionException})
     * @throws CancellationException if the fiber is cancelled meanwhile; the subscription is then
     *                               cancelled
     * @throws IllegalStateException on a Reactor non-blocking thread
     * @see #context() the context the subscription carries
     */
    public static <T> @Nullable T await(Mono<T> mono) {
        Objects.requireNonNull(mono, "mono");
        Blocking.enter("Fiber.await");
        return MonoAwait.await(mono, context());
    }

    /**
     * The Reactor {@link reactor.util.context.Context} of the subscriber that started the calling
     * fiber through {@link #mono} or {@link #flux}: request data a Spring or Reactor pipeline
     * carries (security, tenant, trace ids) reaches blocking-style fiber code this way. Each
     * subscription's fiber sees its own subscriber's context. {@link #await} passes it on to the
     * awaited Mono. Never blocks.
     *
     * @return the subscriber's context inside a fiber started by {@code mono} or {@code flux};
     *         {@code Context.empty()} elsewhere (other fibers, platform threads)
     */
    public static ContextView context() {
        Fiber<?> f = current();
        return f != null ? f.context : Context.empty();
    }

    /**
     * A Mono that runs {@code body} in a new fiber for each subscription: the bridge from fiber code
     * into Reactor. The Mono emits the body's value (empty for null) or its failure; cancelling
     * the subscription cancels the fiber (and the Mono then signals nothing more). A fiber
     * cancelled any other way (for example {@code Fiber.current().cancel()} in the body) ends the
     * Mono with its {@link CancellationException}: the Mono always terminates. Subscribing never
     * blocks.
     *
     * @param body the blocking-style code, not null
     * @param <T>  the value type
     * @return a cold Mono
     */
    public static <T> Mono<T> mono(Callable<T> body) {
        return FiberPublishers.mono(body);
    }

    /**
     * A Flux whose values a fiber writes in blocking style: the body gets a rendezvous channel and
     * each {@code write} returns once the subscriber has requested and received the value, so the
     * body runs at the subscriber's pace. The Flux completes when the body returns and errors with
     * what it throws. Cancelling the subscription closes the channel and cancels the fiber: its
     * blocked write throws. A fiber cancelled any other way ends the Flux with its
     * {@link CancellationException}. Each subscription runs the body in a new fiber; subscribing
     * never blocks.
     *
     * @param body the producer, not null
     * @param <T>  the value type
     * @return a cold Flux
     */
    public static <T> Flux<T> flux(Consumer<Channel<T>> body) {
        return FiberPublishers.flux(body);
    }
}
