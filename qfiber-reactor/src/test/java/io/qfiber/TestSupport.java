package io.qfiber;

import io.qfiber.internal.fiber.ThreadedFiberThread;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/** Shared test helpers: stress scaling, condition waits with deadlines, fiber threads, leak checks. */
public final class TestSupport {
    private TestSupport() {}

    /** The stress factor from {@code -Dqfiber.stress=N} (default 1). */
    public static int stress() {
        return Integer.getInteger("qfiber.stress", 1);
    }

    /** Scales a size by the stress factor. */
    public static int scaled(int base) {
        return base * stress();
    }

    /**
     * Waits until {@code condition} holds, polling with short parks, failing after {@code timeout}.
     * For conditions that have no event to wait on (a thread reaching a parked state).
     */
    public static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            LockSupport.parkNanos(100_000);
        }
    }

    /** {@link #awaitCondition(String, Duration, BooleanSupplier)} with a 30 s limit. */
    public static void awaitCondition(String what, BooleanSupplier condition) {
        awaitCondition(what, Duration.ofSeconds(30), condition);
    }

    /** The fiber's thread while it runs, null once it ended. */
    public static @Nullable Thread threadOf(Fiber<?> fiber) {
        return fiber.thread();
    }

    /** Waits until the fiber is parked (WAITING or TIMED_WAITING) or has ended. */
    public static void awaitBlocked(Fiber<?> fiber) {
        awaitCondition(fiber.name() + " to block", Duration.ofSeconds(10), () -> {
            Thread t = fiber.thread();
            if (t instanceof ThreadedFiberThread threaded) {
                // in carrier mode its body waits in its event loop, a RUNNABLE native wait
                return threaded.isBodyWaiting();
            }
            return t == null || t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING;
        });
    }

    /** Runs {@code r} and returns what it threw, or null. */
    public static @Nullable Throwable catching(Runnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** Asserts that no threaded fiber's thread is still alive (waiting a little for them to end). */
    public static void assertNoFiberThreadsLeft() {
        try {
            awaitCondition("threaded fiber threads to end", Duration.ofSeconds(10), () -> liveFiberThreads().isEmpty());
        } catch (AssertionError stillAlive) {
            StringBuilder dump = new StringBuilder("threaded fiber threads still alive:");
            for (Thread t : liveFiberThreads()) {
                dump.append("\n  ").append(t.getName()).append(' ').append(t.getState());
                for (StackTraceElement e : t.getStackTrace()) {
                    dump.append("\n      at ").append(e);
                }
            }
            throw new AssertionError(dump.toString(), stillAlive);
        }
    }

    private static List<Thread> liveFiberThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t instanceof ThreadedFiberThread && t.isAlive())
                .toList();
    }
}
