package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The channel contract, run over every channel kind and every consumer kind. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChannelContractTest {

    static Stream<Arguments> everyChannelAndConsumer() {
        return Stream.of(ChannelKind.values())
                .flatMap(ch -> Stream.of(ConsumerKind.values()).map(c -> Arguments.of(ch, c)));
    }


    // ---- delivery ----

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("everyChannelAndConsumer")
    void deliversEveryValueOnceInWriterOrder(ChannelKind kind, ConsumerKind consumer) {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Channel<Integer> ch = kind.create(dropped);
        int writers = 4;
        int perWriter = 5_000;
        List<ConsumerKind.Drained<Integer>> consumers = List.of(consumer.drain(ch), consumer.drain(ch));
        List<Fiber<Void>> producers = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int base = w * perWriter;
            producers.add(Fiber.start("writer-" + w, () -> {
                for (int i = 0; i < perWriter; i++) {
                    ch.write(base + i);
                }
            }));
        }
        producers.forEach(Fiber::join);
        ch.close();

        List<Integer> all = new ArrayList<>();
        for (ConsumerKind.Drained<Integer> c : consumers) {
            ConsumerKind.Drained.Result<Integer> r = c.await();
            assertThat(r.closeCause()).isNull();
            assertFifoPerWriter(r.values(), perWriter);
            all.addAll(r.values());
        }
        all.addAll(dropped);
        assertThat(all).hasSize(writers * perWriter).doesNotHaveDuplicates();
        if (!kind.drops()) {
            assertThat(dropped).isEmpty();
        }
    }

    private static void assertFifoPerWriter(List<Integer> values, int perWriter) {
        Map<Integer, Integer> last = new HashMap<>();
        for (int v : values) {
            Integer prev = last.put(v / perWriter, v);
            if (prev != null) {
                assertThat(v).as("values of one writer arrive in order").isGreaterThan(prev);
            }
        }
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("everyChannelAndConsumer")
    void closeWithCauseReachesTheConsumerAfterTheBufferedValues(ChannelKind kind, ConsumerKind consumer) {
        Channel<String> ch = kind.create();
        IllegalStateException cause = new IllegalStateException("upstream broke");
        ConsumerKind.Drained<String> drained = consumer.drain(ch);
        ch.write("a");
        ch.close(cause);
        ConsumerKind.Drained.Result<String> r = drained.await();
        assertThat(r.values()).containsExactly("a");
        assertThat(r.closeCause()).isSameAs(cause);
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("everyChannelAndConsumer")
    void closeWakesAWaitingConsumer(ChannelKind kind, ConsumerKind consumer) {
        Channel<String> ch = kind.create();
        ConsumerKind.Drained<String> drained = consumer.drain(ch);
        ch.close();
        ConsumerKind.Drained.Result<String> r = drained.await();
        assertThat(r.values()).isEmpty();
        assertThat(r.closeCause()).isNull();
    }

    // ---- close ----

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void bufferedValuesStayReadableAfterClose(ChannelKind kind) {
        Channel<Integer> ch = kind.create();
        if (kind.capacity > 0) {
            ch.write(1);
        }
        if (kind.capacity > 1) {
            ch.write(2);
        }
        ch.close();
        assertThat(ch.isClosed()).isTrue();
        assertThatThrownBy(() -> ch.write(3)).isInstanceOf(ChannelClosedException.class).hasMessageContaining(kind.name());
        assertThatThrownBy(() -> ch.tryWrite(3)).isInstanceOf(ChannelClosedException.class);
        if (kind.capacity > 0) {
            assertThat(ch.read()).isEqualTo(1);
        }
        if (kind.capacity > 1) {
            assertThat(ch.tryRead()).contains(2);
        }
        assertThatThrownBy(ch::read).isInstanceOf(ChannelClosedException.class).hasNoCause();
        assertThatThrownBy(() -> ch.read(Duration.ofDays(1))).isInstanceOf(ChannelClosedException.class);
        assertThat(ch.tryRead()).isEmpty();
        ch.close(); // idempotent
        ch.close(new RuntimeException("late")); // the first close counts
        assertThatThrownBy(ch::read).hasNoCause();
    }

    @ParameterizedTest
    @MethodSource("blockingKinds")
    void closeWakesBlockedWritersWithoutEnqueueing(ChannelKind kind) throws Exception {
        Channel<Integer> ch = kind.create();
        for (int i = 0; i < kind.capacity; i++) {
            ch.write(i);
        }
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Fiber<Void> writer = Fiber.start("blocked-writer", () -> {
            try {
                ch.write(-1);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        TestSupport.awaitBlocked(writer);
        ch.close();
        writer.join();
        assertThat(thrown.get()).isInstanceOf(ChannelClosedException.class);
        List<Integer> rest = new ArrayList<>();
        ch.forEach(rest::add);
        assertThat(rest).doesNotContain(-1).hasSize(kind.capacity);
    }

    static List<ChannelKind> blockingKinds() {
        return ChannelKind.blocking();
    }

    // ---- cancellation ----

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void cancelledReaderTakesNothing(ChannelKind kind) {
        Channel<String> ch = kind.create();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> interruptKept = new AtomicReference<>();
        Fiber<Void> reader = Fiber.start("reader", () -> {
            try {
                ch.read();
            } catch (Throwable t) {
                thrown.set(t);
                interruptKept.set(Thread.currentThread().isInterrupted());
            }
        });
        TestSupport.awaitBlocked(reader);
        reader.cancel();
        reader.join();
        assertThat(thrown.get()).isInstanceOf(CancellationException.class);
        assertThat(interruptKept.get()).isTrue();

        Fiber<String> next = Fiber.start("next-reader", () -> ch.read());
        ch.write("kept");
        assertThat(next.join()).isEqualTo("kept");
    }

    @ParameterizedTest
    @MethodSource("blockingKinds")
    void cancelledWriterEnqueuesNothing(ChannelKind kind) {
        Channel<Integer> ch = kind.create();
        for (int i = 0; i < kind.capacity; i++) {
            ch.write(i);
        }
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Fiber<Void> writer = Fiber.start("writer", () -> {
            try {
                ch.write(-1);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        TestSupport.awaitBlocked(writer);
        writer.cancel();
        writer.join();
        assertThat(thrown.get()).isInstanceOf(CancellationException.class);
        ch.close();
        List<Integer> rest = new ArrayList<>();
        ch.forEach(rest::add);
        assertThat(rest).doesNotContain(-1).hasSize(kind.capacity);
    }

    @Test
    void interruptedThreadIsRefusedBeforeTakingAnything() {
        Channel<String> ch = Channel.create();
        ch.write("x");
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(ch::read).isInstanceOf(CancellationException.class);
            assertThatThrownBy(() -> ch.write("y")).isInstanceOf(CancellationException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(ch.size()).isEqualTo(1);
        assertThat(ch.read()).isEqualTo("x");
    }

    // ---- rendezvous ----

    @Test
    void rendezvousWriteReturnsOnlyAfterAReaderTookTheValue() {
        Channel<String> ch = Channel.create(0);
        assertThat(ch.tryWrite("nobody waits")).isFalse();
        assertThat(ch.write("nobody comes", Duration.ofMillis(20))).isFalse();
        assertThat(ch.tryRead()).as("a timed-out write leaves nothing behind").isEmpty();

        java.util.concurrent.atomic.AtomicBoolean writeReturned = new java.util.concurrent.atomic.AtomicBoolean();
        Fiber<Void> writer = Fiber.start("writer", () -> {
            ch.write("hello");
            writeReturned.set(true);
        });
        TestSupport.awaitBlocked(writer);
        assertThat(writeReturned).as("write waits for a reader").isFalse();
        assertThat(ch.read()).isEqualTo("hello");
        writer.join();
        assertThat(writeReturned).isTrue();
    }

    @Test
    void rendezvousTryWriteSucceedsWhenAReaderWaits() {
        Channel<String> ch = Channel.create(0);
        Fiber<String> reader = Fiber.start("reader", () -> ch.read());
        TestSupport.awaitBlocked(reader);
        TestSupport.awaitCondition("tryWrite to the waiting reader", Duration.ofSeconds(10), () -> ch.tryWrite("direct"));
        assertThat(reader.join()).isEqualTo("direct");
    }

    // ---- timeouts ----

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void timedReadGivesUpEmpty(ChannelKind kind) {
        Channel<String> ch = kind.create();
        assertThat(ch.read(Duration.ofMillis(10))).isEmpty();
        assertThat(ch.read(Duration.ZERO)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("blockingKinds")
    void timedWriteGivesUpWhenFull(ChannelKind kind) {
        Channel<Integer> ch = kind.create();
        for (int i = 0; i < kind.capacity; i++) {
            assertThat(ch.write(i, Duration.ZERO)).isTrue();
        }
        assertThat(ch.write(-1, Duration.ofMillis(10))).isFalse();
        assertThat(ch.tryWrite(-1)).isFalse();
        assertThat(ch.size()).isEqualTo(kind.capacity);
    }

    // ---- overflow ----

    @Test
    void dropOldestPassesTheOldestValuesToOnDrop() {
        List<Integer> dropped = new ArrayList<>();
        Channel<Integer> ch = Channel.<Integer>builder().capacity(2).overflow(Overflow.DROP_OLDEST).onDrop(dropped::add).build();
        for (int i = 1; i <= 5; i++) {
            assertThat(ch.tryWrite(i)).isTrue();
        }
        assertThat(dropped).containsExactly(1, 2, 3);
        assertThat(ch.read()).isEqualTo(4);
        assertThat(ch.read()).isEqualTo(5);
    }

    @Test
    void dropLatestPassesTheNewValuesToOnDrop() {
        List<Integer> dropped = new ArrayList<>();
        Channel<Integer> ch = Channel.<Integer>builder().capacity(2).overflow(Overflow.DROP_LATEST).onDrop(dropped::add).build();
        for (int i = 1; i <= 5; i++) {
            ch.write(i);
        }
        assertThat(dropped).containsExactly(3, 4, 5);
        assertThat(ch.read()).isEqualTo(1);
        assertThat(ch.read()).isEqualTo(2);
    }

    @Test
    void aThrowingOnDropDoesNotBreakTheWriter() {
        Channel<Integer> ch = Channel.<Integer>builder().capacity(1).overflow(Overflow.DROP_LATEST)
                .onDrop(v -> { throw new IllegalStateException("consumer bug"); }).build();
        ch.write(1);
        ch.write(2);
        assertThat(ch.read()).isEqualTo(1);
    }

    // ---- bad input ----

    @Test
    void badArgumentsFailAtOnceNamingThemselves() {
        assertThatThrownBy(() -> Channel.create(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity must be >= 0, was -1");
        assertThatThrownBy(() -> Channel.builder().capacity(0).overflow(Overflow.DROP_OLDEST).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity");
        Channel<String> ch = Channel.create();
        assertThatThrownBy(() -> ch.write(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("value");
        assertThatThrownBy(() -> ch.tryWrite(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ch.write(null, Duration.ZERO)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ch.write("x", Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> ch.read(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> ch.close(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("cause");
        assertThatThrownBy(() -> Channel.builder().name(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Channel.builder().overflow(null)).isInstanceOf(NullPointerException.class);
        assertThat(ch.isClosed()).isFalse();
    }

    @Test
    void describesItself() {
        Channel<String> ch = Channel.<String>builder().name("jobs").capacity(4).build();
        ch.write("a");
        assertThat(ch.name()).isEqualTo("jobs");
        assertThat(ch.capacity()).isEqualTo(4);
        assertThat(ch.size()).isEqualTo(1);
        assertThat(Channel.create().capacity()).isEqualTo(1000);
        assertThat(Channel.unbounded().capacity()).isEqualTo(Channel.UNBOUNDED);
        assertThat(Channel.create(0).capacity()).isZero();
        assertThat(Channel.create().name()).isEqualTo("channel");
    }

    // ---- non-blocking threads ----

    @ParameterizedTest
    @EnumSource(ChannelKind.class)
    void blockingCallsAreRefusedOnNonBlockingThreads(ChannelKind kind) {
        Channel<String> ch = kind.create();
        if (kind.capacity > 0) {
            ch.write("ready"); // read would not block, and is still refused
        }
        List<Throwable> errors = Mono.fromCallable(() -> {
            List<Throwable> caught = new ArrayList<>();
            for (Runnable call : List.<Runnable>of(ch::read, () -> ch.write("x"), () -> ch.read(Duration.ZERO),
                    () -> ch.write("x", Duration.ZERO), () -> ch.iterator().hasNext(),
                    () -> ch.writeAll(Flux.just("x")))) {
                try {
                    call.run();
                } catch (Throwable t) {
                    caught.add(t);
                }
            }
            // the non-blocking forms work here
            ch.tryRead();
            if (kind.capacity > 0) {
                ch.tryWrite("fine");
            }
            return caught;
        }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        assertThat(errors).hasSize(6).allSatisfy(e -> assertThat(e)
                .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("non-blocking"));
    }

    // ---- iteration ----

    @Test
    void iterationEndsOnCloseAndRethrowsACloseCause() {
        Channel<Integer> ch = Channel.create();
        ch.write(1);
        ch.write(2);
        ch.close();
        assertThat(ch.stream().toList()).containsExactly(1, 2);

        Channel<Integer> failed = Channel.create();
        failed.write(1);
        RuntimeException cause = new RuntimeException("boom");
        failed.close(cause);
        var it = failed.iterator();
        assertThat(it.hasNext()).isTrue();
        assertThat(it.next()).isEqualTo(1);
        assertThatThrownBy(it::hasNext).isInstanceOf(ChannelClosedException.class).hasCause(cause);
    }

    // ---- Flux face ----

    @Test
    void asFluxTakesValuesOnlyAgainstDemand() {
        Channel<Integer> ch = Channel.create();
        ch.write(1);
        ch.write(2);
        ch.write(3);
        StepVerifier.create(ch.asFlux(), 0)
                .expectSubscription()
                .then(() -> assertThat(ch.size()).as("nothing taken without demand").isEqualTo(3))
                .thenRequest(1)
                .expectNext(1)
                .then(() -> assertThat(ch.tryRead()).as("an unrequested value stays for others").contains(2))
                .thenRequest(1)
                .expectNext(3)
                .then(() -> ch.write(4))
                .then(() -> assertThat(ch.size()).isEqualTo(1))
                .thenCancel()
                .verify(Duration.ofSeconds(10));
        assertThat(ch.read()).as("a cancelled subscriber loses nothing it did not receive").isEqualTo(4);
    }

    @Test
    void asFluxWaitsForValuesAndCompletesOnClose() {
        Channel<Integer> ch = Channel.create(0);
        StepVerifier.create(ch.asFlux())
                .then(() -> Fiber.start("w", () -> {
                    ch.write(1);
                    ch.write(2);
                    ch.close();
                }))
                .expectNext(1, 2)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void asFluxErrorsWithTheCloseCause() {
        Channel<Integer> ch = Channel.unbounded();
        ch.write(7);
        IllegalArgumentException cause = new IllegalArgumentException("bad input upstream");
        ch.close(cause);
        StepVerifier.create(ch.asFlux()).expectNext(7).expectErrorSatisfies(e -> assertThat(e).isSameAs(cause))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void asFluxTerminatesWithoutDemandWhenTheChannelClosesLater() {
        Channel<Integer> ch = Channel.create();
        IllegalStateException cause = new IllegalStateException("closed later");
        StepVerifier.create(ch.asFlux(), 0)
                .expectSubscription()
                .then(() -> ch.close(cause))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(cause))
                .verify(Duration.ofSeconds(10));
        Channel<Integer> plain = Channel.create(0);
        StepVerifier.create(plain.asFlux(), 0)
                .expectSubscription()
                .then(plain::close)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void competingSubscribersShareTheValues() {
        Channel<Integer> ch = Channel.create();
        int n = 10_000;
        CompletableFuture<List<Integer>> a = ch.asFlux().collectList().toFuture();
        CompletableFuture<List<Integer>> b = ch.asFlux().collectList().toFuture();
        for (int i = 0; i < n; i++) {
            ch.write(i);
        }
        ch.close();
        List<Integer> all = new ArrayList<>(a.orTimeout(10, TimeUnit.SECONDS).join());
        all.addAll(b.orTimeout(10, TimeUnit.SECONDS).join());
        assertThat(all).hasSize(n).doesNotHaveDuplicates();
    }

    // ---- publishers in ----

    @Test
    void fromFillsWithBackpressureAndClosesWithTheSource() {
        int n = 5_000;
        Channel<Integer> ch = Channel.from(Flux.range(0, n));
        List<Integer> got = ch.stream().toList();
        assertThat(got).hasSize(n).isSorted();

        RuntimeException cause = new RuntimeException("source failed");
        Channel<Integer> failing = Channel.from(Flux.concat(Flux.just(1), Flux.error(cause)));
        assertThat(failing.read()).isEqualTo(1);
        assertThatThrownBy(failing::read).isInstanceOf(ChannelClosedException.class).hasCause(cause);
    }

    @Test
    void fromRequestsOnlyWhatTheChannelCanHold() {
        AtomicReference<Long> requested = new AtomicReference<>(0L);
        Channel<Long> ch = Channel.from(Flux.interval(Duration.ofMillis(1)).onBackpressureError()
                .doOnRequest(n -> requested.accumulateAndGet(n, (x, y) -> x + y > 0 ? x + y : Long.MAX_VALUE)));
        // never read: the source must not be asked for more than capacity plus one batch
        TestSupport.awaitCondition("the channel to fill", Duration.ofSeconds(10), () -> ch.size() == ch.capacity());
        assertThat(requested.get()).isLessThanOrEqualTo(ch.capacity() + 64 + 32);
        ch.close();
        assertThat(ch.read()).isZero();
    }

    @Test
    void fromCancelsTheSourceWhenAConsumerClosesTheChannel() {
        CountDownLatch cancelled = new CountDownLatch(1);
        Channel<Long> ch = Channel.from(Flux.interval(Duration.ofMillis(1)).doOnCancel(cancelled::countDown));
        assertThat(ch.read()).isZero();
        ch.close();
        TestSupport.awaitCondition("the source to be cancelled", () -> cancelled.getCount() == 0);
    }

    @Test
    void writeAllPumpsInOrderAndRethrowsTheSourceError() {
        Channel<Integer> ch = Channel.create(4);
        CompletableFuture<List<Integer>> got = ch.asFlux().collectList().toFuture();
        Fiber<Void> pump = Fiber.start("pump", () -> {
            ch.writeAll(Flux.range(0, 1000));
            ch.close();
        });
        pump.join();
        assertThat(got.orTimeout(10, TimeUnit.SECONDS).join()).containsExactlyElementsOf(
                Stream.iterate(0, i -> i + 1).limit(1000).toList());

        Channel<Integer> other = Channel.unbounded();
        IllegalStateException cause = new IllegalStateException("boom");
        assertThatThrownBy(() -> other.writeAll(Flux.concat(Flux.just(1), Flux.error(cause)))).isSameAs(cause);
        assertThat(other.tryRead()).contains(1);
    }

    @Test
    void writeAllCancelsTheSourceWhenTheChannelCloses() {
        Channel<Integer> ch = Channel.create(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        Fiber<Void> pump = Fiber.start("pump", () -> ch.writeAll(Flux.range(0, 1_000_000).doOnCancel(cancelled::countDown)));
        assertThat(ch.read()).isZero();
        ch.close();
        assertThatThrownBy(pump::join).hasCauseInstanceOf(ChannelClosedException.class);
        assertThat(cancelled.getCount()).isZero();
    }

    @Test
    void writeAllCancelledBeforeTheSourceSubscribesCancelsTheLateSubscription() throws Exception {
        for (int round = 0; round < 50; round++) {
            Channel<Integer> ch = Channel.create();
            AtomicReference<Subscriber<? super Integer>> subscriber = new AtomicReference<>();
            CountDownLatch subscribed = new CountDownLatch(1);
            Publisher<Integer> late = s -> {
                subscriber.set(s);
                subscribed.countDown(); // onSubscribe comes later, from another thread
            };
            Fiber<Void> pump = Fiber.start("pump", () -> ch.writeAll(late));
            assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();
            pump.cancel();
            assertThatThrownBy(pump::join).isInstanceOf(CancellationException.class);
            AtomicBoolean cancelled = new AtomicBoolean();
            AtomicLong requested = new AtomicLong();
            Thread source = Thread.ofPlatform().start(() -> subscriber.get().onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    requested.addAndGet(n);
                }

                @Override
                public void cancel() {
                    cancelled.set(true);
                }
            }));
            source.join(10_000);
            assertThat(cancelled).as("the subscription that arrived late is cancelled").isTrue();
            assertThat(requested.get()).as("and nothing was requested from it").isZero();
            assertThat(ch.size()).isZero();
        }
    }
}
