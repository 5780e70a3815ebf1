package io.qfiber.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.NettyLeakRecorder;
import io.qfiber.TestSupport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A TCP socket that behaves like one: a peer's end of stream ends our reading only, and data that
 * arrived before a close is always readable. These are races, so each runs many rounds; in both
 * threading modes, with handlers both on the shared scheduler and carried by a threaded fiber.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpEndOfStreamTest {
    static {
        NettyLeakRecorder.install();
    }

    private static final byte[] REQUEST = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nHello World\n"
            .getBytes(StandardCharsets.US_ASCII);


    /** Reads the request until the peer's end of stream, then answers: needs our sending to survive it. */
    private static void answerAfterEndOfStream(TcpSocket s, AtomicInteger requestsSeen) {
        try (s) {
            if (readAll(s).equals(new String(REQUEST, StandardCharsets.US_ASCII))) {
                requestsSeen.incrementAndGet();
            }
            s.send(RESPONSE);
        }
    }

    @Test
    void aClientThatHalfClosesAfterItsRequestGetsTheWholeResponse() throws Exception {
        int rounds = TestSupport.scaled(200);
        AtomicInteger requestsSeen = new AtomicInteger();
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Channel<TcpSocket> toReceiver = Channel.create();
            Fiber<Void> receiver = Fiber.builder().name("receiver").threaded().start(() -> {
                for (TcpSocket s : toReceiver) {
                    Fiber.builder().name("carried-handler").detached().start(() -> answerAfterEndOfStream(s, requestsSeen));
                }
            });
            Fiber<Void> listener = Fiber.start("listener", () -> {
                for (int i = 0; ; i++) {
                    TcpSocket s = server.takeNext().socket();
                    if (i % 2 == 0) {
                        toReceiver.write(s);
                    } else {
                        Fiber.builder().name("handler").detached().start(() -> answerAfterEndOfStream(s, requestsSeen));
                    }
                }
            });
            for (int i = 0; i < rounds; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    client.setSoTimeout(10_000);
                    client.getOutputStream().write(REQUEST);
                    client.shutdownOutput(); // as `nc -N` does
                    assertThat(client.getInputStream().readAllBytes()).as("round " + i).isEqualTo(RESPONSE);
                }
            }
            assertThat(requestsSeen.get()).isEqualTo(rounds);
            listener.cancel();
            toReceiver.close();
            receiver.join();
        }
    }

    @ParameterizedTest(name = "carried={0}")
    @ValueSource(booleans = {false, true})
    void aResponseTooLargeForTheSocketBuffersAfterThePeersEndOfStreamArrivesWhole(boolean carried) throws Exception {
        // After the peer's end of stream the socket waits for nothing, so Netty drops it from the
        // epoll set; a send that fills the kernel's buffer then waits for room, which must
        // bring it back rather than fail the connection.
        int rounds = TestSupport.scaled(10);
        int size = 16 << 20;
        byte[] response = new byte[size];
        new java.util.Random(5).nextBytes(response);
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            for (int i = 0; i < rounds; i++) {
                Fiber.Builder b = Fiber.builder().name(carried ? "threaded-answerer" : "answerer");
                Fiber<String> answerer = (carried ? b.threaded() : b).start(() -> {
                    try (TcpSocket s = server.takeNext().socket()) {
                        String request = readAll(s);
                        s.send(response);
                        return request;
                    }
                });
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    client.setSoTimeout(20_000);
                    client.getOutputStream().write(REQUEST);
                    client.shutdownOutput();
                    byte[] got = client.getInputStream().readAllBytes();
                    assertThat(got.length).as("bytes of the response, round %d", i).isEqualTo(size);
                    assertThat(java.util.Arrays.equals(got, response)).as("the response's bytes, round %d", i).isTrue();
                }
                assertThat(answerer.join()).isEqualTo(new String(REQUEST, StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void ourClientKeepsSendingAfterTheServerHalfCloses() throws Exception {
        int rounds = TestSupport.scaled(100);
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofPlatform().name("raw-half-closing-server").start(() -> {
                for (int i = 0; i < rounds; i++) {
                    try (Socket s = raw.accept()) {
                        s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                        s.shutdownOutput();
                        byte[] got = s.getInputStream().readAllBytes();
                        if (!new String(got, StandardCharsets.US_ASCII).equals("bye")) {
                            throw new AssertionError("server got '" + new String(got, StandardCharsets.US_ASCII) + "'");
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            for (int i = 0; i < rounds; i++) {
                boolean carried = i % 2 == 1;
                Fiber.Builder b = Fiber.builder().name("client-" + i);
                Fiber<String> client = (carried ? b.threaded() : b).start(() -> {
                    try (TcpSocket s = TcpSocket.connect("127.0.0.1", raw.getLocalPort(), Duration.ofSeconds(5))) {
                        String heard = readAll(s);
                        assertThat(s.isOpen()).as("a peer's end of stream leaves our side open").isTrue();
                        s.send("bye".getBytes(StandardCharsets.US_ASCII));
                        return heard;
                    }
                });
                assertThat(client.join()).as("round " + i).isEqualTo("hello");
            }
            server.join(30_000);
            assertThat(server.isAlive()).isFalse();
        }
    }

    private static String readAll(TcpSocket s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16];
        for (int n; (n = s.recv(buf, Duration.ofSeconds(10))) != -1; ) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void connectingToAServerThatSendsAndClosesAtOnceAlwaysConnectsAndReadsTheBytes() throws Exception {
        int rounds = TestSupport.scaled(500);
        try (ServerSocket raw = new ServerSocket(0, 200, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofPlatform().name("raw-greeter").start(() -> {
                for (int i = 0; i < rounds; i++) {
                    try (Socket s = raw.accept()) {
                        s.getOutputStream().write(("greeting " + i).getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            Fiber<Integer> shared = Fiber.start("shared-clients", () -> greet(raw.getLocalPort(), 0, rounds / 2));
            assertThat(shared.join()).isEqualTo(rounds / 2);
            Fiber<Integer> carried = Fiber.builder().name("carrier").threaded().start(() ->
                    Fiber.start("carried-clients", () -> greet(raw.getLocalPort(), rounds / 2, rounds)).join());
            assertThat(carried.join()).isEqualTo(rounds - rounds / 2);
            server.join(30_000);
            assertThat(server.isAlive()).isFalse();
        }
    }

    private static int greet(int port, int from, int to) {
        int ok = 0;
        for (int i = from; i < to; i++) {
            try (TcpSocket s = TcpSocket.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
                assertThat(readAll(s)).as("round " + i).isEqualTo("greeting " + i);
                assertThat(s.recv(new byte[4])).isEqualTo(-1);
                ok++;
            }
        }
        return ok;
    }

    @Test
    void dataOfAConnectionClosedBeforeItWasTakenIsStillReadable() throws Exception {
        int rounds = TestSupport.scaled(100);
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            for (int i = 0; i < rounds; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    client.getOutputStream().write(("early " + i).getBytes(StandardCharsets.US_ASCII));
                }
                boolean carried = i % 2 == 1;
                Fiber.Builder b = Fiber.builder().name("late-taker-" + i);
                Fiber<String> taker = (carried ? b.threaded() : b).start(() -> {
                    try (TcpSocket s = server.takeNext().socket()) {
                        return readAll(s);
                    }
                });
                assertThat(taker.join()).as("round " + i).isEqualTo("early " + i);
            }
        }
    }

    @Test
    void ourSocketHalfClosesAndKeepsReading() throws Exception {
        int rounds = TestSupport.scaled(100);
        AtomicInteger requestsSeen = new AtomicInteger();
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Fiber<Void> listener = Fiber.start("listener", () -> {
                for (;;) {
                    TcpSocket s = server.takeNext().socket();
                    Fiber.builder().name("handler").detached().start(() -> answerAfterEndOfStream(s, requestsSeen));
                }
            });
            for (int i = 0; i < rounds; i++) {
                boolean carried = i % 2 == 1;
                Fiber.Builder b = Fiber.builder().name("half-closing-client-" + i);
                Fiber<String> client = (carried ? b.threaded() : b).start(() -> {
                    try (TcpSocket s = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5))) {
                        s.send(REQUEST);
                        s.shutdownOutput(); // the server reads until our end of stream, then answers
                        s.shutdownOutput(); // idempotent
                        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.send(REQUEST))
                                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("output shut down");
                        return readAll(s);
                    }
                });
                assertThat(client.join()).as("round " + i).isEqualTo(new String(RESPONSE, StandardCharsets.US_ASCII));
            }
            assertThat(requestsSeen.get()).isEqualTo(rounds);
            listener.cancel();
        }
    }

    @Test
    void shutdownOutputOfAClosedSocketFailsAndIsRefusedOnEventLoops() throws Exception {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            TcpSocket client = TcpSocket.connect("127.0.0.1", server.port(), Duration.ofSeconds(5));
            Throwable onLoop = reactor.core.publisher.Mono.fromCallable(() -> TestSupport.catching(client::shutdownOutput))
                    .subscribeOn(reactor.core.scheduler.Schedulers.parallel()).block(Duration.ofSeconds(5));
            assertThat(onLoop).isInstanceOf(IllegalStateException.class);
            client.close();
            org.assertj.core.api.Assertions.assertThatThrownBy(client::shutdownOutput)
                    .isInstanceOf(UncheckedIOException.class).hasMessageContaining("closed");
            server.takeNext().socket().close();
        }
    }

    @Test
    void sendingAfterTheClientHalfClosedReachesIt() throws Exception {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            client.shutdownOutput();
            Fiber<Void> talker = Fiber.start("talker", () -> {
                try (TcpSocket s = server.takeNext().socket()) {
                    assertThat(s.recv(new byte[8])).isEqualTo(-1);
                    byte[] chunk = new byte[64 * 1024];
                    java.util.Arrays.fill(chunk, (byte) 'x');
                    for (int i = 0; i < 16; i++) { // 1 MiB after the peer's end of stream
                        s.send(chunk);
                    }
                }
            });
            InputStream in = client.getInputStream();
            assertThat(in.readAllBytes()).hasSize(16 * 64 * 1024);
            talker.join();
        }
    }
}
