package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qfiber.net.TcpServer;
import io.qfiber.net.TcpSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** QFiberMetrics against a SimpleMeterRegistry: every meter moves with what it counts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QFiberMetricsTest {
    private MeterRegistry registry;


    @BeforeEach
    void bind() {
        registry = new SimpleMeterRegistry();
        new QFiberMetrics().bindTo(registry);
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }

    private double gauge(String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    @Test
    void fibersStartedEndedAndAlive() {
        double started = counter("qfiber.fibers.started");
        double completed = counter("qfiber.fibers.ended", "outcome", "completed");
        double failed = counter("qfiber.fibers.ended", "outcome", "failed");
        double cancelled = counter("qfiber.fibers.ended", "outcome", "cancelled");
        for (int i = 0; i < 3; i++) {
            Fiber.start("ok", () -> 1).join();
        }
        Fiber<Object> bad = Fiber.start("bad", () -> {
            throw new IllegalStateException("x");
        });
        bad.join(Duration.ofSeconds(10));
        Channel<String> never = Channel.create();
        Fiber<String> blocked = Fiber.start("blocked-for-metrics", () -> never.read());
        TestSupport.awaitBlocked(blocked);
        assertThat(gauge("qfiber.fibers.alive", "state", "blocked")).isGreaterThanOrEqualTo(1);
        blocked.cancel();
        blocked.join(Duration.ofSeconds(10));
        // other test classes may run fibers at the same time: at least what this test did
        assertThat(counter("qfiber.fibers.started") - started).isGreaterThanOrEqualTo(5);
        assertThat(counter("qfiber.fibers.ended", "outcome", "completed") - completed).isGreaterThanOrEqualTo(3);
        assertThat(counter("qfiber.fibers.ended", "outcome", "failed") - failed).isGreaterThanOrEqualTo(1);
        assertThat(counter("qfiber.fibers.ended", "outcome", "cancelled") - cancelled).isGreaterThanOrEqualTo(1);
        assertThat(registry.find("qfiber.fibers.alive").tags("state", "running").gauge()).isNotNull();
    }

    @Test
    void namedChannelsAreMeteredAndUnnamedOnesAreNot() {
        Channel<Integer> orders = Channel.<Integer>builder().name("metrics-orders").capacity(10).build();
        for (int i = 0; i < 5; i++) {
            orders.write(i);
        }
        orders.read();
        orders.read();
        assertThat(counter("qfiber.channel.written", "channel", "metrics-orders")).isEqualTo(5);
        assertThat(counter("qfiber.channel.read", "channel", "metrics-orders")).isEqualTo(2);
        assertThat(gauge("qfiber.channel.size", "channel", "metrics-orders")).isEqualTo(3);
        assertThat(gauge("qfiber.channel.capacity", "channel", "metrics-orders")).isEqualTo(10);

        Channel<Integer> latest = Channel.<Integer>builder().name("metrics-latest").capacity(1)
                .overflow(Overflow.DROP_LATEST).onDrop(v -> { }).build();
        latest.write(1);
        latest.write(2);
        latest.write(3);
        assertThat(counter("qfiber.channel.dropped", "channel", "metrics-latest")).isEqualTo(2);

        Channel<Integer> waiting = Channel.<Integer>builder().name("metrics-waiting").capacity(1).build();
        Fiber<Integer> reader = Fiber.start("metered-reader", () -> waiting.read());
        TestSupport.awaitBlocked(reader);
        assertThat(gauge("qfiber.channel.readers.waiting", "channel", "metrics-waiting")).isEqualTo(1);
        waiting.write(1);
        waiting.write(2); // full now
        reader.join();
        Fiber<Void> writer = Fiber.start("metered-writer", () -> waiting.write(3));
        TestSupport.awaitBlocked(writer);
        assertThat(gauge("qfiber.channel.writers.waiting", "channel", "metrics-waiting")).isEqualTo(1);
        waiting.read();
        writer.join();

        Channel<Integer> anonymous = Channel.create();
        anonymous.write(1);
        assertThat(registry.find("qfiber.channel.size").tags("channel", anonymous.name()).gauge())
                .as("no meters for channels without a name").isNull();
    }

    @Test
    void aNamedRendezvousChannelCountsItsHandOversAndWaitingWriters() {
        Channel<Integer> handOff = Channel.<Integer>builder().name("metrics-rendezvous").capacity(0).build();
        Fiber<Void> writer = Fiber.start("rv-writer", () -> {
            for (int i = 0; i < 100; i++) {
                handOff.write(i);
            }
        });
        long sum = 0;
        for (int i = 0; i < 100; i++) {
            sum += handOff.read();
        }
        writer.join();
        assertThat(sum).isEqualTo(4950);
        assertThat(counter("qfiber.channel.written", "channel", "metrics-rendezvous")).isEqualTo(100);
        assertThat(counter("qfiber.channel.read", "channel", "metrics-rendezvous")).isEqualTo(100);
        Fiber<Void> blocked = Fiber.start("rv-blocked", () -> handOff.write(-1));
        TestSupport.awaitBlocked(blocked);
        assertThat(gauge("qfiber.channel.writers.waiting", "channel", "metrics-rendezvous")).isEqualTo(1);
        blocked.cancel();
        Throwable t = TestSupport.catching(blocked::join);
        assertThat(t).isInstanceOf(CancellationException.class);
        assertThat(gauge("qfiber.channel.writers.waiting", "channel", "metrics-rendezvous")).isZero();
    }

    @Test
    void channelsOfOneNameAddUp() {
        Channel<Integer> a = Channel.<Integer>builder().name("metrics-shared-name").build();
        Channel<Integer> b = Channel.<Integer>builder().name("metrics-shared-name").build();
        a.write(1);
        b.write(2);
        b.write(3);
        assertThat(gauge("qfiber.channel.size", "channel", "metrics-shared-name")).isEqualTo(3);
    }

    @Test
    void aClosedDrainedChannelLeavesTheGaugesAndKeepsItsCounts() {
        Channel<Integer> first = Channel.<Integer>builder().name("metrics-retired").capacity(8).build();
        first.write(1);
        first.write(2);
        first.read();
        first.close();
        assertThat(gauge("qfiber.channel.capacity", "channel", "metrics-retired")).as("holds a value still").isEqualTo(8);
        first.read();
        Channel<Integer> second = Channel.<Integer>builder().name("metrics-retired").capacity(3).build();
        second.write(3);
        assertThat(gauge("qfiber.channel.capacity", "channel", "metrics-retired")).as("only the open one").isEqualTo(3);
        assertThat(counter("qfiber.channel.written", "channel", "metrics-retired")).as("never goes back").isEqualTo(3);
        assertThat(counter("qfiber.channel.read", "channel", "metrics-retired")).isEqualTo(2);
    }

    @Test
    void tcpConnectionsAndBytes() throws Exception {
        double accepted = counter("qfiber.tcp.connections.accepted");
        double received = counter("qfiber.tcp.bytes.received");
        double sent = counter("qfiber.tcp.bytes.sent");
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Fiber<Integer> echo = Fiber.start("echo", () -> {
                TcpServer.ConnectionInfo ci = server.takeNext();
                try (TcpSocket s = ci.socket()) {
                    byte[] buf = new byte[64];
                    int n = s.recv(buf);
                    s.send(buf, 0, n);
                    return n;
                }
            });
            try (TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(10))) {
                assertThat(gauge("qfiber.tcp.connections.open")).isGreaterThanOrEqualTo(1);
                client.send("hello".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[64];
                assertThat(client.recv(buf)).isEqualTo(5);
            }
            assertThat(echo.join()).isEqualTo(5);
        }
        assertThat(counter("qfiber.tcp.connections.accepted") - accepted).isGreaterThanOrEqualTo(1);
        assertThat(counter("qfiber.tcp.bytes.received") - received).isGreaterThanOrEqualTo(10);
        assertThat(counter("qfiber.tcp.bytes.sent") - sent).isGreaterThanOrEqualTo(10);
    }
}
