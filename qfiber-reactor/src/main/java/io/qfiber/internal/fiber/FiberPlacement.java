package io.qfiber.internal.fiber;

import io.qfiber.internal.TimeDomain;

import org.jspecify.annotations.Nullable;

/**
 * Where a new fiber runs: its thread (not started), and which threaded-fiber thread is involved.
 *
 * @param thread  the fiber's thread, not yet started
 * @param own     the fiber's own thread when it is threaded, else null
 * @param carrier the threaded fiber's thread that carries this plain fiber (carrier mode), else null
 */
public record FiberPlacement(Thread thread, @Nullable ThreadedFiberThread own, @Nullable ThreadedFiberThread carrier) {

    /**
     * Places a fiber as the threading model says: a threaded fiber on a new platform thread; in
     * shared mode a plain fiber on the JDK's scheduler; in carrier mode a plain fiber on the thread
     * of the threaded fiber that starts it (unless {@code shared}), else on the JDK's scheduler.
     * A fiber started in a {@link TimeDomain} (a simulation), threaded or not, runs where the
     * domain places it.
     *
     * @param name     the fiber's name (its thread's name)
     * @param threaded whether it is a threaded fiber
     * @param shared   whether it asked for the shared scheduler
     * @param body     what its thread runs
     * @return the placement, its thread not yet started
     */
    public static FiberPlacement place(String name, boolean threaded, boolean shared, Runnable body) {
        TimeDomain domain = TimeDomain.forNewFiber();
        if (domain != null) {
            return new FiberPlacement(domain.newThread(name, body), null, null);
        }
        if (threaded) {
            ThreadedFiberThread t = new ThreadedFiberThread(name, body);
            return new FiberPlacement(t, t, null);
        }
        if (!Carriers.enabled()) {
            return new FiberPlacement(Thread.ofVirtual().name(name).unstarted(body), null, null);
        }
        ThreadedFiberThread here = shared ? null : ThreadedFiberThread.current();
        if (here != null && here.isCarrier()) {
            return new FiberPlacement(here.virtualThreadBuilder().name(name).unstarted(body), null, here);
        }
        return new FiberPlacement(Carriers.sharedBuilder().name(name).unstarted(body), null, null);
    }
}
