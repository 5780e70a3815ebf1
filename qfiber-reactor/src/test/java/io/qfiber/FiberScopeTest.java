package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.internal.fiber.ThreadedFiberThread;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.util.LoggerUtils;
import reactor.test.util.TestLogger;

/** FiberScope: fail-fast, ownership, cancellation, nesting, close; and join-cycle detection. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FiberScopeTest {


    @Test
    void closeIsRefusedOnANonBlockingThreadAndLeavesTheScopeOpen() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        Fiber<?>[] child = new Fiber<?>[1];
        Object[] outcome = Mono.fromCallable(() -> {
            FiberScope scope = FiberScope.open("on-parallel");
            child[0] = scope.fork("blocked", () -> {
                running.countDown();
                Channel.<String>create().read();
            });
            Throwable refused = TestSupport.catching(scope::close);
            return new Object[] {refused, scope.isClosed()};
        }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat((Throwable) outcome[0]).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("FiberScope.close").hasMessageContaining("non-blocking");
        assertThat((Boolean) outcome[1]).as("the scope stays open").isFalse();
        assertThat(child[0].isAlive()).as("the child was not cancelled").isTrue();
        child[0].cancel();
        assertThat(child[0].join(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void childrenRunAndJoinWaitsForAllOfThem() {
        Channel<String> go = Channel.create(0);
        try (FiberScope scope = FiberScope.open("pair")) {
            Fiber<Integer> a = scope.fork("a", () -> go.read().length());
            Fiber<Void> b = scope.fork("b", () -> go.write("four"));
            scope.join();
            assertThat(a.isAlive()).isFalse();
            assertThat(b.isAlive()).isFalse();
            assertThat(a.join()).isEqualTo(4);
            assertThat(scope.children()).isEmpty();
        }
    }

    @Test
    void theFirstFailureCancelsTheOthersAndIsThrownByJoinWithLaterOnesSuppressed() {
        IOException first = new IOException("first");
        Channel<String> never = Channel.create();
        CountDownLatch bothReady = new CountDownLatch(2);
        Channel<String> release = Channel.create(0);
        try (FiberScope scope = FiberScope.open("ff")) {
            Fiber<String> blocked = scope.fork("blocked", () -> never.read());
            Fiber<Void> failing = scope.fork("failing", () -> {
                bothReady.countDown();
                release.read();
                throw new UncheckedFailure(first);
            });
            Fiber<Void> alsoFailing = scope.fork("also-failing", () -> {
                bothReady.countDown();
                try {
                    Fiber.sleep(Duration.ofDays(1));
                } catch (CancellationException cancelled) {
                    throw new IllegalStateException("second, while being cancelled");
                }
            });
            awaitLatch(bothReady);
            release.write("go");
            assertThatThrownBy(scope::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(UncheckedFailure.class)
                    .satisfies(e -> {
                        assertThat(e.getSuppressed()).hasSize(1);
                        assertThat(e.getSuppressed()[0]).isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("second");
                    });
            assertThatThrownBy(blocked::join).as("cancelled, not failed").isInstanceOf(CancellationException.class);
            assertThat(failing.isAlive()).isFalse();
            assertThat(alsoFailing.isAlive()).isFalse();
        }
    }

    @Test
    void aCancelledChildIsNotAFailure() {
        Channel<String> never = Channel.create();
        try (FiberScope scope = FiberScope.open()) {
            Fiber<String> child = scope.fork("child", () -> never.read());
            Fiber<Integer> other = scope.fork("other", () -> 7);
            TestSupport.awaitBlocked(child);
            child.cancel();
            scope.join(); // does not throw
            assertThat(other.join()).isEqualTo(7);
        }
    }

    @Test
    void aSiblingCancelledMidWriteOnAFullChannelEnqueuedNothing() {
        for (int round = 0; round < TestSupport.scaled(200); round++) {
            Channel<String> full = Channel.create(1);
            full.write("filler");
            FiberScope scope = FiberScope.open("round-" + round);
            Fiber<Void> writer = scope.fork("writer", () -> full.write("from the cancelled writer"));
            scope.fork("failing", () -> {
                if (ThreadLocalRandom.current().nextBoolean()) {
                    Thread.yield();
                }
                throw new IllegalArgumentException("boom");
            });
            assertThatThrownBy(scope::join).hasCauseInstanceOf(IllegalArgumentException.class);
            scope.close();
            assertThat(writer.isAlive()).isFalse();
            assertThat(full.tryRead()).contains("filler");
            assertThat(full.tryRead()).as("round %d: nothing enqueued by the cancelled writer", round).isEmpty();
        }
    }

    @Test
    void onlyTheOwnerForksJoinsAndCloses() {
        try (FiberScope scope = FiberScope.open("owned")) {
            Fiber<Throwable> stranger = Fiber.start("stranger", () -> {
                List<Throwable> errors = new ArrayList<>();
                errors.add(TestSupport.catching(() -> scope.fork("x", () -> { })));
                errors.add(TestSupport.catching(scope::join));
                errors.add(TestSupport.catching(scope::close));
                assertThat(errors).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("only the owner of scope 'owned'"));
                return null;
            });
            assertThat(stranger.join()).isNull();
            assertThat(scope.isClosed()).isFalse();
        }
        FiberScope closed = FiberScope.open("done");
        closed.close();
        closed.close(); // idempotent
        assertThatThrownBy(() -> closed.fork("late", () -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void badInputIsRefusedNamingIt() {
        assertThatThrownBy(() -> FiberScope.open(null)).isInstanceOf(NullPointerException.class).hasMessage("name");
        try (FiberScope scope = FiberScope.open()) {
            assertThatThrownBy(() -> scope.fork(null, () -> { })).isInstanceOf(NullPointerException.class).hasMessage("name");
            assertThatThrownBy(() -> scope.fork("x", (Runnable) null)).isInstanceOf(NullPointerException.class).hasMessage("body");
            assertThatThrownBy(() -> scope.builder().detached()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot be detached");
        }
    }

    @Test
    void closeCancelsWhatStillRunsAndWaitsForIt() {
        Channel<String> never = Channel.create();
        Fiber<String> child;
        try (FiberScope scope = FiberScope.open()) {
            child = scope.fork("child", () -> never.read());
            TestSupport.awaitBlocked(child);
        }
        assertThat(child.isAlive()).as("ended before close() returned").isFalse();
        assertThatThrownBy(child::join).isInstanceOf(CancellationException.class);
    }

    @Test
    void closeWaitsEvenForAChildThatCleansUpAfterCancellation() {
        AtomicBoolean cleanedUp = new AtomicBoolean();
        Channel<String> never = Channel.create();
        Fiber<Void> child;
        try (FiberScope scope = FiberScope.open()) {
            child = scope.fork("slow-cleanup", () -> {
                try {
                    never.read();
                } catch (CancellationException e) {
                    Thread.interrupted(); // handled: clean up with blocking calls
                    Fiber.sleep(Duration.ofMillis(50));
                    cleanedUp.set(true);
                }
            });
            TestSupport.awaitBlocked(child);
        }
        assertThat(cleanedUp).isTrue();
        assertThat(child.isAlive()).isFalse();
    }

    @Test
    void cancellingTheOwnerInJoinCancelsTheChildrenBeforeJoinThrows() {
        Channel<String> never = Channel.create();
        AtomicReference<String> seen = new AtomicReference<>();
        Fiber<Void> owner = Fiber.start("owner", () -> {
            try (FiberScope scope = FiberScope.open("inner")) {
                List<Fiber<String>> kids = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    kids.add(scope.fork("kid-" + i, () -> never.read()));
                }
                try {
                    scope.join();
                    seen.set("join returned");
                } catch (CancellationException e) {
                    seen.set("cancelled, interrupted " + Thread.currentThread().isInterrupted()
                            + ", kids alive " + kids.stream().filter(Fiber::isAlive).count());
                    throw e;
                }
            }
        });
        TestSupport.awaitBlocked(owner);
        owner.cancel();
        assertThatThrownBy(owner::join).isInstanceOf(CancellationException.class);
        assertThat(seen.get()).isEqualTo("cancelled, interrupted true, kids alive 0");
    }

    @Test
    void nestedScopesCancelInward() {
        Channel<String> never = Channel.create();
        AtomicReference<Fiber<String>> grandchild = new AtomicReference<>();
        CountDownLatch grandchildStarted = new CountDownLatch(1);
        try (FiberScope outer = FiberScope.open("outer")) {
            Fiber<Void> child = outer.fork("child", () -> {
                try (FiberScope inner = FiberScope.open("inner")) {
                    grandchild.set(inner.fork("grandchild", () -> never.read()));
                    grandchildStarted.countDown();
                    inner.join();
                }
            });
            awaitLatch(grandchildStarted);
            outer.fork("failing", () -> {
                throw new IllegalStateException("outer child failed");
            });
            assertThatThrownBy(outer::join).hasCauseInstanceOf(IllegalStateException.class);
            assertThat(child.isAlive()).isFalse();
            assertThat(grandchild.get().isAlive()).isFalse();
            assertThatThrownBy(grandchild.get()::join).isInstanceOf(CancellationException.class);
        }
    }

    @Test
    void tenThousandChildrenEachRunOnce() {
        int n = 10_000;
        AtomicInteger count = new AtomicInteger();
        AtomicLong sum = new AtomicLong();
        try (FiberScope scope = FiberScope.open("many")) {
            for (int i = 0; i < n; i++) {
                int v = i;
                scope.fork("child-" + i, () -> {
                    count.incrementAndGet();
                    sum.addAndGet(v);
                });
            }
            scope.join();
        }
        assertThat(count.get()).isEqualTo(n);
        assertThat(sum.get()).isEqualTo((long) n * (n - 1) / 2);
    }

    @Test
    void threadedChildrenAndScopesInThreadedFibersAndPlatformThreads() throws Exception {
        try (FiberScope scope = FiberScope.open("mixed")) {
            Fiber<Boolean> threaded = scope.builder().name("threaded-child").threaded()
                    .start(() -> Thread.currentThread() instanceof ThreadedFiberThread);
            scope.join();
            assertThat(threaded.join()).isTrue();
        }
        Fiber<Integer> body = Fiber.builder().name("threaded-owner").threaded().start(() -> {
            try (FiberScope scope = FiberScope.open("in-threaded")) {
                Channel<Integer> ch = Channel.create(0);
                Fiber<Integer> reader = scope.fork("reader", () -> ch.read());
                scope.fork("writer", () -> ch.write(5));
                scope.join();
                return reader.join();
            }
        });
        assertThat(body.join()).isEqualTo(5);
        AtomicReference<Object> fromPlatform = new AtomicReference<>();
        Thread platform = Thread.ofPlatform().start(() -> {
            try (FiberScope scope = FiberScope.open("in-platform")) {
                Fiber<String> f = scope.fork("f", () -> "ok");
                scope.join();
                fromPlatform.set(f.join());
            } catch (Throwable t) {
                fromPlatform.set(t);
            }
        });
        platform.join(30_000);
        assertThat(fromPlatform.get()).isEqualTo("ok");
    }

    @Test
    void failuresAndCancelsRaceWithoutLeavingChildrenAlive() {
        int rounds = TestSupport.scaled(300);
        for (int round = 0; round < rounds; round++) {
            Channel<Integer> ch = Channel.create(ThreadLocalRandom.current().nextInt(3));
            List<Fiber<?>> kids = new ArrayList<>();
            int failAt = ThreadLocalRandom.current().nextInt(50);
            FiberScope scope = FiberScope.open("race-" + round);
            for (int i = 0; i < 4; i++) {
                kids.add(scope.fork("writer-" + i, () -> {
                    for (int v = 0; ; v++) {
                        ch.write(v);
                    }
                }));
                kids.add(scope.fork("reader-" + i, () -> {
                    for (int k = 0; ; k++) {
                        ch.read();
                        if (k == failAt) {
                            throw new IllegalStateException("reader failed");
                        }
                    }
                }));
            }
            Throwable thrown = TestSupport.catching(scope::join);
            scope.close();
            assertThat(thrown).as("round %d", round).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(IllegalStateException.class);
            assertThat(kids).as("round %d", round).noneMatch(Fiber::isAlive);
        }
    }

    @Test
    void aFailureNoJoinReportedIsLoggedAtClose() {
        TestLogger log = new TestLogger(false);
        LoggerUtils.useCurrentLoggersWithCapture();
        LoggerUtils.enableCaptureWith(log);
        try {
            FiberScope scope = FiberScope.open("unjoined");
            Fiber<Void> f = scope.fork("failing", () -> {
                throw new IllegalArgumentException("nobody joined me");
            });
            f.join(Duration.ofSeconds(10));
            scope.close();
            assertThat(log.getErrContent() + log.getOutContent()).contains("unjoined").contains("nobody joined me");
        } finally {
            LoggerUtils.disableCapture();
        }
    }

    // ---- join cycles ----

    @Test
    void twoFibersJoiningEachOtherAreToldAtOnce() {
        for (int round = 0; round < TestSupport.scaled(200); round++) {
            AtomicReference<Fiber<?>> b = new AtomicReference<>();
            CountDownLatch go = new CountDownLatch(1);
            Fiber<String> a = Fiber.start("a", () -> {
                awaitLatch(go);
                return outcome(() -> b.get().join());
            });
            b.set(Fiber.start("b", () -> {
                awaitLatch(go);
                return outcome(a::join);
            }));
            go.countDown();
            String ra = a.join();
            String rb = (String) b.get().join();
            // at least one sees the cycle; the other then joins a fiber that has ended
            assertThat(List.of(ra, rb)).as("round %d", round).anySatisfy(r -> assertThat(r).startsWith("join cycle:"));
        }
    }

    @Test
    void aLongerCycleIsNamed() {
        Channel<String> go = Channel.create();
        AtomicReference<Fiber<?>> aRef = new AtomicReference<>();
        Fiber<Object> c = Fiber.start("fc", () -> {
            go.read();
            return outcome(() -> aRef.get().join()); // closes the cycle fc -> fa -> fb -> fc
        });
        Fiber<Object> b = Fiber.start("fb", () -> c.join());
        Fiber<Object> a = Fiber.start("fa", () -> b.join());
        aRef.set(a);
        TestSupport.awaitBlocked(a);
        TestSupport.awaitBlocked(b);
        go.write("now");
        String expected = "join cycle: 'fc' joins 'fa' joins 'fb' joins 'fc'; this join would wait forever";
        assertThat(c.join()).isEqualTo(expected);
        assertThat(a.join()).as("the others' joins then return").isEqualTo(expected);
    }

    @Test
    void timedJoinsAreNotCycles() {
        AtomicReference<Fiber<?>> b = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        Fiber<Boolean> a = Fiber.start("ta", () -> {
            awaitLatch(go);
            return b.get().join(Duration.ofMillis(50));
        });
        b.set(Fiber.start("tb", () -> {
            awaitLatch(go);
            return a.join(Duration.ofMillis(50));
        }));
        go.countDown();
        assertThat(a.join()).as("timed out or saw tb end, never refused").isNotNull();
        assertThat(b.get().join()).isNotNull();
    }

    private static String outcome(Runnable r) {
        Throwable t = TestSupport.catching(r);
        return t == null ? "joined" : t.getMessage();
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new CancellationException("interrupted");
        }
    }

    /** A failure type of the test's own. */
    static final class UncheckedFailure extends RuntimeException {
        UncheckedFailure(Throwable cause) {
            super(cause);
        }
    }
}
