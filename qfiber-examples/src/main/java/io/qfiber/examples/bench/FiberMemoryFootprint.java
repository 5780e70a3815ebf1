package io.qfiber.examples.bench;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberDump;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import javax.management.ObjectName;

/**
 * Heap per blocked fiber: starts N fibers, each blocked reading its own empty channel of capacity
 * 1024, and divides the heap growth (after full GCs) by N. For comparison, in the same run: a bare
 * virtual thread parked, and a virtual thread blocked on its own {@code ArrayBlockingQueue(1024)}.
 *
 * <p>Environment: {@code FIBERS} (default 100000); {@code HISTOGRAM=1} also prints, per blocked
 * item, the classes whose live bytes grew most (from the JVM's class histogram), which separates
 * the virtual thread's stack ({@code jdk.internal.vm.StackChunk}) from the objects.
 */
public final class FiberMemoryFootprint {
    private static final boolean HISTOGRAM = "1".equals(System.getenv("HISTOGRAM"));

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
        Map<String, long[]> histogramBefore = HISTOGRAM ? histogram() : Map.of();
        List<Object> keep = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keep.add(starter.start(i));
        }
        // let every thread reach its parked state: a virtual thread's stack is copied to the heap
        // when it parks, so one measured before that would be missing its stack
        for (Object o : keep) {
            Thread t = o instanceof Blocked b && b.thread() instanceof Thread th ? th : o instanceof Thread th2 ? th2 : null;
            while (t != null && t.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
        }
        while (FiberDump.snapshot(false).stream().filter(f -> f.waitingOn() != null).count() < fibersExpected(keep)) {
            Thread.sleep(10);
        }
        Thread.sleep(200); // a fiber records its wait just before it parks
        long after = usedAfterGc();
        double perItem = (after - before) / (double) n;
        System.out.printf("  %-55s %8.0f bytes each%n", what, perItem);
        if (HISTOGRAM) {
            printHistogramGrowth(histogramBefore, histogram(), n);
        }
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

    private static long fibersExpected(List<Object> keep) {
        return keep.stream().filter(o -> o instanceof Blocked b && b.thread() instanceof Fiber<?>).count();
    }

    /** Class name to {instances, bytes} of the live heap (the JVM's GC.class_histogram). */
    private static Map<String, long[]> histogram() throws Exception {
        String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {null}, new String[] {String[].class.getName()});
        Map<String, long[]> classes = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":")) {
                classes.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
            }
        }
        return classes;
    }

    private static void printHistogramGrowth(Map<String, long[]> before, Map<String, long[]> after, int n) {
        List<Map.Entry<String, Double>> growth = new ArrayList<>();
        for (Map.Entry<String, long[]> e : after.entrySet()) {
            long[] b = before.getOrDefault(e.getKey(), new long[2]);
            double perItem = (e.getValue()[1] - b[1]) / (double) n;
            if (perItem >= 4) {
                growth.add(Map.entry(e.getKey() + " x" + String.format("%.1f", (e.getValue()[0] - b[0]) / (double) n), perItem));
            }
        }
        growth.sort(Map.Entry.<String, Double>comparingByValue().reversed());
        for (Map.Entry<String, Double> e : growth.subList(0, Math.min(24, growth.size()))) {
            System.out.printf("      %6.0f B  %s%n", e.getValue(), e.getKey());
        }
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
