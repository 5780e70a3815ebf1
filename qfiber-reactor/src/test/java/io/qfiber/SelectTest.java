package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

/** Select's contract: one clause fires, the others take and put nothing; closes, failures, cancels, fairness. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SelectTest {


    private static Select<String> readBoth(Channel<String> a, Channel<String> b) {
        return Select.<String>create().onRead(a, v -> "a:" + v).onRead(b, v -> "b:" + v);
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"CAPACITY_1", "CAPACITY_1000", "UNBOUNDED"})
    void withBothReadyExactlyOneValueIsTaken(ChannelKind kind) {
        Channel<String> a = kind.create();
        Channel<String> b = kind.create();
        a.write("1");
        b.write("2");
        String got = readBoth(a, b).select();
        assertThat(got).isIn("a:1", "b:2");
        assertThat(a.size() + b.size()).as("values left").isEqualTo(1);
        assertThat(got.startsWith("a") ? b.tryRead() : a.tryRead()).as("the other value is still there").isPresent();
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1", "CAPACITY_1000", "UNBOUNDED"})
    void blocksUntilAClauseCanFire(ChannelKind kind) {
        Channel<String> a = kind.create();
        Channel<String> b = kind.create();
        Fiber<String> selector = Fiber.start("selector", () -> readBoth(a, b).select());
        TestSupport.awaitBlocked(selector);
        assertThat(selector.isAlive()).isTrue();
        Fiber<Void> writer = Fiber.start("writer", () -> b.write("x"));
        assertThat(selector.join()).isEqualTo("b:x");
        writer.join();
        assertThat(a.tryRead()).isEmpty();
        assertThat(b.tryRead()).isEmpty();
    }

    @Test
    void aRendezvousWriteFiresOnlyWhenAReaderTookTheValue() {
        Channel<String> rendezvous = Channel.create(0);
        Channel<String> other = Channel.create();
        CountDownLatch handlerRan = new CountDownLatch(1);
        Fiber<String> selector = Fiber.start("selector", () -> Select.<String>create()
                .onWrite(rendezvous, "v", () -> {
                    handlerRan.countDown();
                    return "written";
                })
                .onRead(other, v -> "read " + v)
                .select());
        TestSupport.awaitBlocked(selector);
        assertThat(handlerRan.getCount()).as("no reader yet: not fired").isEqualTo(1);
        assertThat(rendezvous.read()).isEqualTo("v");
        assertThat(selector.join()).isEqualTo("written");
        assertThat(other.size()).isZero();
    }

    @Test
    void aRendezvousWriteThatLostPutsNothing() {
        Channel<String> rendezvous = Channel.create(0);
        Channel<String> other = Channel.create();
        Fiber<String> selector = Fiber.start("selector", () -> Select.<String>create()
                .onWrite(rendezvous, "never", () -> "written")
                .onRead(other, v -> "read " + v)
                .select());
        TestSupport.awaitBlocked(selector);
        other.write("x");
        assertThat(selector.join()).isEqualTo("read x");
        assertThat(rendezvous.tryRead()).as("the losing write left nothing behind").isEmpty();
        Fiber<Optional<String>> reader = Fiber.start("reader", () -> rendezvous.read(Duration.ofMillis(50)));
        assertThat(reader.join()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"CAPACITY_1", "CAPACITY_1000"})
    void aWriteToAFullChannelWaitsForRoom(ChannelKind kind) {
        Channel<Integer> ch = kind.create();
        for (int i = 0; i < kind.capacity; i++) {
            ch.write(i);
        }
        Fiber<String> selector = Fiber.start("selector", () -> Select.<String>create()
                .onWrite(ch, -1, () -> "written").select());
        TestSupport.awaitBlocked(selector);
        assertThat(ch.size()).isEqualTo(kind.capacity);
        assertThat(ch.read()).isZero();
        assertThat(selector.join()).isEqualTo("written");
        List<Integer> rest = new ArrayList<>();
        ch.close();
        ch.forEach(rest::add);
        assertThat(rest).hasSize(kind.capacity).endsWith(-1);
    }

    @Test
    void dropPoliciesCountAsWritten() {
        List<Integer> dropped = new java.util.concurrent.CopyOnWriteArrayList<>();
        Channel<Integer> ch = Channel.<Integer>builder().capacity(1).overflow(Overflow.DROP_LATEST).onDrop(dropped::add).build();
        ch.write(1);
        assertThat(Select.<String>create().onWrite(ch, 2, () -> "w").select()).isEqualTo("w");
        assertThat(dropped).containsExactly(2);
    }

    @Test
    void aTimeoutFiresOnlyWhenNothingIsReady() {
        Channel<String> a = Channel.create();
        long start = System.nanoTime();
        String got = Select.<String>create().onRead(a, v -> v).onTimeout(Duration.ofMillis(50), () -> "timeout").select();
        assertThat(got).isEqualTo("timeout");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(50).toNanos());
        a.write("ready");
        assertThat(Select.<String>create().onRead(a, v -> v).onTimeout(Duration.ZERO, () -> "timeout").select())
                .as("a ready clause beats an expired timeout").isEqualTo("ready");
        assertThat(Select.<String>create().onTimeout(Duration.ZERO, () -> "alone").select()).isEqualTo("alone");
    }

    @Test
    void onJoinFiresWithTheValueOrThrowsAsJoinWould() {
        Channel<String> go = Channel.create(0);
        Channel<String> never = Channel.create();
        Fiber<Integer> worker = Fiber.start("worker", () -> go.read().length());
        Fiber<String> selector = Fiber.start("selector", () -> Select.<String>create()
                .onRead(never, v -> v).onJoin(worker, n -> "joined " + n).select());
        TestSupport.awaitBlocked(selector);
        go.write("four");
        assertThat(selector.join()).isEqualTo("joined 4");

        IOException boom = new IOException("boom");
        Fiber<Object> failing = Fiber.start("failing", () -> {
            throw boom;
        });
        assertThatThrownBy(() -> Select.<String>create().onJoin(failing, v -> "x").select())
                .isInstanceOf(CompletionException.class).hasCause(boom);

        Fiber<String> blocked = Fiber.start("blocked", () -> never.read());
        TestSupport.awaitBlocked(blocked);
        Fiber<String> joiner = Fiber.start("joiner", () -> {
            try {
                return Select.<String>create().onJoin(blocked, v -> "x").select();
            } catch (CancellationException e) {
                return "threw CancellationException, interrupted: " + Thread.currentThread().isInterrupted();
            }
        });
        TestSupport.awaitBlocked(joiner);
        blocked.cancel();
        assertThat(joiner.join()).isEqualTo("threw CancellationException, interrupted: false");
    }

    @Test
    void onJoinInALoopDoesNotPileUpWaiters() {
        Channel<Integer> ticks = Channel.create();
        Channel<String> stop = Channel.create();
        Fiber<String> worker = Fiber.start("worker", () -> stop.read());
        Fiber<Integer> loop = Fiber.start("loop", () -> {
            int n = 0;
            for (;;) {
                Integer r = Select.<Integer>create().onRead(ticks, v -> v).onJoin(worker, v -> -1).select();
                if (r < 0) {
                    return n;
                }
                n++;
            }
        });
        for (int i = 0; i < 10_000; i++) {
            ticks.write(i);
        }
        TestSupport.awaitCondition("ticks consumed", () -> ticks.size() == 0);
        stop.write("stop");
        assertThat(loop.join()).isEqualTo(10_000);
    }

    @Test
    void onAwaitFiresWithTheValueAndCancelsWhenAnotherClauseWins() {
        assertThat(Select.<String>create().onAwait(Mono.just("m"), v -> "got " + v).select()).isEqualTo("got m");
        assertThat(Select.<String>create().onAwait(Mono.empty(), v -> "got " + v).select()).isEqualTo("got null");
        assertThatThrownBy(() -> Select.<String>create().onAwait(Mono.error(new IllegalArgumentException("bad")), v -> "x").select())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bad");
        assertThatThrownBy(() -> Select.<String>create().onAwait(Mono.error(new IOException("io")), v -> "x").select())
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(IOException.class);

        Channel<String> ch = Channel.create();
        CountDownLatch cancelled = new CountDownLatch(1);
        Mono<String> slow = Mono.<String>never().doOnCancel(cancelled::countDown);
        Fiber<String> selector = Fiber.start("selector", () -> Select.<String>create()
                .onAwait(slow, v -> "mono").onRead(ch, v -> "channel " + v).select());
        TestSupport.awaitBlocked(selector);
        ch.write("x");
        assertThat(selector.join()).isEqualTo("channel x");
        assertThat(cancelled.getCount()).as("subscription cancelled").isZero();

        Mono<String> later = Mono.delay(Duration.ofMillis(20)).map(t -> "late");
        assertThat(Select.<String>create().onAwait(later, v -> v).onRead(ch, v -> "ch").select()).isEqualTo("late");
    }

    @Test
    void onAwaitSubscribesWithTheFibersContext() {
        Mono<String> tenant = Mono.deferContextual(ctx -> Mono.just(ctx.getOrDefault("tenant", "none")));
        Mono<String> m = Fiber.mono(() -> Select.<String>create().onAwait(tenant, v -> v).select())
                .contextWrite(Context.of("tenant", "acme"));
        assertThat(m.block(Duration.ofSeconds(10))).isEqualTo("acme");
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1", "CAPACITY_1000"})
    void closedChannelsFireByThrowing(ChannelKind kind) {
        Channel<String> open = kind.create();
        Channel<String> closed = kind.create();
        closed.close(new IOException("gone"));
        assertThatThrownBy(() -> Select.<String>create().onRead(open, v -> v).onRead(closed, v -> v).select())
                .isInstanceOf(ChannelClosedException.class).hasCauseInstanceOf(IOException.class)
                .hasMessageContaining(kind.name());
        assertThatThrownBy(() -> Select.<String>create().onRead(open, v -> v).onWrite(closed, "v", () -> "w").select())
                .isInstanceOf(ChannelClosedException.class);

        Fiber<String> selector = Fiber.start("selector", () -> Select.<String>create().onRead(open, v -> v).select());
        TestSupport.awaitBlocked(selector);
        open.close();
        assertThatThrownBy(selector::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(ChannelClosedException.class);
    }

    @Test
    void aClosedChannelStillGivesItsBufferedValues() {
        Channel<String> ch = Channel.create();
        ch.write("left");
        ch.close();
        assertThat(Select.<String>create().onRead(ch, v -> v).select()).isEqualTo("left");
        assertThatThrownBy(() -> Select.<String>create().onRead(ch, v -> v).select()).isInstanceOf(ChannelClosedException.class);
    }

    @ParameterizedTest
    @EnumSource(value = ChannelKind.class, names = {"RENDEZVOUS", "CAPACITY_1", "CAPACITY_1000"})
    void aCancelledSelectTakesAndPutsNothingAndKeepsTheInterrupt(ChannelKind kind) {
        Channel<String> in = kind.create();
        Channel<String> out = kind.create();
        for (int i = 0; i < kind.capacity; i++) {
            out.write("fill-" + i); // full, so the write clause blocks
        }
        AtomicBoolean interruptKept = new AtomicBoolean();
        Fiber<String> selector = Fiber.start("selector", () -> {
            try {
                return Select.<String>create().onRead(in, v -> v).onWrite(out, "mine", () -> "w").select();
            } catch (CancellationException e) {
                interruptKept.set(Thread.currentThread().isInterrupted());
                throw e;
            }
        });
        TestSupport.awaitBlocked(selector);
        selector.cancel();
        assertThatThrownBy(selector::join).isInstanceOf(CancellationException.class);
        assertThat(interruptKept).isTrue();
        List<String> left = new ArrayList<>();
        out.close();
        out.forEach(left::add);
        assertThat(left).as("nothing put").doesNotContain("mine").hasSize(kind.capacity);
        in.tryWrite("after"); // a rendezvous refuses: nobody waits, in particular not the cancelled select
        assertThat(in.size()).isEqualTo(kind.capacity == 0 ? 0 : 1);
    }

    @Test
    void readyClausesAreChosenFairly() {
        Channel<Integer> a = Channel.unbounded();
        Channel<Integer> b = Channel.unbounded();
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            a.write(i);
            b.write(i);
        }
        int fromA = 0;
        Select<Boolean> select = Select.<Boolean>create().onRead(a, v -> true).onRead(b, v -> false);
        for (int i = 0; i < n; i++) {
            if (select.select()) {
                fromA++;
            }
        }
        // a fair coin: 5,000 expected, standard deviation 50
        assertThat(fromA).isBetween(4_000, 6_000);
        assertThat(a.size() + b.size()).isEqualTo(n);
    }

    @Test
    void noReadyClauseStarvesUnderLoad() {
        int clauses = 4;
        List<Channel<Integer>> channels = new ArrayList<>();
        List<Fiber<Void>> writers = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        for (int c = 0; c < clauses; c++) {
            Channel<Integer> ch = Channel.create(16);
            channels.add(ch);
            writers.add(Fiber.start("writer-" + c, () -> {
                try {
                    while (!stop.get()) {
                        ch.write(1);
                    }
                } catch (ChannelClosedException end) {
                    // done
                }
            }));
        }
        int[] counts = new int[clauses];
        Select<Integer> select = Select.create();
        for (int c = 0; c < clauses; c++) {
            int index = c;
            select.onRead(channels.get(c), v -> index);
        }
        int total = 20_000;
        Fiber<Void> reader = Fiber.start("reader", () -> {
            for (int i = 0; i < total; i++) {
                // select only while every clause is ready, as the writers refill their channels
                while (channels.stream().anyMatch(ch -> ch.size() == 0)) {
                    Thread.yield();
                }
                counts[select.select()]++;
            }
        });
        reader.join();
        stop.set(true);
        channels.forEach(Channel::close);
        writers.forEach(Fiber::join);
        for (int c = 0; c < clauses; c++) {
            // 5,000 expected of each, standard deviation 61
            assertThat(counts[c]).as("clause %d of %d fired", c, clauses).isBetween(total / clauses - 2_000, total / clauses + 2_000);
        }
    }

    @Test
    void selectsMeetEachOtherOnARendezvousChannel() {
        Channel<Integer> ch = Channel.create(0);
        Channel<Integer> idle = Channel.create();
        Channel<Integer> nobodyReads = Channel.create(0);
        int n = TestSupport.scaled(5_000);
        Fiber<Long> reader = Fiber.start("reader", () -> {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Select.<Integer>create().onRead(ch, v -> v).onRead(idle, v -> 0).select();
            }
            return sum;
        });
        Fiber<Void> writer = Fiber.start("writer", () -> {
            for (int i = 1; i <= n; i++) {
                int v = i;
                Select.<Void>create().onWrite(ch, v, () -> null).onWrite(nobodyReads, v, () -> null).select();
            }
        });
        writer.join();
        assertThat(reader.join()).isEqualTo((long) n * (n + 1) / 2);
    }

    @Test
    void worksOnPlatformThreadsThreadedFibersAndTheirChildren() throws Exception {
        Channel<String> ch = Channel.create();
        AtomicReference<String> got = new AtomicReference<>();
        Thread platform = Thread.ofPlatform().start(() -> got.set(Select.<String>create().onRead(ch, v -> "p:" + v).select()));
        ch.write("1");
        platform.join(10_000);
        assertThat(got.get()).isEqualTo("p:1");

        Fiber<String> threaded = Fiber.builder().name("threaded").threaded().start(() -> {
            Channel<String> local = Channel.create(0);
            Fiber<String> child = Fiber.start("child", () -> Select.<String>create().onRead(local, v -> "child:" + v).select());
            String own = Select.<String>create().onWrite(local, "x", () -> "body wrote").select();
            return own + "/" + child.join();
        });
        assertThat(threaded.join()).isEqualTo("body wrote/child:x");
    }

    @Test
    void refusedOnNonBlockingThreads() {
        Channel<String> ch = Channel.create();
        ch.write("v");
        Mono<String> onParallel = Mono.fromCallable(() -> Select.<String>create().onRead(ch, v -> v).select())
                .subscribeOn(Schedulers.parallel());
        assertThatThrownBy(() -> onParallel.block(Duration.ofSeconds(10)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Select.select");
        assertThat(ch.size()).as("nothing taken").isEqualTo(1);
    }

    @Test
    void aSelectCanBeUsedAgain() {
        Channel<Integer> ch = Channel.create();
        Select<Integer> twice = Select.<Integer>create().onRead(ch, v -> v * 10).onTimeout(Duration.ofMillis(10), () -> -1);
        ch.write(1);
        ch.write(2);
        assertThat(twice.select()).isEqualTo(10);
        assertThat(twice.select()).isEqualTo(20);
        assertThat(twice.select()).isEqualTo(-1);
    }

    @Test
    void aFluxSubscriberAndASelectShareAChannelExactlyOnce() {
        Channel<Integer> ch = Channel.create(4);
        Channel<Integer> never = Channel.create();
        int n = TestSupport.scaled(20_000);
        AtomicInteger fluxCount = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong sum = new java.util.concurrent.atomic.AtomicLong();
        reactor.core.Disposable sub = ch.asFlux().limitRate(8).subscribe(v -> {
            fluxCount.incrementAndGet();
            sum.addAndGet(v);
        });
        Fiber<Integer> selector = Fiber.start("selector", () -> {
            int c = 0;
            try {
                for (;;) {
                    sum.addAndGet(Select.<Integer>create().onRead(ch, v -> v).onRead(never, v -> 0).select());
                    c++;
                }
            } catch (ChannelClosedException end) {
                return c;
            }
        });
        for (int i = 1; i <= n; i++) {
            ch.write(i);
        }
        ch.close();
        int bySelect = selector.join();
        TestSupport.awaitCondition("flux done", () -> fluxCount.get() + bySelect == n);
        sub.dispose();
        assertThat(sum.get()).isEqualTo((long) n * (n + 1) / 2);
    }

    @Test
    void badInputIsRefusedAtOnceNamingTheArgument() {
        Channel<String> ch = Channel.create();
        Select<String> s = Select.create();
        assertThatThrownBy(() -> s.onRead((Channel<String>) null, v -> v)).isInstanceOf(NullPointerException.class).hasMessage("channel");
        assertThatThrownBy(() -> s.onRead(ch, null)).isInstanceOf(NullPointerException.class).hasMessage("then");
        assertThatThrownBy(() -> s.onWrite(ch, null, () -> "x")).isInstanceOf(NullPointerException.class).hasMessage("value");
        assertThatThrownBy(() -> s.onTimeout(Duration.ofMillis(-1), () -> "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout must be >= 0");
        assertThatThrownBy(() -> s.onJoin(null, v -> "x")).isInstanceOf(NullPointerException.class).hasMessage("fiber");
        assertThatThrownBy(() -> s.onAwait(null, v -> "x")).isInstanceOf(NullPointerException.class).hasMessage("mono");
        assertThatThrownBy(() -> Select.<String>create().select()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no clauses");
        assertThatThrownBy(() -> Select.<String>create().onTimeout(Duration.ZERO, () -> "a").onTimeout(Duration.ZERO, () -> "b"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("onTimeout");
        Channel<String> rendezvous = Channel.create(0);
        assertThatThrownBy(() -> Select.<String>create().onRead(rendezvous, v -> v).onWrite(rendezvous, "x", () -> "w"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both read and write");
        assertThatThrownBy(() -> Select.<String>create().onRead(new ForeignChannel(), v -> v))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Channel's factories");
        Fiber<Void> detached = Fiber.builder().detached().start(() -> { });
        assertThatThrownBy(() -> Select.<String>create().onJoin(detached, v -> "x"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("detached");
        Fiber<Object> selfJoin = Fiber.start("self", () -> Select.create().onJoin(Fiber.current(), v -> v).select());
        assertThatThrownBy(selfJoin::join).hasCauseInstanceOf(IllegalStateException.class)
                .cause().hasMessageContaining("itself");
    }

    /** A Channel implementation the library did not create. */
    private static final class ForeignChannel implements Channel<String> {
        @Override public void write(String value) { }
        @Override public boolean tryWrite(String value) { return false; }
        @Override public boolean write(String value, Duration timeout) { return false; }
        @Override public void writeAll(Publisher<? extends String> source) { }
        @Override public String read() { return ""; }
        @Override public Optional<String> tryRead() { return Optional.empty(); }
        @Override public Optional<String> read(Duration timeout) { return Optional.empty(); }
        @Override public Iterator<String> iterator() { return List.<String>of().iterator(); }
        @Override public Stream<String> stream() { return Stream.empty(); }
        @Override public Flux<String> asFlux() { return Flux.empty(); }
        @Override public void close() { }
        @Override public void close(Throwable cause) { }
        @Override public boolean isClosed() { return false; }
        @Override public int size() { return 0; }
        @Override public int capacity() { return 0; }
        @Override public String name() { return "foreign"; }
    }
}
