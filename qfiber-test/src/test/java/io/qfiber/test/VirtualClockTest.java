package io.qfiber.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberScope;
import io.qfiber.Select;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The virtual clock: sleeps, timed calls, Select timeouts and Reactor timers, all on one clock. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VirtualClockTest {
    /** No run of these tests may take this long in real time: the clock must be virtual. */
    private static final SimConfig QUICK = SimConfig.defaults().withRealTimeLimit(Duration.ofSeconds(20));

    @Test
    void anHourOfSleepPassesExactlyInVirtualTime() {
        Duration[] seen = new Duration[2];
        Instant[] at = new Instant[1];
        Sim.run(QUICK, ctx -> {
            seen[0] = ctx.elapsed();
            Fiber.sleep(Duration.ofHours(1));
            seen[1] = ctx.elapsed();
            at[0] = ctx.now();
        });
        assertThat(seen[0]).isEqualTo(Duration.ZERO);
        assertThat(seen[1]).isEqualTo(Duration.ofHours(1));
        assertThat(at[0]).isEqualTo(SimConfig.DEFAULT_START.plus(Duration.ofHours(1)));
    }

    @Test
    void fibersWakeInDeadlineOrderAtExactTimes() {
        List<String> woke = new CopyOnWriteArrayList<>();
        Sim.run(QUICK, ctx -> {
            try (FiberScope scope = FiberScope.open("sleepers")) {
                for (int s : new int[] {3, 1, 2, 5, 4}) {
                    scope.fork("sleeper-" + s, () -> {
                        Fiber.sleep(Duration.ofSeconds(s));
                        woke.add(s + "@" + ctx.elapsed().toMillis());
                    });
                }
                scope.join();
            }
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(5));
        });
        assertThat(woke).containsExactly("1@1000", "2@2000", "3@3000", "4@4000", "5@5000");
    }

    @Test
    void selectTimeoutFiresAtExactlyFiveSecondsAndALaterWriteStillArrives() {
        Sim.run(QUICK, ctx -> {
            Channel<String> ch = Channel.create(0);
            Fiber<Void> writer = Fiber.start("late writer", () -> {
                Fiber.sleep(Duration.ofSeconds(6));
                ch.write("late");
            });
            String got = Select.<String>create()
                    .onRead(ch, v -> v)
                    .onTimeout(Duration.ofSeconds(5), () -> "timeout")
                    .select();
            assertThat(got).isEqualTo("timeout");
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(5));
            assertThat(ch.read()).isEqualTo("late");
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(6));
            writer.join();
        });
    }

    @Test
    void timedChannelCallsAndJoinUseTheVirtualClock() {
        Sim.run(QUICK, ctx -> {
            Channel<Integer> ch = Channel.create(1);
            assertThat(ch.read(Duration.ofMinutes(10))).isEqualTo(Optional.empty());
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMinutes(10));
            assertThat(ch.write(1, Duration.ofSeconds(1))).isTrue();
            assertThat(ch.write(2, Duration.ofSeconds(7))).isFalse(); // full
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMinutes(10).plusSeconds(7));
            Fiber<Void> sleeper = Fiber.start("sleeper", () -> Fiber.sleep(Duration.ofDays(2)));
            assertThat(sleeper.join(Duration.ofDays(1))).isFalse();
            assertThat(sleeper.join(Duration.ofDays(3))).isTrue();
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMinutes(10).plusSeconds(7).plusDays(2));
        });
    }

    @Test
    void reactorTimersRunOnTheSameClockAsFiberSleep() {
        Sim.run(QUICK, ctx -> {
            assertThat(Fiber.await(Mono.delay(Duration.ofSeconds(30)))).isEqualTo(0L);
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(30));

            Mono<String> slow = Mono.delay(Duration.ofSeconds(10)).map(x -> "slow");
            assertThatThrownBy(() -> Fiber.await(slow.timeout(Duration.ofSeconds(3))))
                    .isInstanceOf(CompletionException.class).hasCauseInstanceOf(TimeoutException.class);
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(33));

            // a timeout that does not fire leaves no timer behind: the clock does not jump to it
            assertThat(Fiber.await(Mono.just("fast").timeout(Duration.ofHours(5)))).isEqualTo("fast");

            List<Duration> ticks = new ArrayList<>();
            Channel<Long> interval = Channel.from(Flux.interval(Duration.ofSeconds(2)).take(4));
            for (long tick : interval) {
                ticks.add(ctx.elapsed());
                assertThat(tick).isEqualTo(ticks.size() - 1);
            }
            assertThat(ticks).containsExactly(Duration.ofSeconds(35), Duration.ofSeconds(37),
                    Duration.ofSeconds(39), Duration.ofSeconds(41));
            Fiber.sleep(Duration.ofSeconds(1));
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(42));
        });
    }

    @Test
    void settleReturnsWithAWriterBlockedAndNoTimePassed() {
        Sim.run(QUICK, ctx -> {
            Channel<String> ch = Channel.create(0);
            Fiber<Void> writer = Fiber.start("writer", () -> {
                Fiber.sleep(Duration.ofMillis(1));
                ch.write("x");
            });
            ctx.settle();
            assertThat(ctx.elapsed()).isEqualTo(Duration.ZERO);
            assertThat(writer.isAlive()).isTrue();
            ctx.sleep(Duration.ofMillis(1));
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMillis(1));
            assertThat(writer.isAlive()).isTrue(); // now blocked in the write
            assertThat(ch.tryRead()).contains("x");
            writer.join();
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMillis(1));
        });
    }

    @Test
    void aDayOfOneSecondHeartbeats() {
        int[] beats = {0};
        Sim.run(QUICK, ctx -> {
            Fiber<Void> heart = ctx.background("heart", () -> {
                while (true) {
                    Fiber.sleep(Duration.ofSeconds(1));
                    beats[0]++;
                }
            });
            Fiber.sleep(Duration.ofHours(24).plusMillis(500));
            assertThat(heart.isAlive()).isTrue();
        });
        assertThat(beats[0]).isEqualTo(24 * 3600);
    }

    @Test
    void aDayOfIntervalTicksThroughReactor() {
        long[] ticks = {0};
        Sim.run(QUICK, ctx -> {
            Fiber.await(Flux.interval(Duration.ofSeconds(1)).take(Duration.ofHours(24).plusMillis(500))
                    .doOnNext(t -> ticks[0]++).then());
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofHours(24).plusMillis(500));
        });
        assertThat(ticks[0]).isEqualTo(24 * 3600);
    }

    @Test
    void publishOnAndSubscribeOnRunOnTheSimulationsThreadsAndHoldTheClockUntilDone() {
        Sim.run(QUICK, ctx -> {
            String where = Fiber.await(Mono.fromCallable(() -> Thread.currentThread().isVirtual() + " " + ctx.elapsed())
                    .subscribeOn(Schedulers.boundedElastic())
                    .publishOn(Schedulers.parallel())
                    .delayElement(Duration.ofMillis(250)));
            assertThat(where).isEqualTo("true PT0S");
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMillis(250));
            assertThat(Schedulers.parallel().now(TimeUnit.MILLISECONDS))
                    .isEqualTo(SimConfig.DEFAULT_START.plusMillis(250).toEpochMilli());
        });
    }

    @Test
    void aStepVerifierVirtualTimeRunBeforeLeavesSimulationsOnTheirOwnClock() {
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofHours(1)))
                .expectSubscription().thenAwait(Duration.ofHours(1)).expectNext(0L).verifyComplete();
        Sim.run(QUICK, ctx -> {
            Fiber.await(Mono.delay(Duration.ofMinutes(7)));
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMinutes(7));
        });
    }
}
