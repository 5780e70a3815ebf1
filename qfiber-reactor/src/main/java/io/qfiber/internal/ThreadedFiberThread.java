package io.qfiber.internal;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The dedicated platform thread of a threaded fiber, and the single-thread {@link Scheduler}
 * built on it.
 *
 * <p>The thread runs the fiber's body. Tasks scheduled on {@link #scheduler()} (for example by
 * {@code publishOn}) queue here and run on this thread whenever the body waits in one of the
 * library's blocking calls ({@link Blocking#park} runs one pending task instead of parking), and
 * once more after the body returns; then the scheduler is disposed and later tasks are rejected.
 * So a threaded fiber behaves like QFiber's: one thread, on which the fiber's waiting gives the
 * thread to other work.
 *
 * <p>Unlike {@code Schedulers.newSingle}, this thread is not marked non-blocking: the body may
 * block, which is the point.
 */
public final class ThreadedFiberThread extends Thread {
    private static final Logger LOG = Loggers.getLogger(ThreadedFiberThread.class);

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final TaskExecutor executor = new TaskExecutor();
    private final Scheduler scheduler;

    /**
     * Creates the thread (not started) and its scheduler.
     *
     * @param name the fiber's name, used for the thread and the scheduler
     * @param body what the thread runs before its scheduler is disposed
     */
    public ThreadedFiberThread(String name, Runnable body) {
        super(null, body, name);
        setDaemon(true);
        this.scheduler = Schedulers.fromExecutorService(executor, name);
    }

    /**
     * The scheduler whose tasks run on this thread.
     *
     * @return the scheduler, disposed when the thread's body has ended
     */
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public void run() {
        try {
            super.run();
        } finally {
            while (runPendingTask()) {
                // run what was scheduled before the end
            }
            scheduler.dispose();
            executor.terminated.countDown();
        }
    }

    /**
     * Runs one pending task on this thread, if there is one.
     *
     * @return true if a task ran
     */
    boolean runPendingTask() {
        Runnable task = tasks.poll();
        if (task == null) {
            return false;
        }
        try {
            task.run();
        } catch (Throwable t) {
            LOG.error("task on the scheduler of threaded fiber '" + getName() + "' failed", t);
        }
        return true;
    }

    /** The executor behind the scheduler: queue the task, wake the thread. */
    private final class TaskExecutor extends AbstractExecutorService {
        volatile boolean shutdown;
        final CountDownLatch terminated = new CountDownLatch(1);

        @Override
        public void execute(Runnable command) {
            Objects.requireNonNull(command, "command");
            if (shutdown) {
                throw new RejectedExecutionException("threaded fiber '" + getName() + "' has ended");
            }
            tasks.add(command);
            LockSupport.unpark(ThreadedFiberThread.this);
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            List<Runnable> pending = new java.util.ArrayList<>();
            for (Runnable r = tasks.poll(); r != null; r = tasks.poll()) {
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
