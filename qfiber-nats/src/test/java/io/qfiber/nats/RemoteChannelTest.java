package io.qfiber.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * Remote channels against a real nats-server. Two {@link NatsChannels} with connections of
 * their own stand for two processes; {@code CrossProcessTest} uses real ones.
 */
class RemoteChannelTest {
    private static NatsServer server;
    private static NatsChannels a;
    private static NatsChannels b;
    private static final AtomicInteger NAMES = new AtomicInteger();

    @BeforeAll
    static void startServer() {
        server = NatsServer.start();
        a = NatsChannels.connect(server.url());
        b = NatsChannels.connect(server.url());
    }

    @AfterAll
    static void stopServer() {
        if (a != null) {
            a.close();
            b.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static String fresh() {
        return "t" + NAMES.incrementAndGet() + "-" + System.nanoTime();
    }

    @Test
    void aValueWrittenInOneProcessIsReadInAnother() {
        String name = fresh();
        RemoteChannel<String> writer = a.channel(name, Codec.utf8()).open();
        RemoteChannel<String> reader = b.channel(name, Codec.utf8()).open();
        writer.write("hello");
        writer.write("world");
        assertThat(reader.read()).isEqualTo("hello");
        assertThat(reader.read(Duration.ofSeconds(5))).contains("world");
        assertThat(reader.read(Duration.ofMillis(200))).isEmpty();
        assertThat(writer.size()).isZero();
    }

    @Test
    void capacityIsEnforcedByTheServerAcrossWriters() throws Exception {
        String name = fresh();
        RemoteChannel<String> w1 = a.channel(name, Codec.utf8()).capacity(3).open();
        RemoteChannel<String> w2 = b.channel(name, Codec.utf8()).capacity(3).open();
        w1.write("1");
        w2.write("2");
        w1.write("3");
        assertThat(w2.size()).isEqualTo(3);
        assertThat(w2.tryWrite("4")).as("full: tryWrite").isFalse();
        assertThat(w1.write("4", Duration.ofMillis(300))).as("full: timed write").isFalse();
        Fiber<Void> blocked = Fiber.start("blocked writer", () -> w2.write("4"));
        assertThat(blocked.join(Duration.ofMillis(300))).as("the writer waits for room").isFalse();
        assertThat(w1.size()).as("never more than capacity on the server").isEqualTo(3);
        assertThat(w1.read()).isEqualTo("1");
        blocked.join();
        assertThat(List.of(w1.read(), w1.read(), w1.read())).containsExactly("2", "3", "4");
    }

    @Test
    void openingWithAnotherCapacityNamesBoth() {
        String name = fresh();
        a.channel(name, Codec.utf8()).capacity(10).open();
        assertThatThrownBy(() -> b.channel(name, Codec.utf8()).capacity(20).open())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("capacity 10").hasMessageContaining("capacity 20");
    }

    @Test
    void badInputIsRefusedAtTheCallNamingWhatIsWrong() {
        assertThatThrownBy(() -> a.channel("no.dots", Codec.utf8())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no.dots'");
        assertThatThrownBy(() -> a.channel("x", Codec.utf8()).capacity(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity must be >= 1").hasMessageContaining("was 0");
        assertThatThrownBy(() -> a.channel("x", Codec.utf8()).redeliverAfter(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redeliverAfter");
        assertThatThrownBy(() -> a.channel("x", Codec.utf8()).replicas(7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("replicas");
        int nobody = NatsServer.freePort();
        assertThatThrownBy(() -> NatsChannels.connect("nats://127.0.0.1:" + nobody))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("127.0.0.1:" + nobody);
        RemoteChannel<String> ch = a.channel(fresh(), Codec.utf8()).open();
        assertThatThrownBy(() -> io.qfiber.Select.<String>create().onRead(ch, v -> v))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReceivedValueStaysTheReadersUntilAckedAndIsRedeliveredOtherwise() {
        String name = fresh();
        RemoteChannel<String> one = a.channel(name, Codec.utf8()).redeliverAfter(Duration.ofSeconds(2)).open();
        RemoteChannel<String> two = b.channel(name, Codec.utf8()).redeliverAfter(Duration.ofSeconds(2)).open();
        one.write("job");
        Delivery<String> first = one.receive();
        assertThat(first.value()).isEqualTo("job");
        assertThat(first.deliveries()).isEqualTo(1);
        assertThat(two.receive(Duration.ofMillis(500))).as("held by the first reader").isEmpty();
        // not acked within redeliverAfter: it goes to another reader
        Delivery<String> again = two.receive(Duration.ofSeconds(10)).orElseThrow();
        assertThat(again.value()).isEqualTo("job");
        assertThat(again.deliveries()).isEqualTo(2);
        again.nak();
        Delivery<String> third = one.receive(Duration.ofSeconds(10)).orElseThrow();
        assertThat(third.deliveries()).as("counts every hand-out by the server").isGreaterThanOrEqualTo(3);
        third.ack();
        assertThat(two.receive(Duration.ofSeconds(3))).as("acked: gone for good").isEmpty();
        assertThat(one.size()).isZero();
    }

    @Test
    void closeInOneProcessClosesForAllReadersDrainFirst() {
        String name = fresh();
        RemoteChannel<String> here = a.channel(name, Codec.utf8()).open();
        RemoteChannel<String> there = b.channel(name, Codec.utf8()).open();
        here.write("1");
        here.write("2");
        here.close();
        assertThatThrownBy(() -> there.write("3")).isInstanceOf(ChannelClosedException.class)
                .hasMessageContaining(name);
        assertThatThrownBy(() -> here.write("3")).isInstanceOf(ChannelClosedException.class);
        List<String> drained = new ArrayList<>();
        for (String v : there) {
            drained.add(v);
        }
        assertThat(drained).containsExactly("1", "2");
        assertThatThrownBy(there::read).isInstanceOf(ChannelClosedException.class);
        StepVerifier.create(here.asFlux()).expectComplete().verify(Duration.ofSeconds(10));
        assertThat(there.isClosed()).isTrue();
    }

    @Test
    void aBlockedWriterElsewhereFailsWhenTheChannelCloses() {
        String name = fresh();
        RemoteChannel<String> here = a.channel(name, Codec.utf8()).capacity(1).open();
        RemoteChannel<String> there = b.channel(name, Codec.utf8()).capacity(1).open();
        here.write("full");
        Fiber<Void> writer = Fiber.start("writer", () -> there.write("waits"));
        assertThat(writer.join(Duration.ofMillis(300))).isFalse();
        here.close(new IllegalStateException("shutting down"));
        assertThatThrownBy(writer::join).hasCauseInstanceOf(ChannelClosedException.class);
        assertThat(there.read()).isEqualTo("full");
        assertThatThrownBy(there::read).isInstanceOf(ChannelClosedException.class)
                .hasMessageContaining("shutting down");
    }

    @Test
    void deleteRemovesTheChannelAndItsValues() {
        String name = fresh();
        RemoteChannel<String> here = a.channel(name, Codec.utf8()).open();
        here.write("gone");
        here.delete();
        assertThatThrownBy(() -> here.write("x")).isInstanceOf(ChannelClosedException.class);
        RemoteChannel<String> again = b.channel(name, Codec.utf8()).open();
        assertThat(again.read(Duration.ofMillis(500))).as("a new, empty channel").isEmpty();
    }

    record Job(String id, int size) {}

    @Test
    void aValueTheCodecCannotDecodeFailsItsReadNamingTheChannelAndIsSetAside() {
        String name = fresh();
        RemoteChannel<String> raw = a.channel(name, Codec.utf8()).open();
        RemoteChannel<Job> jobs = b.channel(name, Codec.json(Job.class)).open();
        raw.write("not json");
        jobs.write(new Job("j1", 3));
        assertThatThrownBy(jobs::read).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(name).hasMessageContaining("Codec.json(Job)").hasMessageContaining("QFIBER_DEAD_" + name);
        assertThat(jobs.read()).isEqualTo(new Job("j1", 3));
        assertThat(jobs.read(Duration.ofMillis(300))).as("not redelivered").isEmpty();
    }

    @Test
    void aCancelledReaderTakesNothingAndACancelledWriterPutsNothing() {
        String name = fresh();
        RemoteChannel<String> here = a.channel(name, Codec.utf8()).capacity(1).open();
        RemoteChannel<String> there = b.channel(name, Codec.utf8()).capacity(1).open();
        Fiber<String> reader = Fiber.start("reader", () -> there.read());
        assertThat(reader.join(Duration.ofMillis(300))).isFalse();
        reader.cancel();
        assertThatThrownBy(reader::join).isInstanceOf(CancellationException.class);
        here.write("kept");
        assertThat(here.read(Duration.ofSeconds(10))).contains("kept");

        here.write("full");
        Fiber<Void> writer = Fiber.start("writer", () -> there.write("never"));
        assertThat(writer.join(Duration.ofMillis(300))).isFalse();
        writer.cancel();
        assertThatThrownBy(writer::join).isInstanceOf(CancellationException.class);
        assertThat(here.read()).isEqualTo("full");
        assertThat(here.read(Duration.ofMillis(500))).as("the cancelled write put nothing").isEmpty();
    }

    @Test
    void asFluxFetchesOnlyAgainstDemand() {
        String name = fresh();
        RemoteChannel<String> ch = a.channel(name, Codec.utf8()).open();
        for (int i = 0; i < 10; i++) {
            ch.write("v" + i);
        }
        StepVerifier.create(ch.asFlux(), 2)
                .expectNext("v0", "v1")
                .then(() -> assertThat(ch.size()).as("only what was requested was taken").isEqualTo(8))
                .thenCancel()
                .verify(Duration.ofSeconds(10));
        RemoteChannel<String> other = b.channel(name, Codec.utf8()).open();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            rest.add(other.read(Duration.ofSeconds(10)).orElseThrow());
        }
        // A value the cancelled Flux's process had fetched ahead goes back to the server and comes
        // after later ones (docs/distributed.md, "Order"): every value once, in any order.
        assertThat(rest).containsExactlyInAnyOrder("v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
    }

    @Test
    void closingNatsChannelsHandsFetchedValuesBackAndWakesBlockedCalls() {
        String name = fresh();
        NatsChannels leaving = NatsChannels.connect(server.url());
        RemoteChannel<String> there = leaving.channel(name, Codec.utf8()).open();
        RemoteChannel<String> here = a.channel(name, Codec.utf8()).open();
        for (int i = 0; i < 20; i++) {
            here.write("v" + i);
        }
        assertThat(there.read()).isEqualTo("v0"); // fetched a batch, handed out one
        Fiber<String> blocked = Fiber.start("blocked", () -> {
            RemoteChannel<String> empty = leaving.channel(fresh(), Codec.utf8()).open();
            return empty.read();
        });
        assertThat(blocked.join(Duration.ofMillis(300))).isFalse();
        leaving.close();
        assertThatThrownBy(blocked::join).hasCauseInstanceOf(ChannelClosedException.class);
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < 20; i++) {
            rest.add(here.read(Duration.ofSeconds(10)).orElseThrow());
        }
        assertThat(rest).hasSize(19).doesNotContain("v0");
    }

    @Test
    void jsonCarriesRecords() {
        RemoteChannel<Job> jobs = a.channel(fresh(), Codec.json(Job.class)).open();
        jobs.write(new Job("a", 1));
        assertThat(jobs.read()).isEqualTo(new Job("a", 1));
        assertThat(new String(Codec.json(Job.class).encode(new Job("b", 2)), StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"b\",\"size\":2}");
        Optional<Job> none = jobs.tryRead();
        assertThat(none).isEmpty();
    }

    @Test
    void aFiberWaitingOnARemoteChannelShowsInTheDumpAndItsMeters() throws Exception {
        String name = fresh();
        RemoteChannel<String> ch = a.channel(name, Codec.utf8()).open();
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        new io.qfiber.QFiberMetrics().bindTo(registry);
        Fiber<String> reader = Fiber.start("remote-reader", () -> (String) ch.read());
        String local = "remote channel '" + name + "' (fetched here)";
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (io.qfiber.FiberDump.snapshot(false).stream().noneMatch(f -> f.name().equals("remote-reader")
                && f.state() == io.qfiber.FiberDump.State.BLOCKED)) {
            assertThat(System.nanoTime() < deadline).as("the reader blocks").isTrue();
            Thread.sleep(5);
        }
        assertThat(io.qfiber.FiberDump.render(false)).contains("read of channel '" + local + "'", "\"remote-reader\" blocked");
        assertThat(registry.get("qfiber.channel.readers.waiting").tag("channel", local).gauge().value()).isEqualTo(1.0);
        ch.write("seen");
        assertThat(reader.join()).isEqualTo("seen");
        assertThat(registry.get("qfiber.channel.read").tag("channel", local).functionCounter().count()).isEqualTo(1.0);
    }
}
