package io.qfiber.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import io.qfiber.NettyLeakRecorder;
import io.qfiber.TestSupport;
import io.qfiber.internal.net.NettyConnection;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpTest {
    static {
        NettyLeakRecorder.install();
    }


    @Test
    void echoesOneMebibyteIntact() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Fiber<Void> echo = Fiber.start("echo", () -> {
                try (TcpSocket s = server.takeNext().socket()) {
                    byte[] buf = new byte[8192];
                    for (int n; (n = s.recv(buf)) > 0; ) {
                        s.send(buf, 0, n);
                    }
                }
            });
            byte[] payload = new byte[1 << 20];
            new Random(42).nextBytes(payload);
            try (TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5))) {
                Fiber<Void> sender = Fiber.start("sender", () -> {
                    for (int off = 0; off < payload.length; off += 10_000) {
                        client.send(payload, off, Math.min(10_000, payload.length - off));
                    }
                });
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] buf = new byte[16384];
                while (got.size() < payload.length) {
                    int n = client.recv(buf);
                    assertThat(n).isPositive();
                    got.write(buf, 0, n);
                }
                sender.join();
                assertThat(crc(got.toByteArray())).isEqualTo(crc(payload));
                assertThat(got.size()).isEqualTo(payload.length);
            }
            echo.join();
        }
    }

    @Test
    void recvTimesOutWithSocketTimeoutExceptionAndStaysUsable() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
             TcpSocket accepted = server.takeNext().socket()) {
            assertThatThrownBy(() -> accepted.recv(new byte[10], Duration.ofMillis(50)))
                    .isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(SocketTimeoutException.class);
            client.send("hi".getBytes());
            byte[] buf = new byte[10];
            int n = accepted.recv(buf, Duration.ofSeconds(5));
            assertThat(new String(buf, 0, n)).isEqualTo("hi");
        }
    }

    @Test
    void recvReturnsMinusOneAtEndOfStreamAfterTheData() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
            TcpSocket accepted = server.takeNext().socket();
            assertThat(accepted.peerAddress()).isEqualTo(client.localAddress());
            assertThat(accepted.localAddress()).isEqualTo(client.peerAddress());
            client.send("bye".getBytes());
            client.close();
            client.close(); // idempotent
            assertThat(client.isOpen()).isFalse();
            byte[] buf = new byte[10];
            assertThat(accepted.recv(buf)).isEqualTo(3);
            assertThat(accepted.recv(buf)).isEqualTo(-1);
            assertThat(accepted.recv(buf)).isEqualTo(-1);
            accepted.close();
        }
    }

    @Test
    void peerResetSurfacesAsAnErrorNotAHang() throws Exception {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Socket raw = new Socket("127.0.0.1", server.port());
            TcpSocket accepted = server.takeNext().socket();
            Fiber<Integer> reader = Fiber.start("reader", () -> accepted.recv(new byte[10]));
            TestSupport.awaitBlocked(reader);
            raw.setSoLinger(true, 0);
            raw.close(); // RST
            Throwable error = TestSupport.catching(reader::join);
            // a reset is reported as an error (or, where the OS folds it into a close, as end of stream)
            if (error == null) {
                assertThat(reader.join()).isEqualTo(-1);
            } else {
                assertThat(error).hasCauseInstanceOf(UncheckedIOException.class);
            }
            TestSupport.awaitCondition("the reset socket to close", () -> !accepted.isOpen());
            assertThatThrownBy(() -> {
                for (int i = 0; i < 100; i++) {
                    accepted.send(new byte[1024]);
                }
            }).isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(java.io.IOException.class);
            accepted.close();
        }
    }

    @Test
    void bindingATakenPortFailsWithBindExceptionNamingHostAndPort() {
        try (TcpServer first = TcpServer.listen("127.0.0.1", 0)) {
            assertThatThrownBy(() -> TcpServer.listen("127.0.0.1", first.port()))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(BindException.class)
                    .hasMessageContaining("127.0.0.1:" + first.port());
        }
    }

    @Test
    void portIsReusableAfterClose() {
        TcpServer first = TcpServer.listen("127.0.0.1", 0);
        int port = first.port();
        first.close();
        first.close(); // idempotent
        try (TcpServer again = TcpServer.listen("127.0.0.1", port)) {
            assertThat(again.port()).isEqualTo(port);
        }
    }

    @Test
    void closeWakesFibersBlockedInRecvAndTakeNext() {
        TcpServer server = TcpServer.listen("127.0.0.1", 0);
        TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
        TcpSocket accepted = server.takeNext().socket();
        Fiber<Integer> reader = Fiber.start("reader", () -> accepted.recv(new byte[10]));
        Fiber<Object> taker = Fiber.start("taker", () -> server.takeNext());
        TestSupport.awaitBlocked(reader);
        TestSupport.awaitBlocked(taker);
        accepted.close();
        server.close();
        assertThat(TestSupport.catching(reader::join)).hasCauseInstanceOf(UncheckedIOException.class)
                .hasRootCauseInstanceOf(SocketException.class);
        assertThat(TestSupport.catching(taker::join)).hasCauseInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(server::takeNext).isInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(() -> accepted.send(new byte[1])).isInstanceOf(UncheckedIOException.class);
        client.close();
    }

    @Test
    void aCancelledRecvThrowsCancellation() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
             TcpSocket accepted = server.takeNext().socket()) {
            Fiber<Integer> reader = Fiber.start("reader", () -> accepted.recv(new byte[10]));
            TestSupport.awaitBlocked(reader);
            reader.cancel();
            assertThatThrownBy(reader::join).isInstanceOf(CancellationException.class);
            client.send(new byte[] {7});
            byte[] buf = new byte[1];
            assertThat(accepted.recv(buf)).isEqualTo(1);
            assertThat(buf[0]).as("the cancelled recv consumed nothing").isEqualTo((byte) 7);
        }
    }

    @Test
    void aSocketAcceptedInOneFiberWorksFromAThreadedFiber() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Channel<TcpServer.ConnectionInfo> handOff = Channel.create();
            Fiber.start("listener", () -> handOff.write(server.takeNext()));
            Fiber<String> receiver = Fiber.builder().name("receiver-0").threaded().start(() -> {
                try (TcpSocket s = handOff.read().socket()) {
                    byte[] buf = new byte[64];
                    int n = s.recv(buf);
                    s.send(("echo " + new String(buf, 0, n) + " from " + Thread.currentThread().getName()).getBytes());
                    return "done";
                }
            });
            try (TcpSocket client = TcpSocket.connect("localhost", server.port(), Duration.ofSeconds(5))) {
                client.send("ping".getBytes());
                byte[] buf = new byte[64];
                int n = client.recv(buf, Duration.ofSeconds(10));
                assertThat(new String(buf, 0, n)).isEqualTo("echo ping from receiver-0");
            }
            assertThat(receiver.join()).isEqualTo("done");
        }
    }

    @Test
    void blockingCallsAreRefusedOnNonBlockingThreads() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5))) {
            Throwable[] errors = Mono.fromCallable(() -> new Throwable[] {
                    TestSupport.catching(() -> client.recv(new byte[1])),
                    TestSupport.catching(() -> client.send(new byte[1])),
                    TestSupport.catching(server::takeNext),
                    TestSupport.catching(() -> TcpServer.listen("127.0.0.1", 0)),
                    TestSupport.catching(() -> TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(1)))
            }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
            assertThat(errors).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("non-blocking"));
            server.takeNext().socket().close();
        }
    }

    @Test
    void badArgumentsFailAtOnce() {
        assertThatThrownBy(() -> TcpServer.listen(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> TcpServer.listen(65536)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65536");
        assertThatThrownBy(() -> TcpSocket.connect("127.0.0.1", 0, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpSocket.connect("127.0.0.1", 80, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> TcpSocket.connect(null, 80, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class);
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> client.recv(new byte[4], 2, 3)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> client.send(new byte[4], -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(client.recv(new byte[0])).isZero();
            server.takeNext().socket().close();
        }
    }

    @Test
    void connectingToAClosedPortFailsWithTheCause() {
        TcpServer server = TcpServer.listen("127.0.0.1", 0);
        int port = server.port();
        server.close();
        assertThatThrownBy(() -> TcpSocket.connect("127.0.0.1", port, Duration.ofSeconds(5)))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("127.0.0.1:" + port)
                .hasCauseInstanceOf(java.net.ConnectException.class);
    }

    @Test
    void anUnreadSocketStopsReadingFromTheNetwork() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
             TcpSocket accepted = server.takeNext().socket()) {
            AtomicLong sent = new AtomicLong();
            long total = 256L << 20;
            Fiber<Void> sender = Fiber.start("flood", () -> {
                byte[] chunk = new byte[64 * 1024];
                while (sent.get() < total) {
                    client.send(chunk);
                    sent.addAndGet(chunk.length);
                }
            });
            // wait for the steady state: the sender blocked and its count unchanged for a while
            long stalledAt = -1;
            for (int stable = 0; stable < 5; ) {
                long now = sent.get();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                Thread t = TestSupport.threadOf(sender);
                boolean blocked = t != null && t.getState() == Thread.State.WAITING;
                stable = blocked && now == sent.get() && now == stalledAt ? stable + 1 : 0;
                stalledAt = now;
                assertThat(now).as("the flow must stop well before the 256 MiB sent").isLessThan(64L << 20);
            }
            assertThat(stalledAt).as("bytes accepted before the flow stopped").isLessThan(64L << 20);
            byte[] buf = new byte[64 * 1024];
            long drained = 0;
            while (drained < stalledAt + (1 << 20)) {
                drained += accepted.recv(buf); // reading resumes the flow
            }
            assertThat(sent.get()).isGreaterThan(stalledAt);
            sender.cancel();
        }
    }

    @Test
    void acceptingPausesWhenTheBacklogIsFull() throws Exception {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Socket[] clients = new Socket[TcpServer.BACKLOG + 100];
            for (int i = 0; i < clients.length; i++) {
                clients[i] = new Socket();
                clients[i].connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
            }
            TestSupport.awaitCondition("the backlog to fill", () -> server.pendingConnections() >= TcpServer.BACKLOG);
            assertThat(server.pendingConnections()).as("accepting paused near the backlog size")
                    .isLessThanOrEqualTo(TcpServer.BACKLOG + 64);
            int taken = 0;
            for (int i = 0; i < clients.length; i++) {
                server.takeNext().socket().close();
                taken++;
            }
            assertThat(taken).as("every waiting connection was accepted after resuming").isEqualTo(clients.length);
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    @Test
    void tenThousandConnectCloseCyclesLeakNoDescriptors() {
        int cycles = 10_000 * Integer.getInteger("qfiber.stress", 1);
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Fiber<Void> acceptor = Fiber.start("acceptor", () -> {
                for (;;) {
                    TcpSocket s = server.takeNext().socket();
                    Fiber.builder().name("closer").detached().start(() -> {
                        try (s) {
                            s.recv(new byte[16]); // until the client's close
                        }
                    });
                }
            });
            // warm up once so lazily opened descriptors (epoll, pipes) exist before counting
            TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5)).close();
            TestSupport.awaitCondition("warm-up closed", () -> NettyConnection.openConnections() == 0);
            long before = openDescriptors();
            for (int i = 0; i < cycles; i++) {
                TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5)).close();
            }
            TestSupport.awaitCondition("all connections closed", () -> NettyConnection.openConnections() == 0);
            TestSupport.awaitCondition("descriptors back to " + before, () -> openDescriptors() <= before);
            acceptor.cancel();
        }
    }

    @Test
    void closeRacesWithSendersAndReadersWithoutHangsOrLeaks() {
        int rounds = 200 * Integer.getInteger("qfiber.stress", 1);
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            for (int r = 0; r < rounds; r++) {
                TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
                TcpSocket accepted = server.takeNext().socket();
                Fiber<Void> sender = Fiber.start("sender", () -> {
                    byte[] chunk = new byte[4096];
                    try {
                        for (;;) {
                            client.send(chunk);
                        }
                    } catch (UncheckedIOException closed) {
                        // expected once either side closes
                    }
                });
                Fiber<Long> reader = Fiber.start("reader", () -> {
                    long total = 0;
                    byte[] buf = new byte[8192];
                    try {
                        for (int n; (n = accepted.recv(buf)) > 0; ) {
                            total += n;
                        }
                    } catch (UncheckedIOException closed) {
                        // closed here while reading
                    }
                    return total;
                });
                if (r % 2 == 0) {
                    accepted.close();
                } else {
                    client.close();
                }
                assertThat(reader.join(Duration.ofSeconds(10))).as("reader ends, round %d", r).isTrue();
                assertThat(sender.join(Duration.ofSeconds(10))).as("sender ends, round %d", r).isTrue();
                client.close();
                accepted.close();
            }
        }
        TestSupport.awaitCondition("all connections closed", () -> NettyConnection.openConnections() == 0);
    }

    @Test
    void serverCloseUnderConnectLoadLeavesNothingOpen() {
        TcpServer server = TcpServer.listen("127.0.0.1", 0);
        int port = server.port();
        Fiber<Integer> connector = Fiber.start("connector", () -> {
            int connected = 0;
            for (int i = 0; i < 2000; i++) {
                try (TcpSocket s = TcpSocket.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
                    connected++;
                } catch (UncheckedIOException refusedAfterClose) {
                    break;
                }
            }
            return connected;
        });
        TestSupport.awaitCondition("some connections waiting", () -> server.pendingConnections() > 10);
        server.close(); // closes the accepted-but-untaken ones too
        assertThat(connector.join()).isPositive();
        TestSupport.awaitCondition("all connections closed", () -> NettyConnection.openConnections() == 0);
    }

    @Test
    void concurrentSendersEachWriteTheirChunksWhole() {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
             TcpSocket accepted = server.takeNext().socket()) {
            int senders = 4;
            int perSender = 500;
            int chunk = 100;
            java.util.List<Fiber<Void>> fibers = new java.util.ArrayList<>();
            for (int f = 0; f < senders; f++) {
                byte mark = (byte) ('a' + f);
                fibers.add(Fiber.start("sender-" + f, () -> {
                    byte[] bytes = new byte[chunk];
                    java.util.Arrays.fill(bytes, mark);
                    for (int i = 0; i < perSender; i++) {
                        client.send(bytes);
                    }
                }));
            }
            byte[] all = new byte[senders * perSender * chunk];
            int got = 0;
            while (got < all.length) {
                got += accepted.recv(all, got, all.length - got);
            }
            fibers.forEach(Fiber::join);
            for (int i = 0; i < all.length; i += chunk) {
                for (int j = 1; j < chunk; j++) {
                    assertThat(all[i + j]).as("chunk at %d is whole", i).isEqualTo(all[i]);
                }
            }
        }
    }

    /**
     * Readers that fall behind and catch up over and over: the connection's demand runs out and
     * comes back many times (reading from the network stops and starts), racing the data that
     * arrives, and every byte arrives once, in order.
     */
    @Test
    void readersThatFallBehindAndCatchUpGetEveryByteOnceInOrder() {
        int connections = 8;
        int bytesEach = (2 << 20) * TestSupport.stress();
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            java.util.List<Fiber<long[]>> readers = new java.util.ArrayList<>();
            java.util.List<Fiber<Long>> senders = new java.util.ArrayList<>();
            java.util.List<TcpSocket> clients = new java.util.ArrayList<>();
            try {
                for (int c = 0; c < connections; c++) {
                    TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
                    clients.add(client);
                    TcpSocket accepted = server.takeNext().socket();
                    long seed = c;
                    senders.add(Fiber.start("sender-" + c, () -> {
                        Random random = new Random(seed);
                        byte[] payload = new byte[bytesEach];
                        random.nextBytes(payload);
                        for (int off = 0; off < payload.length; ) {
                            int n = Math.min(1 + random.nextInt(3000), payload.length - off);
                            client.send(payload, off, n);
                            off += n;
                        }
                        return crc(payload);
                    }));
                    readers.add(Fiber.start("reader-" + c, () -> {
                        try (accepted) {
                            Random random = new Random(~seed);
                            CRC32 crc = new CRC32();
                            byte[] buf = new byte[4096];
                            long got = 0;
                            while (got < bytesEach) {
                                int n = accepted.recv(buf, 0, 1 + random.nextInt(buf.length));
                                crc.update(buf, 0, n);
                                got += n;
                                if (random.nextInt(64) == 0) {
                                    LockSupport.parkNanos(200_000); // fall behind: the backlog builds up
                                }
                            }
                            return new long[] {got, crc.getValue()};
                        }
                    }));
                }
                for (int c = 0; c < connections; c++) {
                    long sent = senders.get(c).join();
                    long[] got = readers.get(c).join();
                    assertThat(got[0]).as("bytes read on connection %d", c).isEqualTo(bytesEach);
                    assertThat(got[1]).as("checksum on connection %d", c).isEqualTo(sent);
                }
            } finally {
                clients.forEach(TcpSocket::close);
            }
        }
    }

    // ---- helpers ----

    static long openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return Objects.requireNonNull(fds, "/proc/self/fd").length;
    }

    static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }
}
