package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/**
 * Exactly-once delivery under load, cancellation and close races: every value is counted in a
 * per-value tally and summed, on both ends. Sizes scale with {@code -Dqfiber.stress=N}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ChannelStressTest {
    private static final int WRITERS = 8;
    private static final int BLOCKING_READERS = 4;
    private static final int FLUX_READERS = 4;


    private static int totalFor(ChannelKind kind) {
        // the rendezvous and capacity-1 channels hand over one value per wake-up: fewer values
        return TestSupport.scaled(kind.capacity >= 1000 ? 1_000_000 : 200_000);
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1", "CAPACITY_1000", "UNBOUNDED"})
    void eightWritersEightReadersExactlyOnce(ChannelKind kind) {
        int total = totalFor(kind);
        Channel<Integer> ch = kind.create();
        Tally tally = new Tally(total);
        List<Fiber<Void>> writers = startWriters(ch, total, null);
        List<CompletableFuture<Void>> readers = new ArrayList<>();
        for (int r = 0; r < BLOCKING_READERS; r++) {
            readers.add(Fiber.start("reader-" + r, () -> {
                for (int v : ch) {
                    tally.add(v);
                }
            }).asMono().toFuture());
        }
        for (int r = 0; r < FLUX_READERS; r++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            ch.asFlux().subscribe(new BatchSubscriber(tally, done, Integer.MAX_VALUE));
            readers.add(done);
        }
        writers.forEach(Fiber::join);
        ch.close();
        readers.forEach(f -> f.orTimeout(2, TimeUnit.MINUTES).join());
        tally.assertExactlyOnce(total);
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1", "CAPACITY_1000", "UNBOUNDED"})
    void randomCancellationLosesAndDuplicatesNothing(ChannelKind kind) {
        // Each round checks exactly-once delivery; rounds repeat until the chaos thread got to
        // cancel something (on a loaded machine a short round may finish before it runs).
        long cancels = 0;
        for (int round = 0; round < 20 && cancels == 0; round++) {
            cancels = cancellationRound(kind, totalFor(kind) / 4);
        }
        assertThat(cancels).as("cancellations happened").isPositive();
    }

    private long cancellationRound(ChannelKind kind, int total) {
        Tally tally = new Tally(total);
        Channel<Integer> ch = Channel.<Integer>builder().capacity(kind.capacity).onDrop(tally::add).build();
        AtomicLong cancels = new AtomicLong();
        List<Thread> victims = new ArrayList<>();
        List<Fiber<Void>> writers = startWriters(ch, total, cancels);
        writers.forEach(w -> victims.add(w.thread()));
        List<Fiber<Void>> readers = new ArrayList<>();
        for (int r = 0; r < BLOCKING_READERS; r++) {
            Fiber<Void> reader = Fiber.start("reader-" + r, () -> {
                for (;;) {
                    try {
                        tally.add(ch.read());
                    } catch (CancellationException e) {
                        Thread.interrupted(); // cancelled while reading: nothing taken, read again
                        cancels.incrementAndGet();
                    } catch (ChannelClosedException e) {
                        return;
                    }
                }
            });
            readers.add(reader);
            victims.add(reader.thread());
        }
        // Flux readers that cancel after a random number of values and subscribe again
        List<Fiber<Void>> fluxReaders = new ArrayList<>();
        for (int r = 0; r < FLUX_READERS; r++) {
            fluxReaders.add(Fiber.start("flux-reader-" + r, () -> {
                for (;;) {
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    BatchSubscriber s = new BatchSubscriber(tally, done, 1 + ThreadLocalRandom.current().nextInt(2000));
                    ch.asFlux().subscribe(s);
                    done.join();
                    if (s.completed) {
                        return;
                    }
                }
            }));
        }
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread chaos = Thread.ofPlatform().name("chaos").start(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (writing.get()) {
                Thread victim = victims.get(rnd.nextInt(victims.size()));
                if (victim != null) {
                    victim.interrupt();
                }
                LockSupport.parkNanos(rnd.nextInt(20_000));
            }
        });
        writers.forEach(Fiber::join);
        writing.set(false);
        joinThread(chaos);
        ch.close();
        readers.forEach(Fiber::join);
        fluxReaders.forEach(Fiber::join);
        tally.assertExactlyOnce(total);
        return cancels.get();
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1", "CAPACITY_1000", "UNBOUNDED"})
    void closeRaceDeliversExactlyTheAcceptedWrites(ChannelKind kind) {
        int rounds = TestSupport.scaled(50);
        for (int round = 0; round < rounds; round++) {
            int total = 20_000;
            Tally received = new Tally(total);
            AtomicIntegerArray accepted = new AtomicIntegerArray(total);
            Channel<Integer> ch = kind.create();
            List<Fiber<Void>> writers = startWritersUntilRefused(ch, total, accepted, (c, w, v) -> c.write(v));
            List<CompletableFuture<Void>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(startReader(ch, received, r));
                CompletableFuture<Void> done = new CompletableFuture<>();
                ch.asFlux().subscribe(new BatchSubscriber(received, done, Integer.MAX_VALUE));
                readers.add(done);
            }
            int closeAfter = ThreadLocalRandom.current().nextInt(total);
            TestSupport.awaitCondition("writes before the close", java.time.Duration.ofSeconds(30),
                    () -> received.count() >= closeAfter || writers.stream().noneMatch(Fiber::isAlive));
            ch.close();
            writers.forEach(Fiber::join);
            readers.forEach(f -> f.orTimeout(1, TimeUnit.MINUTES).join());
            for (int v = 0; v < total; v++) {
                assertThat(received.timesSeen(v)).as("value %d received as often as accepted, round %d", v, round)
                        .isEqualTo(accepted.get(v));
            }
        }
    }

    /** One write of a close-race writer: {@code writer} is its index, {@code value} the value. */
    private interface WriteOne {
        void write(Channel<Integer> ch, int writer, int value);
    }

    /**
     * Starts {@link #WRITERS} fibers that write {@code total} distinct values between them until
     * the channel refuses one, counting each accepted value in {@code accepted}.
     */
    private static List<Fiber<Void>> startWritersUntilRefused(Channel<Integer> ch, int total,
            AtomicIntegerArray accepted, WriteOne op) {
        List<Fiber<Void>> writers = new ArrayList<>();
        int perWriter = total / WRITERS;
        for (int w = 0; w < WRITERS; w++) {
            int base = w * perWriter;
            int writer = w;
            writers.add(Fiber.start("writer-" + w, () -> {
                try {
                    for (int i = 0; i < perWriter; i++) {
                        op.write(ch, writer, base + i);
                        accepted.incrementAndGet(base + i);
                    }
                } catch (ChannelClosedException refused) {
                    // the refused value was neither enqueued nor dropped
                }
            }));
        }
        return writers;
    }

    /** A fiber that iterates the channel into the tally until it is closed and drained. */
    private static CompletableFuture<Void> startReader(Channel<Integer> ch, Tally tally, int r) {
        return Fiber.start("reader-" + r, () -> {
            for (int v : ch) {
                tally.add(v);
            }
        }).asMono().toFuture();
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"DROP_OLDEST", "DROP_LATEST"})
    void droppingChannelsReadOrDropEveryAcceptedValueOnceThroughCloseRaces(ChannelKind kind) {
        int rounds = TestSupport.scaled(30);
        for (int round = 0; round < rounds; round++) {
            int total = 20_000;
            Tally seen = new Tally(total);
            AtomicIntegerArray accepted = new AtomicIntegerArray(total);
            java.util.concurrent.ConcurrentLinkedQueue<Integer> dropped = new java.util.concurrent.ConcurrentLinkedQueue<>();
            Channel<Integer> ch = kind.create(dropped);
            // Half the writers write, half tryWrite: neither ever waits on a dropping channel.
            List<Fiber<Void>> writers = startWritersUntilRefused(ch, total, accepted, (c, w, v) -> {
                if (w % 2 == 0) {
                    c.write(v);
                } else {
                    assertThat(c.tryWrite(v)).as("a dropping channel's tryWrite").isTrue();
                }
            });
            List<CompletableFuture<Void>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(startReader(ch, seen, r));
            }
            int closeAfter = ThreadLocalRandom.current().nextInt(total);
            TestSupport.awaitCondition("writes before the close", java.time.Duration.ofSeconds(30),
                    () -> seen.count() + dropped.size() >= closeAfter || writers.stream().noneMatch(Fiber::isAlive));
            ch.close();
            writers.forEach(Fiber::join);
            readers.forEach(f -> f.orTimeout(1, TimeUnit.MINUTES).join());
            dropped.forEach(seen::add);
            for (int v = 0; v < total; v++) {
                assertThat(seen.timesSeen(v)).as("value %d read or dropped as often as accepted, round %d", v, round)
                        .isEqualTo(accepted.get(v));
            }
            assertThat(ch.size()).as("size of a closed, drained channel").isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1000"})
    void subscribeRacingCloseAlwaysTerminates(ChannelKind kind) throws Exception {
        int rounds = TestSupport.scaled(20_000);
        for (int r = 0; r < rounds; r++) {
            Channel<Integer> ch = kind.create();
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            Thread closer = Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                ch.close();
            });
            start.await();
            List<Integer> got = ch.asFlux().collectList().toFuture().get(10, TimeUnit.SECONDS);
            assertThat(got).as("round %d", r).isEmpty();
            closer.join();
        }
    }

    private static List<Fiber<Void>> startWriters(Channel<Integer> ch, int total, AtomicLong cancelsOrNull) {
        List<Fiber<Void>> writers = new ArrayList<>();
        int perWriter = total / WRITERS;
        for (int w = 0; w < WRITERS; w++) {
            int base = w * perWriter;
            int count = w == WRITERS - 1 ? total - base : perWriter;
            writers.add(Fiber.start("writer-" + w, () -> {
                for (int i = 0; i < count; i++) {
                    for (;;) {
                        try {
                            ch.write(base + i);
                            break;
                        } catch (CancellationException e) {
                            if (cancelsOrNull == null) {
                                throw e;
                            }
                            Thread.interrupted(); // not enqueued: write the same value again
                            cancelsOrNull.incrementAndGet();
                        }
                    }
                }
            }));
        }
        return writers;
    }

    /**
     * Two writers racing into a fresh channel (the queue's first segment is installed by one of
     * them) while two readers wait: every reader gets a value. A reader woken for a value it could
     * not yet see, with the other writer's wake-up spent, would wait forever.
     */
    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1000", "UNBOUNDED"})
    void writersRacingIntoAFreshChannelStrandNoReader(ChannelKind kind) throws Exception {
        int rounds = TestSupport.scaled(1_000);
        for (int round = 0; round < rounds; round++) {
            Channel<Integer> ch = kind.create();
            CyclicBarrier start = new CyclicBarrier(4);
            List<Thread> threads = new ArrayList<>();
            AtomicInteger received = new AtomicInteger();
            for (int r = 0; r < 2; r++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    await(start);
                    if (ch.read(Duration.ofSeconds(10)).isPresent()) {
                        received.incrementAndGet();
                    }
                }));
            }
            for (int w = 0; w < 2; w++) {
                int value = w;
                threads.add(Thread.ofPlatform().start(() -> {
                    await(start);
                    ch.write(value);
                }));
            }
            threads.forEach(ChannelStressTest::joinThread);
            assertThat(received.get()).as("round %d: both readers got a value", round).isEqualTo(2);
        }
    }

    /** A rendezvous tryWrite racing close either hands its value to the waiting reader or throws: never false. */
    @Test
    void rendezvousTryWriteRacingCloseNeverReturnsFalse() throws Exception {
        int rounds = TestSupport.scaled(1_000);
        for (int round = 0; round < rounds; round++) {
            Channel<Integer> ch = Channel.create(0);
            Fiber<Void> reader = Fiber.start("reader", () -> {
                try {
                    ch.read();
                } catch (ChannelClosedException expected) {
                    // the close won
                }
            });
            TestSupport.awaitBlocked(reader);
            CyclicBarrier start = new CyclicBarrier(2);
            Thread closer = Thread.ofPlatform().start(() -> {
                await(start);
                ch.close();
            });
            await(start);
            Throwable thrown = null;
            boolean written = false;
            try {
                written = ch.tryWrite(round);
            } catch (ChannelClosedException e) {
                thrown = e;
            }
            joinThread(closer);
            reader.join();
            assertThat(written || thrown != null).as("round %d: tryWrite on a channel with a waiting reader "
                    + "returned false while it was closed", round).isTrue();
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void joinThread(Thread t) {
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Per-value receive counts plus a running count and sum. */
    static final class Tally {
        private final AtomicIntegerArray seen;
        private final AtomicLong count = new AtomicLong();
        private final AtomicLong sum = new AtomicLong();

        Tally(int n) {
            seen = new AtomicIntegerArray(n);
        }

        void add(int v) {
            seen.incrementAndGet(v);
            count.incrementAndGet();
            sum.addAndGet(v);
        }

        long count() {
            return count.get();
        }

        int timesSeen(int v) {
            return seen.get(v);
        }

        void assertExactlyOnce(int total) {
            assertThat(count.get()).as("count").isEqualTo(total);
            assertThat(sum.get()).as("checksum").isEqualTo((long) total * (total - 1) / 2);
            for (int v = 0; v < total; v++) {
                if (seen.get(v) != 1) {
                    throw new AssertionError("value " + v + " seen " + seen.get(v) + " times");
                }
            }
        }
    }

    /** Requests in batches; cancels after {@code limit} values. */
    static final class BatchSubscriber extends BaseSubscriber<Integer> {
        private final Tally tally;
        private final CompletableFuture<Void> done;
        private final int limit;
        private int received;
        private int sinceRequest;
        volatile boolean completed;

        BatchSubscriber(Tally tally, CompletableFuture<Void> done, int limit) {
            this.tally = tally;
            this.done = done;
            this.limit = limit;
        }

        @Override
        protected void hookOnSubscribe(Subscription s) {
            s.request(64);
        }

        @Override
        protected void hookOnNext(Integer v) {
            tally.add(v);
            if (++received >= limit) {
                cancel();
                done.complete(null);
                return;
            }
            if (++sinceRequest == 32) {
                sinceRequest = 0;
                request(32);
            }
        }

        @Override
        protected void hookOnComplete() {
            completed = true;
            done.complete(null);
        }

        @Override
        protected void hookOnError(Throwable t) {
            done.completeExceptionally(t);
        }
    }
}
