package io.qfiber.test.internal;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.scheduler.Scheduler;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The Reactor {@link Scheduler} of one simulation: every task runs on a thread of the simulation
 * (counted runnable from when it is due until it ends, so the clock waits for it), delays and
 * periods are virtual, and {@link #now} reads the virtual clock. Workers run their tasks one at a
 * time, in order. Never disposed by its users: it lives as long as the simulation.
 */
public final class SimScheduler implements Scheduler {
    private static final Logger LOG = Loggers.getLogger(SimScheduler.class);
    private final SimRuntime sim;

    SimScheduler(SimRuntime sim) {
        this.sim = sim;
    }

    @Override
    public Disposable schedule(Runnable task) {
        return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        Task t = new Task(task, null, -1);
        t.start(unit.toNanos(delay));
        return t;
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        Task t = new Task(task, null, Math.max(0, unit.toNanos(period)));
        t.start(unit.toNanos(initialDelay));
        return t;
    }

    @Override
    public long now(TimeUnit unit) {
        return unit.convert(sim.instant().getEpochSecond() * 1_000_000_000L + sim.instant().getNano(), TimeUnit.NANOSECONDS);
    }

    @Override
    public Worker createWorker() {
        return new SimWorker();
    }

    @Override
    public void dispose() {
        // lives as long as the simulation
    }

    @Override
    public String toString() {
        return "SimScheduler(" + sim.id() + ")";
    }

    private void runTask(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.error("a Reactor task of simulation " + sim.id() + " failed", t);
        }
    }

    /** One scheduled task: runs once, or periodically until disposed. */
    private final class Task implements Disposable, Runnable {
        final Runnable body;
        final @Nullable SimWorker worker;
        final long periodNanos; // -1: once
        volatile boolean disposed;
        SimRuntime.@Nullable Timer timer;

        Task(Runnable body, @Nullable SimWorker worker, long periodNanos) {
            this.body = body;
            this.worker = worker;
            this.periodNanos = periodNanos;
        }

        /** Makes the task due after {@code delayNanos}: runs it (or queues it on its worker) then. */
        void start(long delayNanos) {
            if (delayNanos <= 0) {
                due();
            } else {
                timer = sim.addTimer(delayNanos, this::due);
            }
        }

        /** The task is due (called under the simulation's lock when from a timer). */
        private void due() {
            timer = null;
            if (disposed) {
                return;
            }
            SimWorker w = worker;
            if (w != null) {
                w.enqueue(this);
            } else {
                sim.startThread(sim.id() + " reactor task", this);
            }
        }

        @Override
        public void run() {
            if (disposed) {
                return;
            }
            runTask(body);
            if (periodNanos >= 0 && !disposed) {
                sim.locked(() -> {
                    if (!disposed) {
                        start(periodNanos);
                    }
                });
            }
        }

        @Override
        public void dispose() {
            disposed = true;
            sim.locked(() -> {
                SimRuntime.Timer t = timer;
                if (t != null) {
                    sim.cancel(t);
                    timer = null;
                }
                SimWorker w = worker;
                if (w != null) {
                    w.forget(this);
                }
            });
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    /** A worker: its tasks run one at a time, in the order they became due. */
    private final class SimWorker implements Worker {
        // guarded by the simulation's lock
        private final ArrayDeque<Task> queue = new ArrayDeque<>();
        private final Set<Task> tasks = new HashSet<>();
        private boolean draining;
        private volatile boolean disposed;

        @Override
        public Disposable schedule(Runnable task) {
            return schedule(task, 0, TimeUnit.NANOSECONDS);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return add(new Task(task, this, -1), unit.toNanos(delay));
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            return add(new Task(task, this, Math.max(0, unit.toNanos(period))), unit.toNanos(initialDelay));
        }

        private Task add(Task t, long delayNanos) {
            if (disposed) {
                throw Exceptions.failWithRejected();
            }
            sim.locked(() -> {
                tasks.add(t);
                t.start(delayNanos);
            });
            return t;
        }

        /** Queues a due task; starts the drain if none runs. */
        void enqueue(Task t) {
            sim.locked(() -> {
                if (disposed || t.disposed) {
                    return;
                }
                queue.add(t);
                if (!draining) {
                    draining = true;
                    sim.startThread(sim.id() + " reactor worker", this::drain);
                }
            });
        }

        void forget(Task t) {
            tasks.remove(t);
            queue.remove(t);
        }

        private void drain() {
            while (true) {
                Task[] next = new Task[1];
                sim.locked(() -> {
                    next[0] = queue.poll();
                    if (next[0] == null) {
                        draining = false;
                    } else if (next[0].periodNanos < 0) {
                        tasks.remove(next[0]);
                    }
                });
                Task t = next[0];
                if (t == null) {
                    return;
                }
                t.run();
            }
        }

        @Override
        public void dispose() {
            disposed = true;
            sim.locked(() -> {
                for (Task t : tasks) {
                    t.disposed = true;
                    SimRuntime.Timer timer = t.timer;
                    if (timer != null) {
                        sim.cancel(timer);
                        t.timer = null;
                    }
                }
                tasks.clear();
                queue.clear();
            });
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }
}
