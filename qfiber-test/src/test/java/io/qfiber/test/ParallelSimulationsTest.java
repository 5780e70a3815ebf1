package io.qfiber.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/** Simulations are independent of each other and of the rest of the JVM. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ParallelSimulationsTest {

    @Test
    void eightSimulationsRunInParallelWithExactTimesWhileOrdinaryCodeKeepsRealTime() throws Exception {
        int sims = 8;
        CyclicBarrier allRunning = new CyclicBarrier(sims + 1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < sims; s++) {
            int id = s;
            threads.add(Thread.ofPlatform().name("sim-driver-" + s).start(() -> {
                try {
                    Sim.run(SimConfig.defaults().withRealTimeLimit(Duration.ofSeconds(30)), ctx -> {
                        allRunning.await(); // every simulation is under way before any timer runs
                        Duration step = Duration.ofSeconds(id + 1);
                        Channel<Duration> seen = Channel.unbounded();
                        try (FiberScope scope = FiberScope.open("sim-" + id)) {
                            scope.fork("sleeper", () -> {
                                for (int i = 0; i < 100; i++) {
                                    Fiber.sleep(step);
                                    seen.write(ctx.elapsed());
                                }
                            });
                            scope.fork("reactor", () -> {
                                Fiber.await(Mono.delay(step.multipliedBy(50)));
                                seen.write(ctx.elapsed());
                            });
                            scope.join();
                        }
                        seen.close();
                        List<Duration> times = new ArrayList<>();
                        seen.forEach(times::add);
                        assertThat(times).hasSize(101);
                        assertThat(times).contains(step.multipliedBy(50));
                        assertThat(times.get(times.size() - 1)).isEqualTo(step.multipliedBy(100));
                        assertThat(ctx.elapsed()).isEqualTo(step.multipliedBy(100));
                    });
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        allRunning.await(20, TimeUnit.SECONDS);
        // meanwhile, outside every simulation, Reactor's timers keep real time
        long t0 = System.nanoTime();
        Long tick = Mono.delay(Duration.ofMillis(50)).block(Duration.ofSeconds(10));
        long realMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        assertThat(tick).isZero();
        assertThat(realMillis).isGreaterThanOrEqualTo(50);
    }

    @Test
    void aFiberOutsideTheSimulationSleepsInRealTimeWhileASimulationRuns() throws Exception {
        Fiber<Long> outside = Fiber.start("outside", () -> {
            long t0 = System.nanoTime();
            Fiber.sleep(Duration.ofMillis(40));
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        });
        Sim.run(SimConfig.defaults(), ctx -> Fiber.sleep(Duration.ofDays(1)));
        assertThat(outside.join()).isGreaterThanOrEqualTo(40);
    }
}
