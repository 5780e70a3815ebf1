package io.qfiber.examples.webserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebServerTest {
    private static final byte[] REQUEST = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private WebServer.Running server;

    @BeforeEach
    void start() {
        WebServer web = new WebServer(new PrintStream(log, true, StandardCharsets.UTF_8), false, Duration.ofSeconds(2));
        server = web.start(0, 2);
        assertThat(server).isNotNull();
    }

    @AfterEach
    void stop() {
        server.listener().cancel(); // the listener closes its server and its receivers' channels
        assertThat(server.listener().join(Duration.ofSeconds(10))).isTrue();
        // the receivers were forked into the listener's scope: they ended before it did
        assertThat(io.qfiber.FiberDump.snapshot(false)).noneMatch(f -> f.name().startsWith("receiver-"));
    }

    @Test
    void startsOneThreadedReceiverPerCore() throws Exception {
        byte[] response = request(REQUEST);
        assertThat(response).isEqualTo(WebServer.RESPONSE);
        // the receivers print as they start, on their own threads: wait for both lines
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!log.toString(StandardCharsets.UTF_8).contains("1: receiver started (thread=receiver-1)")
                && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        String printed = log.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("Starting listener on " + server.port(),
                "0: receiver started (thread=receiver-0)", "1: receiver started (thread=receiver-1)");
    }

    @Test
    void servesTwoThousandRequestsFromFiftyConcurrentClientsByteExact() throws Exception {
        List<Future<Integer>> clients = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 50; c++) {
                clients.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 40; i++) {
                        if (java.util.Arrays.equals(request(REQUEST), WebServer.RESPONSE)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : clients) {
                ok += f.get(100, TimeUnit.SECONDS);
            }
            assertThat(ok).isEqualTo(2000);
        }
    }

    @Test
    void idleClientsDoNotStopOthersFromBeingServed() throws Exception {
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            idle.add(s);
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> responses = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                responses.add(pool.submit(() -> request(REQUEST)));
            }
            for (Future<byte[]> f : responses) {
                assertThat(f.get(100, TimeUnit.SECONDS)).isEqualTo(WebServer.RESPONSE);
            }
        }
        // the idle ones are dropped once the request timeout passes
        for (Socket s : idle) {
            s.setSoTimeout(10_000);
            assertThat(s.getInputStream().read()).as("idle connection closed by the server").isEqualTo(-1);
            s.close();
        }
    }

    @Test
    void answers431ToAnOversizedRequest() throws Exception {
        byte[] huge = new byte[WebServer.MAX_REQUEST]; // fills the buffer without a request end, all of it read
        java.util.Arrays.fill(huge, (byte) 'a');
        assertThat(new String(request(huge), StandardCharsets.US_ASCII)).startsWith("HTTP/1.0 431 ");
    }

    @Test
    void aRequestSplitAcrossPacketsIsServed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStreamWriterHelper.writeSlowly(s, REQUEST);
            assertThat(readAll(s.getInputStream())).isEqualTo(WebServer.RESPONSE);
        }
    }

    @Test
    void answersAClientThatHalfClosesAfterItsRequest() throws Exception {
        // printf 'GET / HTTP/1.0\r\n\r\n' | nc -N 127.0.0.1 3128
        for (int i = 0; i < 50; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                s.setSoTimeout(30_000);
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                assertThat(readAll(s.getInputStream())).as("round " + i).isEqualTo(WebServer.RESPONSE);
            }
        }
    }

    @Test
    void reportsABindFailureAsTheOriginalDoes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WebServer other = new WebServer(new PrintStream(out, true, StandardCharsets.UTF_8), false);
        assertThat(other.start(server.port(), 1)).isNull();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Failed to bind on port " + server.port());
    }

    private byte[] request(byte[] request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            return readAll(s.getInputStream());
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[1024];
        for (int n; (n = in.read(buf)) > 0; ) {
            got.write(buf, 0, n);
        }
        return got.toByteArray();
    }

    /** Writes a request a few bytes at a time, flushing each piece. */
    static final class OutputStreamWriterHelper {
        static void writeSlowly(Socket s, byte[] bytes) throws IOException {
            s.setTcpNoDelay(true);
            for (int i = 0; i < bytes.length; i += 3) {
                s.getOutputStream().write(bytes, i, Math.min(3, bytes.length - i));
                s.getOutputStream().flush();
                Thread.onSpinWait();
            }
        }
    }
}
