package io.qfiber.internal.fiber;

import io.netty.channel.ManualIoEventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.qfiber.internal.FieldHandles;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The dedicated platform thread of a threaded fiber: it runs the fiber's body, the work of the
 * fiber's {@link Scheduler} and, in carrier mode, the fibers started from it and the I/O of their
 * sockets.
 *
 * <h2>Carrier mode</h2>
 * The thread owns a Netty {@link ManualIoEventLoop}. Its task queue is the thread's one queue:
 * the scheduler's tasks, the continuations of the virtual threads carried here (this object is
 * their {@link Executor}) and Netty's own tasks all go there. Whenever the body waits in a
 * blocking call of the library ({@link #parkBody}), the thread runs the loop: ready I/O, then the
 * queued tasks (for a slice of {@value #TASK_SLICE_NANOS} ns at most, so that fibers waking each
 * other cannot hold the thread from the body), then it waits in {@code epoll_wait} (or a NIO
 * selector) until I/O, a task, a
 * deadline or a wake-up of the body ({@link #wakeBody}) arrives. A wake-up sets {@link #permit}
 * and queues a no-op task, which is Netty's own protocol for waking a loop, so no wake-up is lost
 * between the body's check and the wait. While the body computes, nothing else runs here (as in
 * lthread, where the next fiber runs when the running one yields).
 *
 * <p>After the body returns, the thread keeps running the loop until every fiber it carries has
 * ended and every socket registered on its loop is closed; then the loop shuts down and the
 * scheduler is disposed. Continuations submitted after that (only virtual threads that were not
 * started as fibers can still have any) run on the JDK's shared scheduler instead of being lost.
 *
 * <h2>Shared mode</h2>
 * Fibers started here run on the JDK's shared scheduler; the scheduler's tasks queue here and run
 * whenever the body waits in a library call, and the thread ends with the body.
 *
 * <h2>Interrupts</h2>
 * A carried virtual thread's mount and unmount clear the carrier's interrupt status (the JDK keeps
 * the two apart). So {@link #interrupt()} counts interrupts, once before and once after it sets the
 * status, and after running loop work the thread restores an interrupt that arrived meanwhile or
 * was in progress (the count odd) when the work began. An interrupt also wakes the body.
 *
 * <p>While the thread runs loop work (tasks, I/O, carried fibers), it must not block: the library's
 * blocking calls made there by scheduler tasks are refused ({@link #isRunningWork()}), as on any
 * event loop.
 */
public final class ThreadedFiberThread extends FastThreadLocalThread implements Executor {
    private static final Logger LOG = Loggers.getLogger(ThreadedFiberThread.class);
    private static final Runnable WAKE_UP = () -> { };
    /**
     * How long one turn of the loop runs queued tasks at most before it returns to check the body's
     * wake-up (and I/O): fibers that keep waking each other never empty the queue.
     */
    private static final long TASK_SLICE_NANOS = 200_000;
    private static final VarHandle INTERRUPTS =
            FieldHandles.find(MethodHandles.lookup(), ThreadedFiberThread.class, "interrupts", long.class);

    private final @Nullable ManualIoEventLoop loop;
    private final ConcurrentLinkedQueue<Runnable> sharedModeTasks = new ConcurrentLinkedQueue<>();
    private final TaskExecutor executor = new TaskExecutor();
    private final Scheduler scheduler;
    /** Fibers running on this thread (carrier mode), counted from start to end. */
    private final AtomicInteger carriedFibers = new AtomicInteger();
    /** Sockets registered on this thread's loop and not yet closed. */
    private final AtomicInteger openSockets = new AtomicInteger();
    /** Submitters of continuations between their check of {@link #loopDone} and their enqueue. */
    private final AtomicInteger submitting = new AtomicInteger();
    // A wake-up for the body: set by wakeBody, cleared when parkBody returns.
    private volatile boolean permit;
    private volatile long interrupts;
    // Set once the loop stops taking continuations; later ones go to the shared scheduler.
    private volatile boolean loopDone;
    // Whether the body is parked in a library call (a diagnostic: its state is RUNNABLE in epoll).
    private volatile boolean bodyWaiting;
    // Only this thread reads or writes it: true while it runs loop work rather than body code.
    private boolean runningWork;
    // Only code running on this thread (the body or a carried fiber) uses it, one at a time.
    private Thread.Builder.@Nullable OfVirtual builder;

    /**
     * Creates the thread (not started), its scheduler and, in carrier mode, its event loop.
     *
     * @param name the fiber's name, used for the thread and the scheduler
     * @param body what the thread runs first
     */
    public ThreadedFiberThread(String name, Runnable body) {
        super(null, body, name);
        setDaemon(true);
        this.loop = Carriers.enabled() ? new CarrierLoop(this) : null;
        this.scheduler = Schedulers.fromExecutorService(executor, name);
    }

    /**
     * The thread the calling code runs on, as a threaded fiber's thread, if it is one: the thread
     * itself, or the carrier of the calling virtual thread.
     *
     * @return the threaded fiber thread, or null
     */
    public static @Nullable ThreadedFiberThread current() {
        Thread t = Thread.currentThread();
        if (t instanceof ThreadedFiberThread tft) {
            return tft;
        }
        return t.isVirtual() && Carriers.enabled() && Carriers.currentCarrierThread() instanceof ThreadedFiberThread tft
                ? tft : null;
    }

    /**
     * The scheduler whose tasks run on this thread.
     *
     * @return the scheduler, disposed when the thread ends
     */
    public Scheduler scheduler() {
        return scheduler;
    }

    /**
     * This thread's event loop (carrier mode only).
     *
     * @return the loop, or null in shared mode
     */
    public @Nullable ManualIoEventLoop eventLoop() {
        return loop;
    }

    /**
     * Whether this thread carries fibers (carrier mode) and is still taking new ones.
     *
     * @return true if fibers started from here run here
     */
    public boolean isCarrier() {
        return loop != null && !loopDone;
    }

    /**
     * Whether the loop has stopped taking continuations (carrier mode, after the body and every
     * fiber and socket here ended).
     *
     * @return true once the loop is done
     */
    boolean isLoopDone() {
        return loopDone;
    }

    /**
     * Whether the thread is running loop work (scheduler tasks, I/O, carried fibers) rather than
     * the body, so that a blocking call made on it now would stall that work.
     *
     * @return true while running loop work; only meaningful on this thread
     */
    public boolean isRunningWork() {
        return runningWork;
    }

    /**
     * Whether the body is waiting in a blocking call of the library (or has ended).
     *
     * @return true while the body waits
     */
    public boolean isBodyWaiting() {
        return bodyWaiting;
    }

    // ---- carried fibers and sockets ----

    /**
     * The builder of virtual threads carried by this thread. Call only from code running on this
     * thread ({@link #current()} is this thread), which serializes its use.
     *
     * @return the builder
     */
    public Thread.Builder.OfVirtual virtualThreadBuilder() {
        Thread.Builder.OfVirtual b = builder;
        if (b == null) {
            b = Carriers.builderOn(this);
            builder = b;
        }
        return b;
    }

    /** Counts a fiber that will run on this thread; call before starting its virtual thread. */
    public void fiberStarting() {
        carriedFibers.incrementAndGet();
    }

    /** Counts a carried fiber's end; the last one lets the thread end once the body has. */
    public void fiberEnded() {
        if (carriedFibers.decrementAndGet() == 0) {
            wakeBody();
        }
    }

    /**
     * Counts a socket registered on this thread's loop until its Netty channel closes.
     *
     * @param channel the registered channel
     */
    public void socketRegistered(io.netty.channel.Channel channel) {
        openSockets.incrementAndGet();
        channel.closeFuture().addListener(f -> {
            if (openSockets.decrementAndGet() == 0) {
                wakeBody();
            }
        });
    }

    /**
     * Runs a carried virtual thread's continuation on this thread: the executor that carrier mode
     * gives the JDK as the fibers' scheduler. Never rejects.
     */
    @Override
    public void execute(Runnable continuation) {
        ManualIoEventLoop l = loop;
        if (l != null && Thread.currentThread() == this) {
            // Most wake-ups come from this thread's own loop work. Only this thread sets loopDone,
            // so it cannot change between the check and the enqueue: no need to count.
            if (!loopDone) {
                l.execute(continuation);
                return;
            }
        } else if (l != null) {
            submitting.incrementAndGet();
            try {
                if (!loopDone) {
                    l.execute(continuation);
                    return;
                }
            } catch (RejectedExecutionException lateComer) {
                // fall through to the shared scheduler
            } finally {
                submitting.decrementAndGet();
            }
        }
        Carriers.sharedExecutor().execute(continuation);
    }

    // ---- the body's waiting ----

    /**
     * Waits for the body (called by {@link Blocking#park} on this thread only): returns when woken,
     * interrupted, at the deadline, or spuriously; meanwhile runs the thread's other work.
     *
     * @param blocker  what the body waits on, for thread dumps
     * @param deadline a value from {@link Blocking#deadline} or {@link Blocking#NO_DEADLINE}
     */
    void parkBody(Object blocker, long deadline) {
        bodyWaiting = true;
        try {
            ManualIoEventLoop l = loop;
            if (l == null) {
                Runnable task = sharedModeTasks.poll();
                if (task != null) {
                    runWork(task);
                } else {
                    Blocking.parkThread(blocker, deadline);
                }
                return;
            }
            if (permit || isInterrupted()) {
                permit = false;
                return;
            }
            long waitNanos = 0; // 0: until I/O, a task or a wake-up
            if (deadline != Blocking.NO_DEADLINE) {
                waitNanos = deadline - System.nanoTime();
                if (waitNanos <= 0) {
                    return;
                }
            }
            runLoop(l, waitNanos);
            permit = false;
        } finally {
            bodyWaiting = false;
        }
    }

    /**
     * Wakes the body if it waits in {@link #parkBody}, or makes its next wait return at once.
     * Callable from any thread.
     */
    public void wakeBody() {
        ManualIoEventLoop l = loop;
        if (l == null) {
            LockSupport.unpark(this);
            return;
        }
        permit = true;
        if (!loopDone) {
            try {
                l.execute(WAKE_UP);
            } catch (RejectedExecutionException ended) {
                // the loop has ended: nobody waits
            }
        }
    }

    @Override
    public void interrupt() {
        // Odd while the status is being set: a loop turn that starts meanwhile cannot tell whether
        // the status it reads already includes this interrupt, and restores it regardless.
        INTERRUPTS.getAndAdd(this, 1L);
        try {
            super.interrupt();
        } finally {
            INTERRUPTS.getAndAdd(this, 1L);
        }
        wakeBody();
    }

    private void runLoop(ManualIoEventLoop l, long waitNanos) {
        // Read the counter first, then the status: an interrupt that completed before the read is
        // in the status; one in progress makes the counter odd; one that starts later changes it.
        long interruptsBefore = interrupts;
        boolean wasInterrupted = isInterrupted() || (interruptsBefore & 1L) != 0;
        boolean outer = !runningWork;
        runningWork = true;
        try {
            l.run(waitNanos, TASK_SLICE_NANOS);
        } finally {
            if (outer) {
                runningWork = false;
            }
            // A carried fiber's mount and unmount clear this thread's interrupt status: restore
            // one that belonged to the body.
            if ((wasInterrupted || interrupts != interruptsBefore) && !isInterrupted()) {
                super.interrupt();
            }
        }
    }

    private void runWork(Runnable task) {
        boolean outer = !runningWork;
        runningWork = true;
        try {
            task.run();
        } catch (Throwable t) {
            LOG.error("task on the scheduler of threaded fiber '" + getName() + "' failed", t);
        } finally {
            if (outer) {
                runningWork = false;
            }
        }
    }

    // ---- the thread's life ----

    @Override
    public void run() {
        try {
            super.run();
        } finally {
            runningWork = true; // from here on only loop work runs, and it must not block
            bodyWaiting = true;
            ManualIoEventLoop l = loop;
            if (l == null) {
                for (Runnable task = sharedModeTasks.poll(); task != null; task = sharedModeTasks.poll()) {
                    runWork(task);
                }
            } else {
                Thread.interrupted(); // the body's cancellation is over; carried fibers go on
                carryUntilIdle(l);
            }
            scheduler.dispose();
            executor.terminated.countDown();
            FastThreadLocal.removeAll();
        }
    }

    private void carryUntilIdle(ManualIoEventLoop l) {
        try {
            while (carriedFibers.get() > 0 || openSockets.get() > 0) {
                l.run(0, TASK_SLICE_NANOS);
                Thread.interrupted();
            }
            l.runNow(TASK_SLICE_NANOS);
            // Stop taking continuations; let submitters that already checked finish their enqueue,
            // then run what they queued.
            loopDone = true;
            while (submitting.get() > 0) {
                Thread.onSpinWait();
            }
            l.runNow(TASK_SLICE_NANOS);
        } finally {
            loopDone = true;
            l.shutdownGracefully(0, 0, TimeUnit.NANOSECONDS);
            while (!l.isTerminated()) {
                l.runNow(TASK_SLICE_NANOS);
            }
        }
    }

    /** The executor behind the scheduler: queue the task on this thread, wake it. */
    private final class TaskExecutor extends AbstractExecutorService {
        volatile boolean shutdown;
        final CountDownLatch terminated = new CountDownLatch(1);

        @Override
        public void execute(Runnable command) {
            Objects.requireNonNull(command, "command");
            if (shutdown) {
                throw new RejectedExecutionException("threaded fiber '" + getName() + "' has ended");
            }
            ManualIoEventLoop l = loop;
            if (l == null) {
                sharedModeTasks.add(command);
                LockSupport.unpark(ThreadedFiberThread.this);
            } else {
                l.execute(() -> runWork(command));
            }
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            List<Runnable> pending = new ArrayList<>();
            for (Runnable r = sharedModeTasks.poll(); r != null; r = sharedModeTasks.poll()) {
                pending.add(r);
            }
            return pending;
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return terminated.getCount() == 0;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return terminated.await(timeout, unit);
        }
    }
}
