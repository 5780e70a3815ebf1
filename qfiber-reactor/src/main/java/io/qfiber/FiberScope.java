package io.qfiber;

import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.ChildTracker;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Structured concurrency: a scope whose child fibers never outlive it. The fiber or thread that
 * opens a scope (its <em>owner</em>) forks children into it, waits for them with {@link #join()},
 * and closes it, normally with try-with-resources:
 *
 * <pre>{@code
 * try (FiberScope scope = FiberScope.open("quote")) {
 *     Fiber<Integer> price = scope.fork("price", () -> prices.read());
 *     Fiber<Integer> stock = scope.fork("stock", () -> stocks.read());
 *     scope.join();                       // both ended; throws if one failed
 *     return new Quote(price.join(), stock.join());
 * }                                       // close(): cancels and waits for what still runs
 * }</pre>
 *
 * <p><b>Fail-fast.</b> The first child that fails (ends with an exception other than its own
 * cancellation) cancels every other child of the scope. {@link #join()} waits until every child
 * has ended, then throws {@link CompletionException} whose cause is that first failure, with
 * later failures added as suppressed. A cancelled child is not a failure.
 *
 * <p><b>Ownership.</b> Only the owner forks, joins and closes; any other fiber or thread gets
 * {@link IllegalStateException}, as does {@code fork} after {@code close}. The children themselves
 * may open scopes of their own (scopes nest); cancelling a child that waits in its own scope's
 * {@code join()} cancels its children in turn.
 *
 * <p><b>Cancellation.</b> If the owner is cancelled (interrupted) while it waits in
 * {@code join()}, the scope cancels its children, waits for them to end, and {@code join()} then
 * throws {@link java.util.concurrent.CancellationException} with the interrupt status kept.
 *
 * <p><b>Close.</b> {@link #close()} cancels the children still running and waits for them to
 * end, whether or not the owner is interrupted (it keeps the interrupt status); it is idempotent
 * and does not throw the children's failures. A failure that no {@code join()} reported is
 * logged when the scope closes, so none goes unseen.
 *
 * <p>Works from fibers, threaded fibers and platform threads, in both threading modes; children
 * follow the usual placement rules (a child forked on a threaded fiber's thread runs there in
 * carrier mode). Like {@code StructuredTaskScope} (a preview API in JDK 21 to 25) and Kotlin's
 * {@code coroutineScope}, on JDK 21 without preview flags.
 */
public final class FiberScope implements AutoCloseable {
    private final String name;
    private final Thread owner = Thread.currentThread();
    /** Children started and not yet ended. */
    private final Set<Fiber<?>> running = ConcurrentHashMap.newKeySet();
    /** Count of {@link #running}, decremented after removal; the owner waits for 0. */
    private final AtomicInteger alive = new AtomicInteger();
    /** Failures in the order they were recorded; the first is the cause join() throws. */
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    // Set once a child failed: later forks are cancelled at once.
    private volatile boolean failed;
    private volatile boolean closed;
    private volatile boolean failureReported;
    private final Children tracker = new Children();

    private FiberScope(String name) {
        this.name = name;
    }

    /**
     * Opens a scope named {@code "scope"} owned by the calling fiber or thread.
     *
     * @return the scope
     */
    public static FiberScope open() {
        return new FiberScope("scope");
    }

    /**
     * Opens a named scope owned by the calling fiber or thread.
     *
     * @param name the name, for messages and the fiber dump; not null
     * @return the scope
     */
    public static FiberScope open(String name) {
        return new FiberScope(Objects.requireNonNull(name, "name"));
    }

    /**
     * The scope's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Forks a child computing a value. Never blocks.
     *
     * @param name the child's name, not null
     * @param body the code, not null
     * @param <T>  the result type
     * @return the started child, joinable as any fiber
     * @throws IllegalStateException if the caller is not the owner, or the scope is closed
     */
    public <T> Fiber<T> fork(String name, Callable<T> body) {
        return builder().name(name).start(body);
    }

    /**
     * Forks a child running {@code body}. Never blocks.
     *
     * @param name the child's name, not null
     * @param body the code, not null
     * @return the started child
     * @throws IllegalStateException if the caller is not the owner, or the scope is closed
     */
    public Fiber<Void> fork(String name, Runnable body) {
        return builder().name(name).start(body);
    }

    /**
     * A builder whose {@code start} forks into this scope: name it, make it threaded or put it on
     * the shared scheduler as with {@link Fiber#builder()}. Detached children are refused: a
     * detached fiber has no outcome for the scope to wait for.
     *
     * @return a new builder
     */
    public Fiber.Builder builder() {
        return new FiberBuilder(tracker);
    }

    /**
     * Waits until every child has ended; then, if a child failed, throws. Blocks the owner; may be
     * called again after more forks.
     *
     * @throws CompletionException   if a child failed: the first failure is the cause, later ones
     *                               are suppressed
     * @throws java.util.concurrent.CancellationException if the owner was cancelled while waiting:
     *                               the children were cancelled and have ended; interrupt kept
     * @throws IllegalStateException if the caller is not the owner, or on a Reactor non-blocking
     *                               thread
     */
    public void join() {
        checkOwner("join");
        Blocking.enter("FiberScope.join");
        WaitRecord rec = alive.get() > 0 ? WaitRecord.begin(WaitKind.SCOPE, this) : null;
        try {
            Blocking.parkUntil(() -> alive.get() == 0, this, Blocking.NO_DEADLINE);
        } catch (CancellationException cancelled) {
            cancelChildren();
            awaitChildrenUninterruptibly();
            throw cancelled;
        } finally {
            WaitRecord.end(rec);
        }
        Throwable first = failures.peek();
        if (first != null) {
            failureReported = true;
            CompletionException e = new CompletionException("a child of scope '" + name + "' failed: " + first, first);
            boolean skipFirst = true;
            for (Throwable t : failures) {
                if (skipFirst) {
                    skipFirst = false;
                } else {
                    e.addSuppressed(t);
                }
            }
            throw e;
        }
    }

    /**
     * Cancels the children still running and waits until they have ended. Idempotent; afterwards
     * {@code fork} is refused. Keeps the owner's interrupt status. Never throws a child's failure
     * (a failure no {@link #join()} reported is logged).
     *
     * <p>Waits for the children regardless of interrupts, so it is refused where waiting is not
     * allowed: on a Reactor non-blocking thread it throws at once, whether or not a child still
     * runs, and the scope stays open (close it from a thread that may block).
     *
     * @throws IllegalStateException if the caller is not the owner, or on a Reactor non-blocking
     *                               thread
     */
    @Override
    public void close() {
        checkOwner("close");
        Blocking.checkMayBlock("FiberScope.close");
        if (!closed) {
            closed = true;
            cancelChildren();
            awaitChildrenUninterruptibly();
            if (!failureReported && !failures.isEmpty()) {
                failureReported = true;
                // looked up when needed (rare), so logging configured after class init applies
                Logger log = Loggers.getLogger(FiberScope.class);
                log.warn("scope '" + name + "' closed with a child failure that no join() reported", failures.peek());
            }
        }
    }

    /**
     * Whether the scope has been closed.
     *
     * @return true after {@link #close()}
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * The children that have started and not yet ended, in no particular order.
     *
     * @return a snapshot
     */
    public List<Fiber<?>> children() {
        return new ArrayList<>(running);
    }

    @Override
    public String toString() {
        return "FiberScope[" + name + ", owner " + owner.getName() + ", " + alive.get() + " running"
                + (failed ? ", failed" : "") + (closed ? ", closed]" : "]");
    }

    /** What the scope's children report to it: a private object, so no internal type shows in the API. */
    private final class Children implements ChildTracker<Fiber<?>> {
        @Override
        public String name() {
            return name;
        }

        @Override
        public void checkFork(String childName) {
            checkOwner("fork");
            if (closed) {
                throw new IllegalStateException("scope '" + name + "' is closed: cannot fork '" + childName + "'");
            }
        }

        @Override
        public void childStarting(Fiber<?> child) {
            alive.incrementAndGet();
            running.add(child);
        }

        @Override
        public void childStarted(Fiber<?> child) {
            if (failed) {
                child.cancel(); // forked after a failure: cancelled at once
            }
        }

        @Override
        public void childNotStarted(Fiber<?> child) {
            running.remove(child);
            if (alive.decrementAndGet() == 0) {
                Blocking.unpark(owner);
            }
        }

        @Override
        public void childEnded(Fiber<?> child, @Nullable Throwable failure) {
            if (failure != null) {
                failures.add(failure);
                if (!failed) {
                    failed = true; // set before cancelling: a fork racing this sees it (childStarted)
                }
                cancelChildren();
            }
            running.remove(child);
            if (alive.decrementAndGet() == 0) {
                Blocking.unpark(owner);
            }
        }
    }

    private void cancelChildren() {
        for (Fiber<?> f : running) {
            f.cancel();
        }
    }

    private void awaitChildrenUninterruptibly() {
        boolean interrupted = Thread.interrupted();
        WaitRecord rec = alive.get() > 0 ? WaitRecord.begin(WaitKind.SCOPE, this) : null;
        try {
            while (alive.get() > 0) {
                Blocking.park(this, Blocking.NO_DEADLINE);
                if (Thread.interrupted()) {
                    interrupted = true;
                    cancelChildren();
                }
            }
        } finally {
            WaitRecord.end(rec);
            if (interrupted) {
                owner.interrupt();
            }
        }
    }

    private void checkOwner(String operation) {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("only the owner of scope '" + name + "' (" + owner.getName()
                    + ") may " + operation + "; called from " + Thread.currentThread().getName());
        }
    }
}
