package io.qfiber.test.internal;

import io.qfiber.test.Schedule;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The one platform thread a simulation runs on in carrier mode: the executor of all its virtual
 * threads. Of the continuations ready to run it picks the oldest ({@link Schedule#FIFO}) or one
 * chosen by a generator seeded with the run's seed ({@link Schedule#RANDOM}); since only this
 * thread runs the simulation's code, the same seed gives the same interleaving.
 */
final class SimCarrier implements Executor {
    private static final Logger LOG = Loggers.getLogger(SimCarrier.class);
    private static final Runnable WAKE_UP = () -> { };

    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    // Only the carrier thread touches these.
    private final ArrayDeque<Runnable> fifo = new ArrayDeque<>();
    private final ArrayList<Runnable> ready = new ArrayList<>();
    private final @Nullable Random random;
    private volatile boolean stopped;
    private final Thread thread;

    SimCarrier(String name, Schedule schedule, long seed) {
        this.random = schedule == Schedule.RANDOM ? new Random(seed) : null;
        this.thread = Thread.ofPlatform().name("qfiber-" + name).daemon(true).unstarted(this::loop);
        thread.start();
    }

    /** Queues a continuation; called by the JDK (never blocks) and by nobody else. */
    @Override
    public void execute(Runnable continuation) {
        inbox.add(continuation);
    }

    /** Ends the thread once it has run what is queued now; later continuations are dropped. */
    void stop() {
        stopped = true;
        inbox.add(WAKE_UP);
    }

    private void loop() {
        while (true) {
            Runnable next;
            try {
                next = next();
            } catch (InterruptedException e) {
                continue; // only stop() ends the loop
            }
            if (next == null) {
                return;
            }
            try {
                next.run();
            } catch (Throwable t) {
                LOG.error("a continuation of the simulation failed on " + thread.getName(), t);
            }
        }
    }

    private @Nullable Runnable next() throws InterruptedException {
        while (true) {
            if (random == null) {
                inbox.drainTo(fifo);
                Runnable r = fifo.pollFirst();
                if (r != null) {
                    if (r != WAKE_UP) {
                        return r;
                    }
                    continue;
                }
            } else {
                inbox.drainTo(ready);
                int size = ready.size();
                if (size > 0) {
                    int i = random.nextInt(size);
                    Runnable r = ready.get(i);
                    ready.set(i, ready.get(size - 1));
                    ready.remove(size - 1);
                    if (r != WAKE_UP) {
                        return r;
                    }
                    continue;
                }
            }
            if (stopped) {
                return null;
            }
            Runnable first = inbox.take();
            if (random == null) {
                fifo.add(first);
            } else {
                ready.add(first);
            }
        }
    }
}
