package io.qfiber.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.ThreadingMode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** What ends a simulation, what holds its clock, and what it refuses. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimRulesTest {
    private static final SimConfig QUICK = SimConfig.defaults().withRealTimeLimit(Duration.ofSeconds(20));

    @Test
    void twoFibersReadingEachOthersEmptyChannelsAreReportedAsADeadlockNamingBoth() {
        // a 2 s watchdog: a deadlock must be found at once, not by the watchdog
        SimConfig config = SimConfig.defaults().withSeed(42).withRealTimeLimit(Duration.ofSeconds(2));
        assertThatThrownBy(() -> Sim.run(config, ctx -> {
            Channel<String> toA = Channel.<String>builder().name("to-a").capacity(1).build();
            Channel<String> toB = Channel.<String>builder().name("to-b").capacity(1).build();
            Fiber<Void> a = Fiber.start("fiber-a", () -> toB.write(toA.read()));
            Fiber<Void> b = Fiber.start("fiber-b", () -> toA.write(toB.read()));
            Fiber.sleep(Duration.ofSeconds(3));
            a.join();
            b.join();
        }))
                .isInstanceOfSatisfying(SimDeadlockException.class, e -> {
                    assertThat(e.seed()).isEqualTo(42);
                    assertThat(e.elapsed()).isEqualTo(Duration.ofSeconds(3));
                })
                .hasMessageContaining("deadlock")
                .hasMessageContaining("seed 42")
                .hasMessageContaining("\"fiber-a\"")
                .hasMessageContaining("\"fiber-b\"")
                .hasMessageContaining("read of channel 'to-a'")
                .hasMessageContaining("read of channel 'to-b'")
                .hasMessageContaining("join of fiber 'fiber-a'")
                .hasMessageContaining("SimRulesTest"); // the stacks
    }

    @Test
    void aDeadlockEndsTheLibrarysHelperThreadsToo() {
        assertThatThrownBy(() -> Sim.run(QUICK, ctx -> {
            Channel<Object> fed = Channel.from(Flux.never()); // its pump waits for the source
            fed.read();
        }))
                .isInstanceOf(SimDeadlockException.class)
                .hasMessageContaining("read of channel 'from(")
                .hasMessageNotContaining("did not end after their cancellation"); // the pump was stopped
    }

    @Test
    void aFiberBlockedOnAJdkLockHeldOutsideHoldsTheClockStill() throws Exception {
        ReentrantLock jdkLock = new ReentrantLock();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<SimContext> sim = new AtomicReference<>();
        AtomicReference<Duration> elapsedWhileHeld = new AtomicReference<>();
        Thread holder = Thread.ofPlatform().name("outside lock holder").start(() -> {
            jdkLock.lock();
            try {
                locked.countDown();
                // wait until the simulation's fiber queues on the lock, then give the clock a real
                // quarter second in which it could have jumped, and read it
                while (!jdkLock.hasQueuedThreads()) {
                    Thread.onSpinWait();
                }
                release.await(250, TimeUnit.MILLISECONDS);
                elapsedWhileHeld.set(sim.get().elapsed());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                jdkLock.unlock();
            }
        });
        List<Duration> woke = new ArrayList<>();
        Sim.run(QUICK, ctx -> {
            sim.set(ctx);
            locked.await();
            Fiber<Void> sleeper = Fiber.start("sleeper", () -> {
                Fiber.sleep(Duration.ofSeconds(1));
                woke.add(ctx.elapsed());
            });
            Fiber<Void> locker = Fiber.start("locker", () -> {
                jdkLock.lock();
                jdkLock.unlock();
            });
            sleeper.join();
            locker.join();
        });
        holder.join();
        assertThat(elapsedWhileHeld.get()).isEqualTo(Duration.ZERO);
        assertThat(woke).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void awaitingAMonoThatSomethingRealCompletesNeedsAHoldOnTheClock() throws Exception {
        // A Mono completed by an outside thread (as real I/O completes a WebClient call): the
        // simulation cannot see that work, so Fiber.await counts as a wait on the simulation.
        for (boolean hold : new boolean[] {false, true}) {
            Sinks.One<String> reply = Sinks.one();
            CountDownLatch subscribed = new CountDownLatch(1);
            Thread outside = Thread.ofPlatform().start(() -> {
                try {
                    subscribed.await();
                    new CountDownLatch(1).await(100, TimeUnit.MILLISECONDS); // the real call's latency
                    reply.tryEmitValue("answer");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            List<String> outcome = new ArrayList<>();
            Sim.run(QUICK, ctx -> {
                Mono<String> call = reply.asMono().doOnSubscribe(s -> subscribed.countDown())
                        .timeout(Duration.ofSeconds(5), Mono.just("timed out"));
                if (hold) {
                    try (SimContext.ClockHold h = ctx.holdClock()) {
                        outcome.add(Fiber.await(call) + " at " + ctx.elapsed());
                    }
                } else {
                    outcome.add(Fiber.await(call) + " at " + ctx.elapsed());
                }
            });
            outside.join();
            assertThat(outcome).containsExactly(hold ? "answer at PT0S" : "timed out at PT5S");
        }
    }

    @Test
    void theWatchdogFailsASimulationStuckInThreadSleepWithTheDump() {
        SimConfig config = SimConfig.defaults().withSeed(7).withRealTimeLimit(Duration.ofMillis(500));
        assertThatThrownBy(() -> Sim.run(config, ctx -> {
            Fiber<Void> napper = Fiber.start("napper", () -> {
                try {
                    Thread.sleep(Duration.ofMinutes(5));
                } catch (InterruptedException e) {
                    throw new CancellationException("interrupted");
                }
            });
            Fiber.sleep(Duration.ofSeconds(1));
            napper.join();
        }))
                .isInstanceOfSatisfying(SimTimeoutException.class, e -> {
                    assertThat(e.seed()).isEqualTo(7);
                    assertThat(e.elapsed()).isEqualTo(Duration.ZERO); // the nap held the clock
                })
                .hasMessageContaining("real-time limit of PT0.5S")
                .hasMessageContaining("\"napper\"")
                .hasMessageContaining("java.lang.Thread.sleep")
                .hasMessageContaining("\"sim body\"");
    }

    @Test
    void aFiberStillAliveWhenTheBodyReturnsFailsTheRunButABackgroundOneDoesNot() {
        assertThatThrownBy(() -> Sim.run(QUICK, ctx -> {
            ctx.background("pump", () -> Fiber.sleep(Duration.ofDays(365)));
            Fiber.start("leaked", () -> Fiber.sleep(Duration.ofHours(1)));
            Fiber.sleep(Duration.ofSeconds(1));
        }))
                .isInstanceOf(SimDeadlockException.class)
                .hasMessageContaining("still alive when the body returned")
                .hasMessageContaining("\"leaked\"")
                .hasMessageNotContaining("\"pump\"");

        List<Boolean> cancelled = new ArrayList<>();
        Sim.run(QUICK, ctx -> ctx.background("pump", () -> {
            try {
                Fiber.sleep(Duration.ofDays(365));
            } catch (CancellationException expected) {
                cancelled.add(true);
                throw expected;
            }
        }));
        assertThat(cancelled).containsExactly(true);
    }

    @Test
    void aFailingBackgroundFiberFailsTheRun() {
        assertThatThrownBy(() -> Sim.run(QUICK, ctx -> {
            ctx.background("checker", () -> {
                Fiber.sleep(Duration.ofSeconds(2));
                throw new IllegalStateException("invariant broken at 2 s");
            });
            Fiber.sleep(Duration.ofSeconds(5));
        }))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("background fiber 'checker' failed")
                .hasRootCauseMessage("invariant broken at 2 s");
    }

    @Test
    void theBodysFailureIsRethrownAsItIsWithTheSeed() {
        SimConfig config = QUICK.withSeed(1234);
        assertThatThrownBy(() -> Sim.run(config, ctx -> {
            Fiber.sleep(Duration.ofSeconds(1));
            throw new IllegalArgumentException("boom");
        }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("boom")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s.getMessage()).contains("seed 1234", "withSeed(1234L)", "+PT1S")));

        assertThatThrownBy(() -> Sim.run(config, ctx -> {
            throw new IOException("checked");
        }))
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(IOException.class);
    }

    @Test
    void randomScheduleIsRefusedInSharedMode() {
        assumeThat(Fiber.threadingMode()).isEqualTo(ThreadingMode.SHARED_SCHEDULER);
        assertThatThrownBy(() -> Sim.run(QUICK.withSchedule(Schedule.RANDOM), ctx -> { }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("RANDOM")
                .hasMessageContaining("carrier mode")
                .hasMessageContaining("--add-opens java.base/java.lang=ALL-UNNAMED");
    }

    @Test
    void badArgumentsAndMisuseAreRefusedByName() {
        assertThatThrownBy(() -> Sim.run(null, ctx -> { })).isInstanceOf(NullPointerException.class).hasMessage("config");
        assertThatThrownBy(() -> Sim.run(QUICK, null)).isInstanceOf(NullPointerException.class).hasMessage("body");
        assertThatThrownBy(() -> SimConfig.defaults().withRealTimeLimit(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("realTimeLimit");
        assertThatThrownBy(() -> SimConfig.defaults().withSchedule(null))
                .isInstanceOf(NullPointerException.class).hasMessage("schedule");

        AtomicReference<SimContext> escaped = new AtomicReference<>();
        Sim.run(QUICK, ctx -> {
            escaped.set(ctx);
            assertThatThrownBy(() -> Sim.run(QUICK, inner -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("do not nest");
            assertThatThrownBy(() -> ctx.sleep(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be >= 0");
        });
        assertThatThrownBy(() -> escaped.get().settle())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("for the fibers of its simulation");
        assertThatThrownBy(() -> escaped.get().background("x", () -> { }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void interruptingTheCallerCancelsTheSimulation() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        List<Boolean> fiberCancelled = new ArrayList<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                Sim.run(QUICK, ctx -> {
                    started.countDown();
                    try {
                        Thread.sleep(Duration.ofMinutes(5)); // outside the library: the clock is held
                    } catch (InterruptedException e) {
                        fiberCancelled.add(true);
                    }
                });
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        started.await();
        caller.interrupt();
        caller.join();
        assertThat(outcome.get()).isInstanceOf(CancellationException.class).hasMessageContaining("interrupted");
        assertThat(fiberCancelled).containsExactly(true);
    }

    @Test
    void threadedFibersJoinTheSimulationAndSleepInVirtualTime() {
        Sim.run(QUICK, ctx -> {
            Fiber<Duration> threaded = Fiber.builder().name("worker").threaded().start(() -> {
                Fiber.sleep(Duration.ofMinutes(3));
                return ctx.elapsed();
            });
            assertThat(threaded.isThreaded()).isTrue();
            assertThat(threaded.join()).isEqualTo(Duration.ofMinutes(3));
            // its scheduler runs work in the simulation too
            Duration[] at = new Duration[1];
            Fiber.await(reactor.core.publisher.Mono.delay(Duration.ofSeconds(1), threaded.scheduler())
                    .doOnNext(x -> at[0] = ctx.elapsed()));
            assertThat(at[0]).isEqualTo(Duration.ofMinutes(3).plusSeconds(1));
        });
    }
}
