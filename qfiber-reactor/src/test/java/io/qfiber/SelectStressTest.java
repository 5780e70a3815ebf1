package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.ChannelStressTest.BatchSubscriber;
import io.qfiber.ChannelStressTest.Tally;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/**
 * Selects under load: selecting readers and writers over one channel of every blocking kind,
 * racing plain readers, plain writers, a Flux subscriber, random cancellation and closes. Every
 * value is counted by a per-value tally and a checksum. Sizes scale with {@code -Dqfiber.stress=N}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SelectStressTest {


    private static List<Channel<Integer>> oneOfEachKind() {
        return List.of(ChannelKind.RENDEZVOUS.create(), ChannelKind.CAPACITY_1.create(),
                ChannelKind.CAPACITY_1000.create(), ChannelKind.UNBOUNDED.create());
    }

    @Test
    void selectingReadersAndWritersWithCancellationDeliverEveryValueExactlyOnce() {
        int total = TestSupport.scaled(200_000);
        List<Channel<Integer>> channels = oneOfEachKind();
        Tally tally = new Tally(total);
        AtomicLong cancels = new AtomicLong();
        List<Thread> victims = new java.util.concurrent.CopyOnWriteArrayList<>();

        int selectingWriters = 4;
        int plainWriters = 2;
        int writers = selectingWriters + plainWriters;
        int perWriter = total / writers;
        List<Fiber<Void>> writerFibers = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int base = w * perWriter;
            int count = w == writers - 1 ? total - base : perWriter;
            boolean selecting = w < selectingWriters;
            writerFibers.add(Fiber.start("writer-" + w, () -> {
                if (selecting) {
                    victims.add(Thread.currentThread());
                }
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int i = 0; i < count; i++) {
                    int v = base + i;
                    for (;;) {
                        try {
                            if (selecting) {
                                Select<Void> s = Select.create();
                                for (Channel<Integer> ch : channels) {
                                    s.onWrite(ch, v, () -> null);
                                }
                                s.select();
                            } else {
                                channels.get(rnd.nextInt(channels.size())).write(v);
                            }
                            break;
                        } catch (CancellationException e) {
                            Thread.interrupted(); // nothing was put: write the same value again
                            cancels.incrementAndGet();
                        }
                    }
                }
            }));
        }

        List<Fiber<Void>> readers = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            readers.add(Fiber.start("select-reader-" + r, () -> {
                victims.add(Thread.currentThread());
                selectReadUntilAllClosed(channels, tally, cancels);
            }));
        }
        for (int c : new int[] {0, 2}) {
            Channel<Integer> ch = channels.get(c);
            readers.add(Fiber.start("reader-" + c, () -> {
                for (int v : ch) {
                    tally.add(v);
                }
            }));
        }
        CompletableFuture<Void> fluxDone = new CompletableFuture<>();
        channels.get(1).asFlux().subscribe(new BatchSubscriber(tally, fluxDone, Integer.MAX_VALUE));

        AtomicBoolean writing = new AtomicBoolean(true);
        Thread chaos = chaos(victims, writing);
        writerFibers.forEach(Fiber::join);
        writing.set(false);
        joinThread(chaos);
        channels.forEach(Channel::close);
        readers.forEach(Fiber::join);
        fluxDone.orTimeout(1, TimeUnit.MINUTES).join();
        tally.assertExactlyOnce(total);
        assertThat(cancels.get()).as("cancellations happened").isPositive();
    }

    @Test
    void closeRacesDeliverExactlyTheAcceptedWrites() {
        int rounds = TestSupport.scaled(30);
        for (int round = 0; round < rounds; round++) {
            int total = 20_000;
            List<Channel<Integer>> channels = List.of(ChannelKind.RENDEZVOUS.create(),
                    ChannelKind.CAPACITY_1.create(), ChannelKind.CAPACITY_1000.create());
            Tally received = new Tally(total);
            AtomicIntegerArray accepted = new AtomicIntegerArray(total);
            int writers = 4;
            int perWriter = total / writers;
            List<Fiber<Void>> writerFibers = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int base = w * perWriter;
                writerFibers.add(Fiber.start("writer-" + w, () -> {
                    List<Channel<Integer>> open = new ArrayList<>(channels);
                    for (int i = 0; i < perWriter && !open.isEmpty(); i++) {
                        int v = base + i;
                        while (!open.isEmpty()) {
                            Select<Void> s = Select.create();
                            for (Channel<Integer> ch : open) {
                                s.onWrite(ch, v, () -> null);
                            }
                            try {
                                s.select();
                                accepted.incrementAndGet(v);
                                break;
                            } catch (ChannelClosedException e) {
                                open.removeIf(Channel::isClosed); // not written: try the others
                            }
                        }
                    }
                }));
            }
            List<Fiber<Void>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(Fiber.start("select-reader-" + r, () -> selectReadUntilAllClosed(channels, received, null)));
            }
            for (Channel<Integer> ch : channels) {
                readers.add(Fiber.start("reader", () -> {
                    for (int v : ch) {
                        received.add(v);
                    }
                }));
            }
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (Channel<Integer> ch : channels) {
                int closeAfter = rnd.nextInt(total);
                TestSupport.awaitCondition("values before a close", Duration.ofSeconds(30),
                        () -> received.count() >= closeAfter || writerFibers.stream().noneMatch(Fiber::isAlive));
                ch.close();
            }
            writerFibers.forEach(Fiber::join);
            readers.forEach(Fiber::join);
            for (int v = 0; v < total; v++) {
                assertThat(received.timesSeen(v)).as("value %d received as often as accepted, round %d", v, round)
                        .isEqualTo(accepted.get(v));
            }
        }
    }

    @Test
    void aMonoAndAChannelRacingFireExactlyOne() {
        int rounds = TestSupport.scaled(2_000);
        int channelWins = 0;
        int monoWins = 0;
        for (int round = 0; round < rounds; round++) {
            Channel<Integer> ch = Channel.create(round % 2 == 0 ? 0 : 1);
            AtomicBoolean cancelled = new AtomicBoolean();
            long delayMicros = ThreadLocalRandom.current().nextInt(200);
            Mono<String> timer = Mono.delay(Duration.ofNanos(delayMicros * 1000)).map(t -> "mono")
                    .doOnCancel(() -> cancelled.set(true));
            Fiber<Void> writer = Fiber.start("writer", () -> {
                LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(200_000));
                ch.write(7);
            });
            String won = Select.<String>create().onRead(ch, v -> "channel").onAwait(timer, v -> v).select();
            if (won.equals("channel")) {
                channelWins++;
                writer.join();
                assertThat(ch.tryRead()).as("round %d: one value, taken", round).isEmpty();
                assertThat(cancelled).as("round %d: losing mono cancelled", round).isTrue();
            } else {
                monoWins++;
                assertThat(ch.read()).as("round %d: the value is still there", round).isEqualTo(7);
                writer.join();
            }
        }
        assertThat(channelWins + monoWins).isEqualTo(rounds);
        assertThat(channelWins).as("channel wins").isPositive();
        assertThat(monoWins).as("mono wins").isPositive();
    }

    /**
     * Reads by select from every channel until all are closed and drained, dropping each from the
     * select once it is; a cancelled select (counted in {@code cancelsOrNull}) took nothing and is
     * tried again.
     */
    private static void selectReadUntilAllClosed(List<Channel<Integer>> channels, Tally tally, AtomicLong cancelsOrNull) {
        List<Channel<Integer>> open = new ArrayList<>(channels);
        while (!open.isEmpty()) {
            Select<Integer> s = Select.create();
            for (Channel<Integer> ch : open) {
                s.onRead(ch, v -> v);
            }
            try {
                tally.add(s.select());
            } catch (CancellationException e) {
                if (cancelsOrNull == null) {
                    throw e;
                }
                Thread.interrupted(); // nothing was taken: select again
                cancelsOrNull.incrementAndGet();
            } catch (ChannelClosedException e) {
                open.removeIf(ch -> ch.isClosed() && ch.size() == 0);
            }
        }
    }

    private static Thread chaos(List<Thread> victims, AtomicBoolean running) {
        return Thread.ofPlatform().name("chaos").start(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (running.get()) {
                if (!victims.isEmpty()) {
                    victims.get(rnd.nextInt(victims.size())).interrupt();
                }
                LockSupport.parkNanos(rnd.nextInt(50_000));
            }
        });
    }

    private static void joinThread(Thread t) {
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
