package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.util.LoggerUtils;
import reactor.test.util.TestLogger;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FiberTest {


    @Test
    void runsOnAVirtualThreadNamedAfterTheFiberAndReturnsItsValue() {
        Fiber<String> f = Fiber.start("worker", () -> Thread.currentThread().getName() + "/"
                + Thread.currentThread().isVirtual() + "/" + Fiber.current().name());
        assertThat(f.join()).isEqualTo("worker/true/worker");
        assertThat(f.name()).isEqualTo("worker");
        assertThat(f.isAlive()).isFalse();
        assertThat(f.isDetached()).isFalse();
        assertThat(f.isThreaded()).isFalse();
        assertThat(Fiber.current()).as("outside fibers").isNull();
    }

    /**
     * A fiber's thread finds its fiber through its uncaught-exception handler: set while the body
     * runs, on plain and threaded fibers, cleared when it ends, and passing what it is handed on to
     * the thread's group (here: the default handler), as the thread would without it.
     */
    @Test
    void theFibersThreadHandlerFindsTheFiberPassesExceptionsOnAndIsClearedAtTheEnd() throws Exception {
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        AtomicReference<Throwable> passedOn = new AtomicReference<>();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> passedOn.set(e));
        try {
            for (boolean threaded : new boolean[] {false, true}) {
                AtomicReference<Thread> thread = new AtomicReference<>();
                IllegalStateException escaped = new IllegalStateException("escaped " + threaded);
                Fiber<String> f = Fiber.builder().name("handled").threaded(threaded).start(() -> {
                    thread.set(Thread.currentThread());
                    Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), escaped);
                    return Fiber.current().name();
                });
                assertThat(f.join()).as("Fiber.current() in the body, threaded %s", threaded).isEqualTo("handled");
                assertThat(passedOn.get()).as("passed on to the default handler, threaded %s", threaded).isSameAs(escaped);
                thread.get().join(10_000);
                assertThat(thread.get().isAlive()).isFalse();
            }
            Fiber<Boolean> replaced = Fiber.start("replaced", () -> {
                Thread.currentThread().setUncaughtExceptionHandler((t, e) -> { });
                return Fiber.current() == null;
            });
            assertThat(replaced.join()).as("a replaced handler hides the fiber, as documented").isTrue();
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }

    @Test
    void joinReportsFailureAndCancellationLikeCompletableFuture() {
        IOException boom = new IOException("boom");
        Fiber<Object> failed = Fiber.start("failing", () -> {
            throw boom;
        });
        assertThatThrownBy(failed::join).isInstanceOf(CompletionException.class).hasCause(boom);
        assertThat(failed.join(Duration.ofSeconds(5))).as("timed join never throws the failure").isTrue();

        Channel<String> never = Channel.create();
        Fiber<String> blocked = Fiber.start("blocked", () -> never.read());
        assertThat(blocked.join(Duration.ofMillis(20))).isFalse();
        assertThat(blocked.isAlive()).isTrue();
        blocked.cancel();
        assertThatThrownBy(blocked::join).isInstanceOf(CancellationException.class);
        assertThat(blocked.isAlive()).isFalse();
        blocked.cancel(); // no effect once ended
    }

    @Test
    void cancelInterruptsSleepAndAwait() {
        CountDownLatch subscribed = new CountDownLatch(1);
        CountDownLatch subscriptionCancelled = new CountDownLatch(1);
        Fiber<Object> awaiting = Fiber.start("awaiting", () -> Fiber.await(Mono.never()
                .doOnSubscribe(s -> subscribed.countDown())
                .doOnCancel(subscriptionCancelled::countDown)));
        Fiber<Void> sleeping = Fiber.start("sleeping", () -> Fiber.sleep(Duration.ofDays(1)));
        await(subscribed);
        TestSupport.awaitBlocked(sleeping);
        awaiting.cancel();
        sleeping.cancel();
        assertThatThrownBy(awaiting::join).isInstanceOf(CancellationException.class);
        assertThatThrownBy(sleeping::join).isInstanceOf(CancellationException.class);
        await(subscriptionCancelled);
    }

    @Test
    void awaitReturnsTheValueOrThrowsTheError() {
        assertThat(Fiber.start("a", () -> Fiber.await(Mono.delay(Duration.ofMillis(5)).thenReturn("late"))).join())
                .isEqualTo("late");
        assertThat(Fiber.start("b", () -> Fiber.await(Mono.empty())).join()).isNull();
        IllegalStateException unchecked = new IllegalStateException("x");
        assertThatThrownBy(() -> Fiber.await(Mono.error(unchecked))).isSameAs(unchecked);
        IOException checked = new IOException("y");
        assertThatThrownBy(() -> Fiber.await(Mono.error(checked))).isInstanceOf(CompletionException.class).hasCause(checked);
    }

    @Test
    void sleepWaitsAtLeastTheDuration() {
        long start = System.nanoTime();
        Fiber.start("sleeper", () -> Fiber.sleep(Duration.ofMillis(30))).join();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
    }

    @Test
    void detachedFiberCannotBeJoinedAndItsFailureIsLoggedWithItsName() {
        TestLogger log = new TestLogger(false);
        LoggerUtils.useCurrentLoggersWithCapture();
        LoggerUtils.enableCaptureWith(log);
        try {
            CountDownLatch ran = new CountDownLatch(1);
            Fiber<Void> f = Fiber.builder().name("lonely-handler").detached().start(() -> {
                ran.countDown();
                throw new IllegalStateException("handler bug");
            });
            assertThat(f.isDetached()).isTrue();
            assertThatThrownBy(f::join).isInstanceOf(IllegalStateException.class).hasMessageContaining("detached");
            assertThatThrownBy(() -> f.join(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(f::asMono).isInstanceOf(IllegalStateException.class);
            await(ran);
            TestSupport.awaitCondition("the failure to be logged", Duration.ofSeconds(10),
                    () -> log.getErrContent().contains("lonely-handler"));
            assertThat(log.getErrContent()).contains("handler bug");
        } finally {
            LoggerUtils.disableCapture();
        }
    }

    @Test
    void threadedFiberRunsOnItsOwnPlatformThreadAndScheduler() throws Exception {
        Channel<String> inbox = Channel.create();
        AtomicReference<Thread> bodyThread = new AtomicReference<>();
        Fiber<String> threaded = Fiber.builder().name("receiver-0").threaded().start(() -> {
            bodyThread.set(Thread.currentThread());
            return inbox.read(); // blocking here is allowed: the thread is not a non-blocking one
        });
        assertThat(threaded.isThreaded()).isTrue();
        // work published on the fiber's scheduler runs on its thread while the fiber waits
        String where = Mono.fromCallable(() -> Thread.currentThread().getName() + "/" + Thread.currentThread().isVirtual()
                        + "/" + Schedulers.isInNonBlockingThread())
                .subscribeOn(threaded.scheduler()).block(Duration.ofSeconds(10));
        assertThat(where).isEqualTo("receiver-0/false/false");
        inbox.write("done");
        assertThat(threaded.join()).isEqualTo("done");
        Thread t = bodyThread.get();
        t.join(10_000);
        assertThat(t.isAlive()).as("the fiber's thread ends with it").isFalse();
        assertThat(threaded.scheduler().isDisposed()).as("the scheduler is disposed with it").isTrue();
        assertThatThrownBy(() -> Mono.just(1).subscribeOn(threaded.scheduler()).block(Duration.ofSeconds(5)))
                .isInstanceOf(Exception.class);
    }

    @Test
    void aThreadedFiberAwaitingWorkOnItsOwnSchedulerDoesNotDeadlock() {
        Fiber<String> threaded = Fiber.builder().name("loop").threaded().start(() -> {
            Fiber<?> self = Fiber.current();
            // the Mono runs on this fiber's own thread, which is free while the fiber awaits it
            return Fiber.await(Mono.fromCallable(() -> "ran on " + Thread.currentThread().getName())
                    .subscribeOn(self.scheduler()));
        });
        assertThat(threaded.join()).isEqualTo("ran on loop");
    }

    @Test
    void plainFiberSchedulerRunsTasksOnVirtualThreads() {
        Fiber<Void> f = Fiber.start("plain", () -> { });
        Boolean virtual = Mono.fromCallable(() -> Thread.currentThread().isVirtual())
                .subscribeOn(f.scheduler()).block(Duration.ofSeconds(10));
        assertThat(virtual).isTrue();
    }

    @Test
    void asMonoGivesTheOutcomeAndItsCancelLeavesTheFiberRunning() {
        Channel<Integer> gate = Channel.create();
        Fiber<Integer> f = Fiber.start("answer", () -> gate.read() * 2);
        StepVerifier.create(f.asMono()).thenCancel().verify(Duration.ofSeconds(5));
        assertThat(f.isAlive()).isTrue();
        gate.write(21);
        StepVerifier.create(f.asMono()).expectNext(42).verifyComplete();
        StepVerifier.create(Fiber.start("void", () -> { }).asMono()).verifyComplete();
        RuntimeException boom = new RuntimeException("boom");
        StepVerifier.create(Fiber.start("bad", () -> {
            throw boom;
        }).asMono()).expectErrorSatisfies(e -> assertThat(e).isSameAs(boom)).verify(Duration.ofSeconds(5));
    }

    @Test
    void aMonoWhoseFiberIsCancelledFromInsideTerminatesWithTheCancellation() {
        for (int round = 0; round < 100; round++) {
            Mono<String> mono = Fiber.mono(() -> {
                Fiber<?> me = Fiber.current();
                assertThat(me).isNotNull();
                me.cancel();
                Fiber.sleep(Duration.ofSeconds(30)); // throws at once: the fiber is cancelled
                return "never";
            });
            StepVerifier.create(mono).expectError(CancellationException.class).verify(Duration.ofSeconds(10));
        }
    }

    @Test
    void aFluxWhoseFiberIsCancelledFromInsideTerminatesWithTheCancellation() {
        Flux<Integer> flux = Fiber.flux(out -> {
            out.write(1);
            Fiber<?> me = Fiber.current();
            assertThat(me).isNotNull();
            me.cancel();
            out.write(2); // throws: the fiber is cancelled
        });
        StepVerifier.create(flux).expectNext(1).expectError(CancellationException.class).verify(Duration.ofSeconds(10));
    }

    @Test
    void monoRunsTheBodyPerSubscriptionAndCancelCancelsIt() {
        AtomicInteger runs = new AtomicInteger();
        Mono<String> mono = Fiber.mono(() -> "run " + runs.incrementAndGet());
        StepVerifier.create(mono).expectNext("run 1").verifyComplete();
        StepVerifier.create(mono).expectNext("run 2").verifyComplete();

        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch bodyCancelled = new CountDownLatch(1);
        Channel<String> never = Channel.create();
        Mono<String> blocking = Fiber.mono(() -> {
            started.countDown();
            try {
                return never.read();
            } catch (CancellationException e) {
                bodyCancelled.countDown();
                throw e;
            }
        });
        StepVerifier.create(blocking).then(() -> await(started)).thenCancel().verify(Duration.ofSeconds(5));
        await(bodyCancelled);

        IOException checked = new IOException("io");
        StepVerifier.create(Fiber.mono(() -> {
            throw checked;
        })).expectErrorSatisfies(e -> assertThat(e).isSameAs(checked)).verify(Duration.ofSeconds(5));
    }

    @Test
    void fluxBodyWritesAtTheSubscribersPace() {
        AtomicInteger writesReturned = new AtomicInteger();
        CountDownLatch bodyCancelled = new CountDownLatch(1);
        Flux<Integer> flux = Fiber.flux(ch -> {
            try {
                for (int i = 0; ; i++) {
                    ch.write(i);
                    writesReturned.incrementAndGet();
                }
            } catch (CancellationException | ChannelClosedException e) {
                bodyCancelled.countDown();
            }
        });
        StepVerifier.create(flux, 2)
                .expectNext(0, 1)
                .then(() -> assertThat(writesReturned.get()).as("no write completes without demand").isLessThanOrEqualTo(2))
                .thenRequest(3)
                .expectNext(2, 3, 4)
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        await(bodyCancelled);
        assertThat(writesReturned.get()).isLessThanOrEqualTo(5);
    }

    @Test
    void fluxBodyNeverRunsAheadOfDemandUnderRaces() {
        // The pace check above raced: a Flux consumer still listed as a waiting reader after its
        // demand was used took one more value from a rendezvous writer (and dropped it on cancel).
        for (int i = 0; i < TestSupport.scaled(1_000); i++) {
            fluxBodyWritesAtTheSubscribersPace();
        }
    }

    @Test
    void fluxCompletesWhenTheBodyReturnsAndErrorsWhenItThrows() {
        StepVerifier.create(Fiber.<String>flux(ch -> {
            ch.write("a");
            ch.write("b");
        })).expectNext("a", "b").verifyComplete();
        IllegalStateException boom = new IllegalStateException("boom");
        StepVerifier.create(Fiber.<String>flux(ch -> {
            ch.write("a");
            throw boom;
        })).expectNext("a").expectErrorSatisfies(e -> assertThat(e).isSameAs(boom)).verify(Duration.ofSeconds(5));
    }

    @Test
    void blockingHelpersAreRefusedOnNonBlockingThreads() {
        Fiber<Integer> f = Fiber.start("f", () -> 1);
        f.join();
        Throwable[] errors = Mono.fromCallable(() -> new Throwable[] {
                TestSupport.catching(f::join), TestSupport.catching(() -> Fiber.sleep(Duration.ZERO)), TestSupport.catching(() -> Fiber.await(Mono.just(1)))
        }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        assertThat(errors).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("non-blocking"));
    }

    @Test
    void aFiberCannotJoinItself() {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Fiber.start("self", () -> {
            try {
                Fiber.current().join();
            } catch (Throwable t) {
                error.set(t);
            }
        }).join();
        assertThat(error.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("itself");
    }

    @Test
    void badArgumentsFailAtOnce() {
        assertThatThrownBy(() -> Fiber.start(null, () -> { })).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> Fiber.start("x", (Runnable) null)).isInstanceOf(NullPointerException.class).hasMessageContaining("body");
        assertThatThrownBy(() -> Fiber.sleep(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fiber.await(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aFinishedFiberDoesNotKeepItsThreadReachable() {
        AtomicReference<WeakReference<Thread>> ref = new AtomicReference<>();
        Fiber<Void> f = Fiber.start("short", () -> ref.set(new WeakReference<>(Thread.currentThread())));
        f.join();
        assertThat(f.thread()).isNull();
        for (int i = 0; i < 50 && ref.get().get() != null; i++) {
            System.gc();
            TestSupport.awaitCondition("a gc pause", Duration.ofSeconds(1), () -> true);
        }
        assertThat(ref.get().get()).as("thread collected while the handle %s is alive", f).isNull();
    }

    @Test
    void manyFibersBlockedOnChannelsAreReleasedAndJoined() {
        int n = TestSupport.scaled(100_000);
        Channel<Integer> ch = Channel.create();
        @SuppressWarnings("unchecked")
        Fiber<Integer>[] fibers = new Fiber[n];
        for (int i = 0; i < n; i++) {
            fibers[i] = Fiber.start("blocked-" + i, () -> ch.read());
        }
        long expected = 0;
        for (int i = 0; i < n; i++) {
            ch.write(i);
            expected += i;
        }
        long sum = 0;
        for (Fiber<Integer> f : fibers) {
            sum += f.join();
        }
        assertThat(sum).isEqualTo(expected);
        assertThat(ch.size()).isZero();
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).as("latch released in time").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
