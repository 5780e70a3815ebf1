package io.qfiber.examples.bench;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Heap per blocked fiber: starts N fibers, each blocked reading its own empty channel of capacity
 * 1024, and divides the heap growth (after full GCs) by N. For comparison, in the same run: a bare
 * virtual thread parked, and a virtual thread blocked on its own {@code ArrayBlockingQueue(1024)}.
 *
 * <p>Environment: {@code FIBERS} (default 100000).
 */
public final class FiberMemoryFootprint {
    private FiberMemoryFootprint() {}

    /**
     * Measures and prints.
     *
     * @param args unused
     * @throws Exception if a thread fails to start
     */
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(System.getenv().getOrDefault("FIBERS", "100000"));
        System.out.printf("JDK %s, %d blocked each%n", Runtime.version(), n);
        double parked = measure(n, "virtual thread parked (baseline)", i -> Thread.ofVirtual().start(LockSupport::park));
        double fiber = measure(n, "fiber blocked on Channel.create(1024)", i -> {
            Channel<Integer> ch = Channel.create(1024);
            return new Blocked(Fiber.start("f", () -> ch.read()), ch);
        });
        double abq = measure(n, "virtual thread blocked on ArrayBlockingQueue(1024)", i -> {
            ArrayBlockingQueue<Integer> q = new ArrayBlockingQueue<>(1024);
            return new Blocked(Thread.ofVirtual().start(() -> {
                try {
                    q.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }), q);
        });
        System.out.printf("fiber + channel costs %.0f bytes more than a parked virtual thread; ABQ(1024) costs %.0f more%n",
                fiber - parked, abq - parked);
    }

    record Blocked(Object thread, Object pipe) {}

    interface Starter {
        Object start(int i) throws Exception;
    }

    private static double measure(int n, String what, Starter starter) throws Exception {
        long before = usedAfterGc();
        List<Object> keep = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keep.add(starter.start(i));
        }
        // let every thread reach its parked state
        for (Object o : keep) {
            Thread t = o instanceof Blocked b && b.thread() instanceof Thread th ? th : o instanceof Thread th2 ? th2 : null;
            while (t != null && t.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
        }
        long after = usedAfterGc();
        double perItem = (after - before) / (double) n;
        System.out.printf("  %-55s %8.0f bytes each%n", what, perItem);
        for (Object o : keep) {
            if (o instanceof Blocked b) {
                if (b.thread() instanceof Fiber<?> f) {
                    f.cancel();
                } else if (b.thread() instanceof Thread t) {
                    t.interrupt();
                }
            } else if (o instanceof Thread t) {
                LockSupport.unpark(t);
            }
        }
        keep.clear();
        return perItem;
    }

    private static long usedAfterGc() throws InterruptedException {
        var mem = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return mem.getHeapMemoryUsage().getUsed();
    }
}
