package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.internal.ThreadedFiberThread;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Shared test helpers: stress scaling, condition waits with deadlines, leak checks. */
final class TestSupport {
    private TestSupport() {}

    /** The stress factor from {@code -Dqfiber.stress=N} (default 1). */
    static int stress() {
        return Integer.getInteger("qfiber.stress", 1);
    }

    /** Scales a size by the stress factor. */
    static int scaled(int base) {
        return base * stress();
    }

    /**
     * Waits until {@code condition} holds, polling with short parks, failing after {@code timeout}.
     * For conditions that have no event to wait on (a thread reaching a parked state).
     */
    static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            LockSupport.parkNanos(100_000);
        }
    }

    /** Waits until {@code t} is parked (WAITING or TIMED_WAITING), so it is blocked in a call. */
    static void awaitBlocked(Thread t) {
        awaitCondition(t.getName() + " blocked", Duration.ofSeconds(10), () -> {
            Thread.State s = t.getState();
            return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
        });
    }

    /** Asserts that no threaded fiber's thread is still alive (waiting a little for them to end). */
    static void assertNoFiberThreadsLeft() {
        awaitCondition("threaded fiber threads to end", Duration.ofSeconds(10), () -> liveFiberThreads().isEmpty());
        assertThat(liveFiberThreads()).isEmpty();
    }

    private static List<Thread> liveFiberThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t instanceof ThreadedFiberThread && t.isAlive())
                .toList();
    }
}
