package io.qfiber.examples.bench;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.qfiber.Fiber;
import io.qfiber.nats.Codec;
import io.qfiber.nats.NatsChannels;
import io.qfiber.nats.RemoteChannel;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Remote channels against raw jnats doing the same work, in the same run, on a nats-server this
 * program starts (JetStream, file storage, a temporary directory): every value is published with a
 * message id and its PubAck awaited (what {@code write} guarantees), fetched from a durable pull
 * consumer of a work-queue stream of capacity 1,000, and acked with the server's confirmation
 * before it counts as read (what {@code read} guarantees). Raw readers fetch batches of up to 64
 * (the bound a remote channel keeps per process). Workloads: SPSC (one writer, one reader) and
 * 4×4; each round runs each implementation once, in turn, and the median of the per-round ratios
 * is reported with every round's ratio.
 *
 * <p>Run (needs {@code nats-server} installed): {@code mvn -q -DskipTests package exec:exec
 * -Dexec.mainClass=io.qfiber.examples.bench.RemoteChannelRounds -Dexec.appArgs="5 20000"}
 * (rounds, values per run).
 */
public final class RemoteChannelRounds {
    private RemoteChannelRounds() {}

    /**
     * Runs the rounds and prints the ratios.
     *
     * @param args rounds (default 5), values per run (default 20,000)
     * @throws Exception if the server cannot be started
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0].trim()) : 5;
        int values = args.length > 1 ? Integer.parseInt(args[1].trim()) : 20_000;
        Path store = Files.createTempDirectory("qfiber-bench-nats-");
        int port = 4300 + (int) (ProcessHandle.current().pid() % 500);
        Process server = new ProcessBuilder(binary(), "-js", "-a", "127.0.0.1", "-p", String.valueOf(port),
                "-sd", store.toString()).redirectErrorStream(true).redirectOutput(store.resolve("log").toFile()).start();
        try {
            String url = "nats://127.0.0.1:" + port;
            awaitServer(url);
            Map<String, List<Double>> ratios = new LinkedHashMap<>();
            for (int round = -1; round < rounds; round++) { // round -1 warms up
                for (int[] shape : new int[][] {{1, 1}, {4, 4}}) {
                    String key = shape[0] + "x" + shape[1];
                    double raw = rawJnats(url, shape[0], shape[1], values);
                    double ours = remoteChannel(url, shape[0], shape[1], values);
                    System.out.printf("round %d %s: remote channel %.0f/s, raw jnats %.0f/s, ratio %.2f%n",
                            round, key, ours, raw, ours / raw);
                    if (round >= 0) {
                        ratios.computeIfAbsent(key, k -> new ArrayList<>()).add(ours / raw);
                    }
                }
            }
            ratios.forEach((k, r) -> {
                List<Double> sorted = new ArrayList<>(r);
                sorted.sort(null);
                System.out.printf("%s: median ratio %.2f, rounds %s%n", k, sorted.get(sorted.size() / 2),
                        r.stream().map(x -> String.format("%.2f", x)).toList());
            });
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    /** Values per second through a remote channel: writers and readers are fibers. */
    static double remoteChannel(String url, int writers, int readers, int values) throws Exception {
        try (NatsChannels nats = NatsChannels.connect(url)) {
            RemoteChannel<byte[]> ch = nats.channel("bench" + UUID.randomUUID().toString().substring(0, 8), Codec.bytes())
                    .capacity(1000).open();
            AtomicLong read = new AtomicLong();
            long t0 = System.nanoTime();
            List<Fiber<Void>> fibers = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int share = values / writers;
                fibers.add(Fiber.start("writer", () -> {
                    for (int i = 0; i < share; i++) {
                        ch.write(payload(i));
                    }
                }));
            }
            for (int r = 0; r < readers; r++) {
                fibers.add(Fiber.start("reader", () -> {
                    while (read.get() < values) {
                        if (ch.read(Duration.ofMillis(200)).isPresent()) {
                            read.incrementAndGet();
                        }
                    }
                }));
            }
            for (Fiber<Void> f : fibers) {
                f.join();
            }
            double rate = values / ((System.nanoTime() - t0) / 1e9);
            ch.delete();
            return rate;
        }
    }

    /** Values per second with jnats directly: the same guarantees, written by hand. */
    static double rawJnats(String url, int writers, int readers, int values) throws Exception {
        try (Connection c = Nats.connect(url)) {
            String name = "RAW" + UUID.randomUUID().toString().substring(0, 8);
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".v")
                    .retentionPolicy(RetentionPolicy.WorkQueue).discardPolicy(DiscardPolicy.New).maxMessages(1000)
                    .storageType(StorageType.File).duplicateWindow(Duration.ofMinutes(2)).build());
            jsm.addOrUpdateConsumer(name, ConsumerConfiguration.builder().durable("readers")
                    .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(30)).maxAckPending(-1).build());
            JetStream js = c.jetStream();
            AtomicLong read = new AtomicLong();
            long t0 = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int share = values / writers;
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < share; i++) {
                        PublishOptions id = PublishOptions.builder().messageId(UUID.randomUUID().toString()).build();
                        for (;;) {
                            try {
                                js.publish(name + ".v", payload(i), id);
                                break;
                            } catch (io.nats.client.JetStreamApiException full) {
                                Thread.onSpinWait(); // maximum messages exceeded: try again
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }
                }));
            }
            for (int r = 0; r < readers; r++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        JetStreamSubscription sub = js.subscribe(null, PullSubscribeOptions.bind(name, "readers"));
                        while (read.get() < values) {
                            for (Message m : sub.fetch(64, Duration.ofMillis(200))) {
                                m.ackSync(Duration.ofSeconds(5));
                                read.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            double rate = values / ((System.nanoTime() - t0) / 1e9);
            jsm.deleteStream(name);
            return rate;
        }
    }

    private static byte[] payload(int i) {
        return ByteBuffer.allocate(64).putInt(i).array();
    }

    private static String binary() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin").split(File.pathSeparator)) {
            File f = new File(dir, "nats-server");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        throw new IllegalStateException("nats-server not found: install it with 'apt-get install nats-server'");
    }

    private static void awaitServer(String url) throws InterruptedException {
        for (int i = 0; ; i++) {
            try (Connection c = Nats.connect(url)) {
                return;
            } catch (Exception notYet) {
                if (i > 100) {
                    throw new IllegalStateException("nats-server did not start at " + url, notYet);
                }
                Thread.sleep(100);
            }
        }
    }
}
