package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.internal.fiber.Carriers;
import io.qfiber.internal.fiber.ThreadedFiberThread;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/**
 * Where fibers run: the threading model of DESIGN.md ("Threading model: carriers"). Runs in both
 * modes; where the modes differ by design (which thread), each mode asserts its own placement.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CarrierTest {
    static final boolean CARRIERS = Fiber.threadingMode() == ThreadingMode.CARRIERS;


    @Test
    void theModeFollowsTheFlag() {
        boolean flag = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(a -> a.contains("java.base/java.lang=ALL-UNNAMED"));
        assertThat(Fiber.threadingMode()).isEqualTo(flag ? ThreadingMode.CARRIERS : ThreadingMode.SHARED_SCHEDULER);
        assertThat(Carriers.enabled()).isEqualTo(flag);
    }

    @Test
    void fibersStartedInsideAThreadedFiberRunOnItsThread() {
        AtomicReference<Thread> childCarrier = new AtomicReference<>();
        AtomicReference<Thread> grandchildCarrier = new AtomicReference<>();
        AtomicReference<Thread> body = new AtomicReference<>();
        Fiber<Void> threaded = Fiber.builder().name("home").threaded().start(() -> {
            body.set(Thread.currentThread());
            Fiber<Void> child = Fiber.start("child", () -> {
                childCarrier.set(Carriers.currentCarrierThread());
                Fiber.start("grandchild", () -> grandchildCarrier.set(Carriers.currentCarrierThread())).join();
            });
            child.join();
        });
        threaded.join();
        if (CARRIERS) {
            assertThat(childCarrier.get()).isSameAs(body.get());
            assertThat(grandchildCarrier.get()).isSameAs(body.get());
        } else {
            assertThat(childCarrier.get()).as("no carrier is known in shared mode").isNull();
            assertThat(grandchildCarrier.get()).isNull();
        }
    }

    @Test
    void aChildRunsOnlyWhenTheBodyWaitsInTheLibrary() {
        AtomicBoolean childRan = new AtomicBoolean();
        AtomicBoolean ranBeforeTheBodyWaited = new AtomicBoolean();
        Channel<String> done = Channel.create(0);
        Fiber<String> threaded = Fiber.builder().name("lthread-like").threaded().start(() -> {
            Fiber.start("child", () -> {
                childRan.set(true);
                done.write("child ran");
            });
            // Without waiting in the library, nothing else may run here in carrier mode.
            for (int i = 0; i < 1_000; i++) {
                Thread.onSpinWait();
            }
            ranBeforeTheBodyWaited.set(childRan.get());
            return done.read();
        });
        assertThat(threaded.join()).isEqualTo("child ran");
        if (CARRIERS) {
            assertThat(ranBeforeTheBodyWaited.get()).isFalse();
        }
    }

    @Test
    void aFiberOnTheSharedSchedulerRunsWhileTheBodyComputes() {
        AtomicBoolean childRan = new AtomicBoolean();
        AtomicReference<Thread> childCarrier = new AtomicReference<>();
        AtomicReference<Thread> body = new AtomicReference<>();
        Fiber<Void> threaded = Fiber.builder().name("computing").threaded().start(() -> {
            body.set(Thread.currentThread());
            Fiber.builder().name("elsewhere").onSharedScheduler().start(() -> {
                childCarrier.set(Carriers.currentCarrierThread());
                childRan.set(true);
            });
            // spins outside the library: only a fiber on another thread can end this loop
            while (!childRan.get()) {
                Thread.onSpinWait();
            }
        });
        threaded.join();
        assertThat(childCarrier.get()).isNotSameAs(body.get());
    }

    @Test
    void inSharedModeAPlainChildRunsWhileTheBodyComputesToo() {
        if (CARRIERS) {
            // in carrier mode the child waits for the body (previous tests); nothing to show here
            assertThat(Fiber.threadingMode()).isEqualTo(ThreadingMode.CARRIERS);
            return;
        }
        AtomicBoolean childRan = new AtomicBoolean();
        Fiber.builder().name("spinner").threaded().start(() -> {
            Fiber.start("child", () -> childRan.set(true));
            while (!childRan.get()) {
                Thread.onSpinWait();
            }
        }).join();
        assertThat(childRan).isTrue();
    }

    @Test
    void joinReturnsWhenTheBodyEndsAndTheThreadLivesUntilItsFibersEnd() throws Exception {
        Channel<String> release = Channel.create(0);
        AtomicReference<Thread> body = new AtomicReference<>();
        AtomicReference<Fiber<String>> child = new AtomicReference<>();
        Fiber<String> threaded = Fiber.builder().name("parent").threaded().start(() -> {
            body.set(Thread.currentThread());
            child.set(Fiber.start("waiting-child", () -> release.read()));
            return "body done";
        });
        assertThat(threaded.join()).isEqualTo("body done");
        assertThat(threaded.isAlive()).isFalse();
        Thread t = body.get();
        if (CARRIERS) {
            TestSupport.awaitBlocked(child.get());
            assertThat(t.isAlive()).as("the thread carries the waiting child").isTrue();
            assertThat(child.get().isAlive()).isTrue();
        }
        release.write("go");
        assertThat(child.get().join()).isEqualTo("go");
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(threaded.scheduler().isDisposed()).isTrue();
    }

    @Test
    void blockingInTheSchedulersWorkIsRefusedInBothModes() {
        Channel<Integer> never = Channel.create();
        Channel<String> release = Channel.create();
        Fiber<Void> threaded = Fiber.builder().name("busy").threaded().start(() -> {
            release.read();
        });
        Throwable refused = TestSupport.catching(() -> Mono.fromCallable(never::read)
                .subscribeOn(threaded.scheduler()).block(Duration.ofSeconds(10)));
        assertThat(refused).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("would block the thread of threaded fiber 'busy'");
        // the non-blocking forms work there
        assertThat(Mono.fromCallable(() -> never.tryRead().isEmpty()).subscribeOn(threaded.scheduler())
                .block(Duration.ofSeconds(10))).isTrue();
        release.write("end");
        threaded.join();
    }

    @Test
    void cancellingAThreadedFiberReachesItsBodyWhileItsChildrenKeepTheThreadBusy() {
        int rounds = TestSupport.scaled(50);
        for (int round = 0; round < rounds; round++) {
            CountDownLatch childrenRunning = new CountDownLatch(2);
            AtomicBoolean stop = new AtomicBoolean();
            Fiber<Void> threaded = Fiber.builder().name("cancel-me").threaded().start(() -> {
                Channel<Integer> ping = Channel.create(0);
                Channel<Integer> pong = Channel.create(0);
                Fiber<Void> a = Fiber.start("ping", () -> {
                    childrenRunning.countDown();
                    for (int i = 0; !stop.get(); i++) {
                        ping.write(i);
                        pong.read();
                    }
                });
                Fiber<Void> b = Fiber.start("pong", () -> {
                    childrenRunning.countDown();
                    while (!stop.get()) {
                        pong.write(ping.read());
                    }
                });
                try {
                    Channel.create().read(); // never written: only the cancel ends it
                } finally {
                    stop.set(true);
                    a.cancel();
                    b.cancel();
                }
            });
            try {
                assertThat(childrenRunning.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            threaded.cancel();
            assertThatThrownBy(threaded::join).isInstanceOf(CancellationException.class);
        }
    }

    @Test
    void manyFibersOnOneCarrierDeliverEveryValueExactlyOnce() {
        int fibers = TestSupport.scaled(2_000);
        int perFiber = 50;
        AtomicLong sum = new AtomicLong();
        AtomicLong count = new AtomicLong();
        AtomicReference<Thread> body = new AtomicReference<>();
        List<Thread> wrongCarriers = java.util.Collections.synchronizedList(new ArrayList<>());
        Fiber<Void> threaded = Fiber.builder().name("hub").threaded().start(() -> {
            body.set(Thread.currentThread());
            Channel<Long> values = Channel.create(16);
            List<Fiber<Void>> writers = new ArrayList<>();
            for (int f = 0; f < fibers; f++) {
                long base = (long) f * perFiber;
                writers.add(Fiber.start("writer-" + f, () -> {
                    Thread carrier = Carriers.currentCarrierThread();
                    if (CARRIERS && carrier != body.get()) {
                        wrongCarriers.add(carrier);
                    }
                    for (int i = 0; i < perFiber; i++) {
                        values.write(base + i);
                        if (i % 10 == 0) {
                            Thread.yield(); // the JDK's own re-scheduling goes through the carrier too
                        }
                    }
                }));
            }
            Fiber<Void> closer = Fiber.start("closer", () -> {
                writers.forEach(Fiber::join);
                values.close();
            });
            for (long v : values) {
                sum.addAndGet(v);
                count.incrementAndGet();
            }
            closer.join();
        });
        threaded.join();
        long n = (long) fibers * perFiber;
        assertThat(count.get()).isEqualTo(n);
        assertThat(sum.get()).isEqualTo(n * (n - 1) / 2);
        assertThat(wrongCarriers).isEmpty();
    }

    @Test
    void timedWaitsOfCarriedFibersAndOfTheBodyFire() {
        Fiber<Long> threaded = Fiber.builder().name("timers").threaded().start(() -> {
            long start = System.nanoTime();
            Fiber<Void> sleeper = Fiber.start("sleeper", () -> Fiber.sleep(Duration.ofMillis(30)));
            Fiber<Void> jdkSleeper = Fiber.start("jdk-sleeper", () -> {
                try {
                    Thread.sleep(30); // the JDK's timer re-submits the fiber to its carrier
                } catch (InterruptedException e) {
                    throw new CancellationException();
                }
            });
            Fiber.sleep(Duration.ofMillis(20));
            Channel.<String>create().read(Duration.ofMillis(10));
            sleeper.join();
            jdkSleeper.join();
            return System.nanoTime() - start;
        });
        assertThat(threaded.join()).isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
    }

    @Test
    void aFiberStartedOnTheSharedSchedulerFromACarriedFiberDoesNotInheritTheCarrier() {
        AtomicReference<Thread> body = new AtomicReference<>();
        AtomicReference<Thread> nested = new AtomicReference<>();
        Fiber.builder().name("outer").threaded().start(() -> {
            body.set(Thread.currentThread());
            Fiber.start("carried", () -> {
                // a JDK virtual thread started from a carried fiber inherits its carrier; the
                // library's shared scheduler and onSharedScheduler must not
                String where = Mono.fromCallable(() -> {
                    nested.set(Carriers.currentCarrierThread());
                    return "ok";
                }).subscribeOn(Fiber.current().scheduler()).block(Duration.ofSeconds(10));
                assertThat(where).isEqualTo("ok");
            }).join();
        }).join();
        if (CARRIERS) {
            assertThat(nested.get()).isNotNull().isNotSameAs(body.get());
            assertThat(nested.get()).isNotInstanceOf(ThreadedFiberThread.class);
        } else {
            assertThat(nested.get()).isNull();
        }
    }

    @Test
    void threadedAndSharedTogetherAreRefused() {
        assertThatThrownBy(() -> Fiber.builder().name("both").threaded().onSharedScheduler().start(() -> { }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'both'");
    }
}
