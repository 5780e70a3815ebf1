package io.qfiber.test.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Routes Reactor's schedulers by calling thread: installed once as Reactor's scheduler factory,
 * it wraps every scheduler Reactor creates ({@code parallel()}, {@code single()},
 * {@code boundedElastic()}, the {@code new*} ones) so that work scheduled from a thread of a
 * simulation goes to that simulation's {@link SimScheduler} (virtual time), and work scheduled
 * from anywhere else goes to the real scheduler, unchanged.
 *
 * <p>Installing keeps the schedulers cached before it running ({@link Schedulers#setFactoryWithSnapshot}):
 * code that already holds one keeps real time. It is re-installed if someone else replaced the
 * factory since (a {@code StepVerifier.withVirtualTime} run resets it when it ends).
 */
public final class SimSchedulers {
    private static final ReentrantLock LOCK = new ReentrantLock();

    private SimSchedulers() {}

    /** Makes sure Reactor's factory is the routing one. Cheap when it already is. */
    public static void ensureInstalled() {
        LOCK.lock();
        try {
            if (!isInstalled()) {
                Schedulers.setFactoryWithSnapshot(new RoutingFactory());
            }
        } finally {
            LOCK.unlock();
        }
    }

    /**
     * Whether Reactor's current factory routes.
     *
     * @return true if schedulers created now route by calling thread
     */
    public static boolean isInstalled() {
        Scheduler parallel = Schedulers.parallel();
        if (parallel instanceof Supplier<?> cached && cached.get() instanceof Scheduler inner) {
            parallel = inner; // Reactor's cache around the factory's scheduler
        }
        return parallel instanceof Routing;
    }

    /** The factory: Reactor's default schedulers, each wrapped. */
    private static final class RoutingFactory implements Schedulers.Factory {
        @Override
        public Scheduler newBoundedElastic(int threadCap, int queuedTaskCap, ThreadFactory threadFactory, int ttlSeconds) {
            return new Routing(Schedulers.Factory.super.newBoundedElastic(threadCap, queuedTaskCap, threadFactory, ttlSeconds));
        }

        @Override
        public Scheduler newThreadPerTaskBoundedElastic(int threadCap, int queuedTaskCap, ThreadFactory threadFactory) {
            return new Routing(Schedulers.Factory.super.newThreadPerTaskBoundedElastic(threadCap, queuedTaskCap, threadFactory));
        }

        @Override
        public Scheduler newParallel(int parallelism, ThreadFactory threadFactory) {
            return new Routing(Schedulers.Factory.super.newParallel(parallelism, threadFactory));
        }

        @Override
        public Scheduler newSingle(ThreadFactory threadFactory) {
            return new Routing(Schedulers.Factory.super.newSingle(threadFactory));
        }
    }

    /** A real scheduler that hands work from simulation threads to their simulation. */
    private static final class Routing implements Scheduler {
        private final Scheduler real;

        Routing(Scheduler real) {
            this.real = real;
        }

        private static Scheduler target(Scheduler real) {
            SimRuntime sim = SimRuntime.current();
            return sim != null ? sim.simScheduler() : real;
        }

        @Override
        public Disposable schedule(Runnable task) {
            return target(real).schedule(task);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return target(real).schedule(task, delay, unit);
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            return target(real).schedulePeriodically(task, initialDelay, period, unit);
        }

        @Override
        public long now(TimeUnit unit) {
            return target(real).now(unit);
        }

        @Override
        public Worker createWorker() {
            return target(real).createWorker();
        }

        @Override
        public void dispose() {
            real.dispose();
        }

        @Override
        public boolean isDisposed() {
            return real.isDisposed();
        }

        @Override
        public Mono<Void> disposeGracefully() {
            return real.disposeGracefully();
        }

        @SuppressWarnings("deprecation")
        @Override
        public void start() {
            real.start();
        }

        @Override
        public void init() {
            real.init();
        }

        @Override
        public String toString() {
            return "SimRouting(" + real + ")";
        }
    }
}
