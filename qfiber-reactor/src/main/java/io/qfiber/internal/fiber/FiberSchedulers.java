package io.qfiber.internal.fiber;

import java.util.concurrent.Executors;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The shared scheduler of plain fibers: each task on a new virtual thread on the JDK's shared
 * scheduler, also when the task is submitted from a fiber running on a threaded fiber's thread.
 */
public final class FiberSchedulers {
    private FiberSchedulers() {}

    /**
     * The shared virtual-thread scheduler, created on first use. It holds no threads while idle,
     * so it needs no disposal.
     *
     * @return the scheduler
     */
    public static Scheduler virtualThreads() {
        return Holder.VIRTUAL;
    }

    private static final class Holder {
        static final Scheduler VIRTUAL = Schedulers.fromExecutorService(
                Executors.newThreadPerTaskExecutor(Carriers.sharedBuilder().name("qfiber-virtual-", 0).factory()),
                "qfiber-virtual");
    }
}
