package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.net.TcpServer;
import io.qfiber.net.TcpSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Two edges swept across the API: every public call of the library that may wait, called on a
 * Reactor non-blocking thread, throws {@link IllegalStateException} at once, whether or not it
 * would have waited, as Reactor's {@code block()} does (a parked event loop stalls every connection
 * it serves); and every subscriber of the library cancels a subscription that arrives after it was
 * cancelled (Reactive Streams lets {@code onSubscribe} come later, from another thread).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockingAndSubscriptionEdgesTest {

    @Test
    void everyBlockingCallIsRefusedOnAParallelThread() throws Exception {
        Channel<String> ready = Channel.create(4);
        ready.write("a");
        Fiber<String> done = Fiber.start("done", () -> "value");
        done.join();
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5))) {
            TcpSocket accepted = server.takeNext().socket();
            client.send(new byte[] {1});
            Map<String, Runnable> calls = new LinkedHashMap<>();
            calls.put("Fiber.join", done::join);
            calls.put("Fiber.join(Duration)", () -> done.join(Duration.ZERO));
            calls.put("Fiber.sleep", () -> Fiber.sleep(Duration.ZERO));
            calls.put("Fiber.await", () -> Fiber.await(Mono.just(1)));
            calls.put("Channel.read", ready::read);
            calls.put("Select.select", () -> Select.<String>create().onRead(ready, v -> v).select());
            calls.put("Select.select with a timeout", () -> Select.<String>create().onRead(ready, v -> v)
                    .onTimeout(Duration.ZERO, () -> "t").select());
            calls.put("FiberScope.join", () -> {
                try (FiberScope scope = FiberScope.open("on an event loop")) {
                    scope.join();
                }
            });
            calls.put("TcpServer.listen", () -> TcpServer.listen("127.0.0.1", 0).close());
            calls.put("TcpServer.takeNext", server::takeNext);
            calls.put("TcpServer.takeNext(Duration)", () -> server.takeNext(Duration.ZERO));
            calls.put("TcpSocket.connect", () -> TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(1)));
            calls.put("TcpSocket.recv", () -> accepted.recv(new byte[8]));
            calls.put("TcpSocket.recv(Duration)", () -> accepted.recv(new byte[8], Duration.ZERO));
            calls.put("TcpSocket.send", () -> accepted.send(new byte[] {2}));
            calls.put("TcpSocket.shutdownOutput", accepted::shutdownOutput);
            Map<String, String> outcome = Mono.fromCallable(() -> {
                Map<String, String> seen = new LinkedHashMap<>();
                calls.forEach((name, call) -> {
                    try {
                        call.run();
                        seen.put(name, "returned");
                    } catch (IllegalStateException e) {
                        seen.put(name, e.getMessage().contains("non-blocking") ? "refused" : "ISE: " + e.getMessage());
                    } catch (RuntimeException e) {
                        seen.put(name, e.toString());
                    }
                });
                return seen;
            }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(30));
            assertThat(outcome).hasSize(calls.size());
            assertThat(outcome).allSatisfy((name, result) -> assertThat(result).as(name).isEqualTo("refused"));
            accepted.close();
        }
    }

    /** A publisher that keeps its subscriber and hands it a subscription only when told to. */
    static final class LatePublisher implements org.reactivestreams.Publisher<String> {
        final java.util.concurrent.CountDownLatch subscribed = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        volatile org.reactivestreams.Subscriber<? super String> subscriber;

        @Override
        public void subscribe(org.reactivestreams.Subscriber<? super String> s) {
            subscriber = s;
            subscribed.countDown();
        }

        /** Reactive Streams allows onSubscribe to come later, from another thread. */
        void deliverSubscriptionLate() throws InterruptedException {
            Thread t = Thread.ofPlatform().start(() -> subscriber.onSubscribe(new org.reactivestreams.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                    cancelled.countDown();
                }
            }));
            t.join();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"Fiber.await", "Select.onAwait"})
    void aSubscriptionThatArrivesAfterTheWaiterWasCancelledIsCancelled(String consumer) throws Exception {
        LatePublisher late = new LatePublisher();
        Fiber<Object> waiter = Fiber.start("waiter", () -> consumer.equals("Fiber.await")
                ? Fiber.await(Mono.fromDirect(late))
                : Select.<Object>create().onAwait(Mono.fromDirect(late), v -> v).select());
        assertThat(late.subscribed.await(10, TimeUnit.SECONDS)).isTrue();
        TestSupport.awaitBlocked(waiter);
        waiter.cancel();
        assertThat(waiter.join(Duration.ofSeconds(10))).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(waiter::join)
                .isInstanceOf(java.util.concurrent.CancellationException.class);
        late.deliverSubscriptionLate();
        assertThat(late.cancelled.await(10, TimeUnit.SECONDS)).as("the late subscription is cancelled").isTrue();
    }

    @Test
    void aChannelFromClosedBeforeItsSubscriptionArrivesCancelsIt() throws Exception {
        LatePublisher late = new LatePublisher();
        Channel<String> ch = Channel.from(late);
        assertThat(late.subscribed.await(10, TimeUnit.SECONDS)).isTrue();
        ch.close(); // the consumer is done with it
        late.deliverSubscriptionLate();
        assertThat(late.cancelled.await(10, TimeUnit.SECONDS)).as("the late subscription is cancelled").isTrue();
    }

    @Test
    void writeAllOnAChannelClosedWhileItWaitsForTheSourceThrowsAtOnceAndCancelsIt() throws Exception {
        LatePublisher silent = new LatePublisher();
        Channel<String> ch = Channel.create(4);
        Fiber<Void> writer = Fiber.start("writeAll", () -> ch.writeAll(silent));
        assertThat(silent.subscribed.await(10, TimeUnit.SECONDS)).isTrue();
        silent.deliverSubscriptionLate(); // the source is subscribed and emits nothing
        TestSupport.awaitBlocked(writer);
        ch.close();
        assertThat(writer.join(Duration.ofSeconds(10))).as("writeAll returned").isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(writer::join)
                .hasCauseInstanceOf(ChannelClosedException.class);
        assertThat(silent.cancelled.await(10, TimeUnit.SECONDS)).as("the source is cancelled").isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ch.writeAll(reactor.core.publisher.Flux.empty()))
                .as("closed before").isInstanceOf(ChannelClosedException.class);
    }
}
