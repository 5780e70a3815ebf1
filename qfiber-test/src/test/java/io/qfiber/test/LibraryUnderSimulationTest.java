package io.qfiber.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberScope;
import io.qfiber.Select;
import io.qfiber.net.TcpServer;
import io.qfiber.net.TcpSocket;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/** The library's timed calls, cancellation and sockets inside simulations. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LibraryUnderSimulationTest {
    private static final SimConfig QUICK = SimConfig.defaults().withRealTimeLimit(Duration.ofSeconds(30));

    @Test
    void selectOverAMonoAndATimeoutPicksWhicheverIsDueFirstToTheNanosecond() {
        Sim.run(QUICK, ctx -> {
            Mono<String> reply = Mono.delay(Duration.ofMillis(700)).thenReturn("reply");
            String first = Select.<String>create().onAwait(reply, v -> v)
                    .onTimeout(Duration.ofMillis(700).plusNanos(1), () -> "timeout").select();
            assertThat(first).isEqualTo("reply");
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMillis(700));
            String second = Select.<String>create().onAwait(reply, v -> v)
                    .onTimeout(Duration.ofMillis(700).minusNanos(1), () -> "timeout").select();
            assertThat(second).isEqualTo("timeout");
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofMillis(1400).minusNanos(1));
        });
    }

    @Test
    void cancellingASleepingFiberEndsItWithoutTimePassing() {
        Sim.run(QUICK, ctx -> {
            Fiber<Void> sleeper = Fiber.start("sleeper", () -> Fiber.sleep(Duration.ofDays(30)));
            ctx.settle();
            sleeper.cancel();
            assertThatThrownBy(sleeper::join).isInstanceOf(CancellationException.class);
            assertThat(ctx.elapsed()).isZero();
        });
    }

    @Test
    void aScopeClosedOnTimeoutCancelsItsChildrenAtThatInstant() {
        Sim.run(QUICK, ctx -> {
            List<Duration> ended = new CopyOnWriteArrayList<>();
            try (FiberScope scope = FiberScope.open("slow work")) {
                for (int i = 1; i <= 3; i++) {
                    Duration work = Duration.ofSeconds(i * 10L);
                    scope.fork("worker-" + i, () -> {
                        try {
                            Fiber.sleep(work);
                        } finally {
                            ended.add(ctx.elapsed());
                        }
                    });
                }
                Fiber.sleep(Duration.ofSeconds(15)); // the budget
            } // close(): cancels the two still sleeping
            assertThat(ended).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(15));
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(15));
        });
    }

    @Test
    void fiberMonoTimedOutByReactorIsCancelledAtTheVirtualInstant() {
        Sim.run(QUICK, ctx -> {
            AtomicReference<Duration> cancelledAt = new AtomicReference<>();
            Mono<String> slow = Fiber.mono(() -> {
                try {
                    Fiber.sleep(Duration.ofHours(1));
                    return "done";
                } catch (CancellationException e) {
                    cancelledAt.set(ctx.elapsed());
                    throw e;
                }
            });
            assertThat(Fiber.await(slow.timeout(Duration.ofMinutes(2)).onErrorReturn("timed out"))).isEqualTo("timed out");
            ctx.settle();
            assertThat(cancelledAt.get()).isEqualTo(Duration.ofMinutes(2));
        });
    }

    @Test
    void aFiberWaitingOnARealSocketHoldsTheClockUntilItsDataArrives() throws Exception {
        CountDownLatch recvWaiting = new CountDownLatch(1);
        AtomicReference<SimContext> sim = new AtomicReference<>();
        AtomicReference<Duration> elapsedBeforeData = new AtomicReference<>();
        AtomicReference<Integer> port = new AtomicReference<>();
        CountDownLatch listening = new CountDownLatch(1);
        Thread peer = Thread.ofPlatform().name("real peer").start(() -> {
            try {
                listening.await();
                try (Socket s = new Socket("127.0.0.1", port.get())) {
                    recvWaiting.await();
                    // give the clock a real tenth of a second in which it could have jumped
                    new CountDownLatch(1).await(100, TimeUnit.MILLISECONDS);
                    elapsedBeforeData.set(sim.get().elapsed());
                    OutputStream out = s.getOutputStream();
                    out.write("hello".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    s.getInputStream().read(); // until the server closes
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<String> events = new CopyOnWriteArrayList<>();
        Sim.run(QUICK, ctx -> {
            sim.set(ctx);
            try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
                port.set(server.port());
                listening.countDown();
                TcpServer.ConnectionInfo conn = server.takeNext();
                Fiber<Void> sleeper = Fiber.start("sleeper", () -> {
                    Fiber.sleep(Duration.ofSeconds(1));
                    events.add("slept until " + ctx.elapsed());
                });
                try (TcpSocket socket = conn.socket()) {
                    byte[] buf = new byte[16];
                    recvWaiting.countDown();
                    int n = socket.recv(buf, Duration.ofMillis(10)); // its timeout cannot fire: the wait holds the clock
                    events.add("received " + new String(buf, 0, n, StandardCharsets.US_ASCII) + " at " + ctx.elapsed());
                }
                sleeper.join();
            }
        });
        peer.join();
        assertThat(elapsedBeforeData.get()).isZero();
        assertThat(events).containsExactly("received hello at PT0S", "slept until PT1S");
    }

    @Test
    void manyFibersPassValuesThroughChannelsWithTimeoutsExactlyOnce() {
        for (Schedule schedule : schedules()) {
            for (long seed = 1; seed <= 5; seed++) {
                SimConfig config = QUICK.withSchedule(schedule).withSeed(seed);
                int producers = 50;
                int perProducer = 40;
                AtomicLong received = new AtomicLong();
                AtomicLong checksum = new AtomicLong();
                AtomicLong timeouts = new AtomicLong();
                Sim.run(config, ctx -> {
                    Channel<Long> ch = Channel.create(8);
                    try (FiberScope scope = FiberScope.open("stress")) {
                        for (int p = 0; p < producers; p++) {
                            int id = p;
                            scope.fork("producer-" + p, () -> {
                                SplittableRandom rnd = new SplittableRandom(id);
                                for (int i = 0; i < perProducer; i++) {
                                    Fiber.sleep(Duration.ofMillis(rnd.nextInt(1, 50)));
                                    long v = (long) id * perProducer + i;
                                    while (!ch.write(v, Duration.ofMillis(rnd.nextInt(1, 5)))) {
                                        timeouts.incrementAndGet();
                                    }
                                }
                            });
                        }
                        for (int c = 0; c < 7; c++) {
                            scope.fork("consumer-" + c, () -> {
                                while (true) {
                                    var v = ch.read(Duration.ofSeconds(5));
                                    if (v.isEmpty()) {
                                        return; // five quiet seconds: the producers are done
                                    }
                                    received.incrementAndGet();
                                    checksum.addAndGet(v.get());
                                    Fiber.sleep(Duration.ofMillis(3));
                                }
                            });
                        }
                        scope.join();
                    }
                });
                long n = (long) producers * perProducer;
                assertThat(received.get()).as("%s seed %d", schedule, seed).isEqualTo(n);
                assertThat(checksum.get()).as("%s seed %d", schedule, seed).isEqualTo(n * (n - 1) / 2);
                assertThat(timeouts.get()).as("writes timed out on a full channel").isPositive();
            }
        }
    }

    private static List<Schedule> schedules() {
        return Fiber.threadingMode() == io.qfiber.ThreadingMode.CARRIERS
                ? List.of(Schedule.FIFO, Schedule.RANDOM) : List.of(Schedule.FIFO);
    }
}
