package io.qfiber.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Fiber;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/** Servers that die while writers and readers run: a restart, and a node of a cluster. */
class ResilienceTest {

    /** Writers and readers running over a channel; what was read, and how often. */
    static final class Traffic {
        final Set<Integer> read = ConcurrentHashMap.newKeySet();
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicInteger written = new AtomicInteger();
        final AtomicLong lastWriteNanos = new AtomicLong(System.nanoTime());
        final List<Fiber<Void>> writers = new ArrayList<>();
        final List<Fiber<Void>> readers = new ArrayList<>();

        Traffic(RemoteChannel<Integer> ch, int total) {
            for (int w = 0; w < 2; w++) {
                int first = w;
                writers.add(Fiber.start("writer-" + w, () -> {
                    for (int v = first; v < total; v += 2) {
                        ch.write(v); // waits through the outage
                        written.incrementAndGet();
                        lastWriteNanos.set(System.nanoTime());
                    }
                }));
            }
            for (int r = 0; r < 2; r++) {
                readers.add(Fiber.start("reader-" + r, () -> {
                    for (;;) {
                        try {
                            for (int v : ch) {
                                if (!read.add(v)) {
                                    duplicates.incrementAndGet();
                                }
                            }
                            return;
                        } catch (UncheckedIOException unconfirmed) {
                            // an ack the server could not confirm in time: read on
                        }
                    }
                }));
            }
        }

        void finish(RemoteChannel<Integer> ch, int total) {
            finish(ch, total, true);
        }

        void finish(RemoteChannel<Integer> ch, int total, boolean exactlyOnce) {
            for (Fiber<Void> w : writers) {
                assertThat(w.join(Duration.ofSeconds(90))).as("writers finish").isTrue();
                w.join();
            }
            ch.close();
            for (Fiber<Void> r : readers) {
                assertThat(r.join(Duration.ofSeconds(90))).as("readers drain").isTrue();
            }
            assertThat(written.get()).isEqualTo(total);
            assertThat(read).as("every value whose write returned").hasSize(total);
            if (exactlyOnce) {
                assertThat(duplicates.get()).as("values read twice").isZero();
            }
        }
    }

    /**
     * A clean stop (SIGTERM) and restart: nothing whose write returned is lost. Even a clean stop
     * of nats-server 2.9.10 can come back without the last acks (in 5 of 26 runs, 1 or 2 values
     * were handed out once more), so duplicates are counted, as for SIGKILL, not failed on.
     */
    @Test
    void aServerStoppedCleanlyAndRestartedWhileWritersAndReadersRunLosesNothing() throws Exception {
        restartMidStream(false);
    }

    /**
     * SIGKILL: nothing whose write returned is lost. nats-server 2.9 writes a consumer's acks to
     * disk asynchronously, so values acked just before the kill can be handed out once more after
     * the restart: the test counts them (docs/distributed.md says so) but does not fail on them.
     */
    @Test
    void aServerKilledWithSigkillAndRestartedLosesNothing() throws Exception {
        restartMidStream(true);
    }

    private static void restartMidStream(boolean sigkill) throws Exception {
        int total = 4_000;
        try (NatsServer server = NatsServer.start(); NatsChannels nats = NatsChannels.connect(server.url())) {
            RemoteChannel<Integer> ch = nats.channel("restart", Codec.json(Integer.class)).capacity(200)
                    .redeliverAfter(Duration.ofSeconds(10)).open();
            Traffic t = new Traffic(ch, total);
            awaitWritten(t, total / 4);
            if (sigkill) {
                server.kill();
            } else {
                server.stop();
            }
            Thread.sleep(1_000);
            int before = t.written.get();
            server.restart();
            try {
                t.finish(ch, total, false);
            } catch (AssertionError stuck) {
                throw diagnosed(stuck, nats, List.of(server), "QFIBER_restart");
            }
            assertThat(before).as("the outage hit mid-stream").isLessThan(total);
            System.out.println("restart (" + (sigkill ? "SIGKILL" : "SIGTERM") + "): " + t.duplicates.get()
                    + " values handed out again after the restart");
        }
    }

    /**
     * SIGKILL of one node: nothing whose write returned is lost, and work resumes within seconds
     * of the surviving nodes' electing new leaders for the stream and its consumer.
     *
     * <p>The elections are the server's: with nats-server 2.9.10 (Debian's) they took from
     * nothing (the dead node led neither) to 30 s, so the test measures them ({@link LeaderWatch})
     * and bounds the client's part, the time from the elections to the next write stored. A read
     * whose ack confirmation died with the node returns its value anyway (so nothing is lost) and
     * the value may be handed out once more: counted here, documented in docs/distributed.md. If
     * the server's stalled-consumer state (docs/distributed.md) comes back, the failure reports
     * the servers' logs and counts.
     */
    @Test
    @DisabledIfSystemProperty(named = "qfiber.nats.cluster", matches = "false",
            disabledReason = "-Dqfiber.nats.cluster=false")
    void losingOneNodeOfAThreeNodeClusterWithThreeReplicasLosesNothing() throws Exception {
        int total = 3_000;
        List<NatsServer> cluster = NatsServer.startCluster();
        try {
            String urls = String.join(",", cluster.stream().map(NatsServer::url).toList());
            try (NatsChannels nats = NatsChannels.connect(urls)) {
                RemoteChannel<Integer> ch = openWhenReady(nats);
                Traffic t = new Traffic(ch, total);
                awaitWritten(t, total / 3);
                cluster.get(1).kill();
                long killed = System.nanoTime();
                System.out.println("node loss: n1 killed at " + java.time.LocalTime.now());
                int at = t.written.get();
                LeaderWatch leader = new LeaderWatch(List.of(cluster.get(0), cluster.get(2)), "QFIBER_replicated", "n1", killed);
                long resumedAfter;
                try {
                    awaitWritten(t, Math.min(total, at + 100));
                    resumedAfter = TimeUnit.NANOSECONDS.toMillis(t.lastWriteNanos.get() - killed);
                    // an ack whose confirmation died with the node may be handed out once more: counted, not failed
                    t.finish(ch, total, false);
                } catch (AssertionError stuck) {
                    throw diagnosed(stuck, nats, List.of(cluster.get(0), cluster.get(2)), "QFIBER_replicated");
                }
                long electedAfter = leader.electedAfterMillis();
                System.out.println("node loss: the stream and its consumer had leaders again after " + electedAfter
                        + " ms, work resumed after " + resumedAfter + " ms; " + t.duplicates.get()
                        + " values handed out again");
                assertThat(electedAfter).as("the surviving nodes elect leaders for the stream and its consumer (ms)").isNotNegative();
                assertThat(resumedAfter - electedAfter)
                        .as("work resumes within seconds of the new leaders' election (ms after it)")
                        .isLessThan(5_000);
            }
        } finally {
            cluster.forEach(NatsServer::close);
        }
    }

    /**
     * When the stream and its consumer both had a leader among the surviving nodes again: asked
     * of them every 50 ms from the kill on. Until then no write can be stored (the stream's
     * leader stores) or, once the channel is full, make room (the consumer's leader hands values
     * out and takes acks). The server's elections take from nothing (the dead node led neither)
     * to tens of seconds (split votes).
     */
    static final class LeaderWatch {
        private final AtomicLong electedAfterMillis = new AtomicLong(-1);
        private final Thread watcher;

        LeaderWatch(List<NatsServer> alive, String stream, String deadNode, long killedNanos) {
            watcher = Thread.ofPlatform().daemon().name("leader-watch").start(() -> {
                long deadline = killedNanos + TimeUnit.SECONDS.toNanos(90);
                while (System.nanoTime() < deadline) {
                    for (NatsServer n : alive) {
                        String[] leaders = leadersAsSeenBy(n, stream);
                        if (leaders != null && !leaders[0].equals(deadNode) && !leaders[1].equals(deadNode)) {
                            electedAfterMillis.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNanos));
                            return;
                        }
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            });
        }

        /** @return the stream's and the consumer's leaders, or null while either has none */
        private static String @org.jspecify.annotations.Nullable [] leadersAsSeenBy(NatsServer n, String stream) {
            io.nats.client.Options options = new io.nats.client.Options.Builder().server(n.url())
                    .connectionTimeout(Duration.ofMillis(500)).noReconnect().build();
            try (io.nats.client.Connection probe = io.nats.client.Nats.connect(options)) {
                var jsm = probe.jetStreamManagement(io.nats.client.JetStreamOptions.builder()
                        .requestTimeout(Duration.ofMillis(500)).build());
                var streamCluster = jsm.getStreamInfo(stream).getClusterInfo();
                var consumerCluster = jsm.getConsumerInfo(stream, "readers").getClusterInfo();
                if (streamCluster == null || consumerCluster == null
                        || streamCluster.getLeader() == null || consumerCluster.getLeader() == null) {
                    return null;
                }
                return new String[] {streamCluster.getLeader(), consumerCluster.getLeader()};
            } catch (Exception noAnswer) {
                return null; // no leader to answer yet
            }
        }

        /** @return ms from the kill to the election, or -1 if none came within 90 s */
        long electedAfterMillis() throws InterruptedException {
            // 100 s: past the watcher's own 90 s limit
            watcher.join(TimeUnit.SECONDS.toMillis(100));
            return electedAfterMillis.get();
        }
    }

    /** The stuck assertion with what the client, the servers and the fibers say now. */
    private static AssertionError diagnosed(AssertionError stuck, NatsChannels nats, List<NatsServer> alive,
                                            String stream) {
        io.nats.client.Connection c = nats.connection();
        stuck.addSuppressed(new AssertionError("client: " + c.getStatus() + " to " + c.getConnectedUrl()
                + "\n" + io.qfiber.FiberDump.render(true)));
        for (NatsServer n : alive) {
            try (io.nats.client.Connection probe = io.nats.client.Nats.connect(n.url())) {
                var info = probe.jetStreamManagement().getStreamInfo(stream);
                var consumer = probe.jetStreamManagement().getConsumerInfo(stream, "readers");
                stuck.addSuppressed(new AssertionError("probe of " + n.url() + ": " + info.getClusterInfo()
                        + " " + info.getStreamState() + " " + consumer));
            } catch (Exception e) {
                stuck.addSuppressed(new AssertionError("probe of " + n.url() + " failed: " + e));
            }
            stuck.addSuppressed(new AssertionError("log of " + n.url() + ":\n" + n.logTail(25)));
        }
        return stuck;
    }

    /** A fresh cluster elects its JetStream leader for a few seconds: open once it answers. */
    private static RemoteChannel<Integer> openWhenReady(NatsChannels nats) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (;;) {
            try {
                return nats.channel("replicated", Codec.json(Integer.class)).capacity(500).replicas(3)
                        .redeliverAfter(Duration.ofSeconds(10)).open();
            } catch (UncheckedIOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(250);
            }
        }
    }

    private static void awaitWritten(Traffic t, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (t.written.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + t.written.get() + " of " + n + " written\n" + io.qfiber.FiberDump.render(true));
            }
            Thread.sleep(10);
        }
    }

}
