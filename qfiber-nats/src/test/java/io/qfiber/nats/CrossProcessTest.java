package io.qfiber.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Fiber;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Remote channels across real processes: readers run in child JVMs. */
class CrossProcessTest {
    private static NatsServer server;
    private static NatsChannels nats;

    @BeforeAll
    static void startServer() {
        server = NatsServer.start();
        nats = NatsChannels.connect(server.url());
    }

    @AfterAll
    static void stopServer() {
        if (nats != null) {
            nats.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A child JVM running {@link RemoteReaderMain}, its stdout read line by line. */
    static final class Child implements AutoCloseable {
        final Process process;
        final BufferedReader out;

        Child(String... args) throws IOException {
            this(List.of(), args);
        }

        Child(List<String> jvmArgs, String... args) throws IOException {
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(jvmArgs);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RemoteReaderMain.class.getName()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        String line() throws IOException {
            String l = out.readLine();
            if (l == null) {
                throw new IllegalStateException("child ended early, exit " + process.onExit().join().exitValue());
            }
            return l;
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void writersHereReadersInTwoOtherProcessesReadEveryValueExactlyOnce() throws Exception {
        int total = Integer.getInteger("qfiber.nats.values", 100_000) * Integer.getInteger("qfiber.stress", 1);
        int capacity = 500;
        String name = "xproc-" + System.nanoTime();
        RemoteChannel<String> ch = nats.channel(name, Codec.utf8()).capacity(capacity).open();
        try (Child r1 = new Child(server.url(), name, "read", "4", String.valueOf(capacity), "30");
             Child r2 = new Child(server.url(), name, "read", "4", String.valueOf(capacity), "30")) {
            assertThat(r1.line()).isEqualTo("ready");
            assertThat(r2.line()).isEqualTo("ready");
            int writers = 8;
            List<Fiber<Void>> fibers = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int first = w;
                fibers.add(Fiber.start("writer-" + w, () -> {
                    for (int v = first; v < total; v += writers) {
                        ch.write(String.valueOf(v));
                    }
                }));
            }
            int maxSeen = 0;
            while (fibers.stream().anyMatch(Fiber::isAlive)) {
                maxSeen = Math.max(maxSeen, ch.size());
                Thread.sleep(20);
            }
            for (Fiber<Void> f : fibers) {
                f.join();
            }
            ch.close();
            String[] d1 = r1.line().split(" ");
            String[] d2 = r2.line().split(" ");
            long count = Long.parseLong(d1[1]) + Long.parseLong(d2[1]);
            long sum = Long.parseLong(d1[2]) + Long.parseLong(d2[2]);
            assertThat(count).as("values read across both processes").isEqualTo(total);
            assertThat(sum).as("checksum").isEqualTo((long) total * (total - 1) / 2);
            assertThat(Long.parseLong(d1[1])).as("both processes read").isPositive();
            assertThat(Long.parseLong(d2[1])).as("both processes read").isPositive();
            assertThat(maxSeen).as("never more than capacity on the server").isLessThanOrEqualTo(capacity);
        } finally {
            ch.delete();
        }
    }

    @Test
    void valuesHeldByAReaderKilledWithSigkillReachTheOtherReader() throws Exception {
        String name = "kill-" + System.nanoTime();
        RemoteChannel<String> ch = nats.channel(name, Codec.utf8()).capacity(100).redeliverAfter(Duration.ofSeconds(2)).open();
        for (int i = 0; i < 50; i++) {
            ch.write(String.valueOf(i));
        }
        Set<String> heldByVictim = new HashSet<>();
        try (Child victim = new Child(server.url(), name, "hold", "5", "100", "2")) {
            assertThat(victim.line()).isEqualTo("ready");
            String held = victim.line();
            assertThat(held).startsWith("held ");
            heldByVictim.addAll(List.of(held.substring(5).split(" ")));
            victim.process.destroyForcibly(); // kill -9: unacked deliveries and values fetched ahead
            victim.process.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(heldByVictim).hasSize(5);
        Set<String> read = new HashSet<>();
        int duplicates = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (read.size() < 50 && System.nanoTime() < deadline) {
            var v = ch.read(Duration.ofSeconds(1));
            if (v.isPresent() && !read.add(v.get())) {
                duplicates++;
            }
        }
        assertThat(read).as("every value, the victim's included").hasSize(50).containsAll(heldByVictim);
        assertThat(duplicates).isZero();
        ch.delete();
    }

    @Test
    void aPausedReaderProcessHoldsABoundedNumberOfValuesWithAFlatHeap() throws Exception {
        String name = "backlog-" + System.nanoTime();
        int backlog = Integer.getInteger("qfiber.nats.backlog", 200_000);
        RemoteChannel<String> ch = nats.channel(name, Codec.utf8()).capacity(backlog).open();
        List<CompletableFuture<?>> writes = new ArrayList<>();
        for (int w = 0; w < 16; w++) {
            int first = w;
            writes.add(Fiber.start("filler-" + w, () -> {
                for (int v = first; v < backlog; v += 16) {
                    ch.write(String.valueOf(v));
                }
            }).asMono().toFuture());
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        assertThat(ch.tryWrite("over")).as("full: writers park").isFalse();
        assertThat(ch.write("over", Duration.ofMillis(200))).isFalse();
        // a reader process with a small heap takes a few values, then pauses while holding them
        try (Child reader = new Child(List.of("-Xmx48m"), server.url(), name, "hold", "10", String.valueOf(backlog), "30")) {
            assertThat(reader.line()).isEqualTo("ready");
            assertThat(reader.line()).startsWith("held ");
            Thread.sleep(500);
            assertThat(reader.process.isAlive()).as("alive with -Xmx48m and a backlog of " + backlog).isTrue();
            int pending = (int) nats.connection().jetStreamManagement().getConsumerInfo("QFIBER_" + name, "readers")
                    .getNumAckPending();
            assertThat(pending).as("values the paused process holds").isLessThanOrEqualTo(JetStreamChannelAccess.batch());
        }
        ch.delete();
    }
}
