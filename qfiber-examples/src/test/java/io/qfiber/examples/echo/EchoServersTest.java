package io.qfiber.examples.echo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.netty.DisposableServer;

/** The keep-alive benchmark's servers echo every byte on every connection, in order. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EchoServersTest {
    private static final int CONNECTIONS = 40;
    private static final int MESSAGES = 200;

    /** Runs the benchmark's workload briefly: many connections, each a series of 64-byte echoes. */
    private static void echoes(int port) throws Exception {
        AtomicLong checksum = new AtomicLong();
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS; c++) {
            int id = c;
            clients.add(CompletableFuture.runAsync(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    byte[] msg = new byte[64];
                    byte[] back = new byte[64];
                    for (int m = 0; m < MESSAGES; m++) {
                        Arrays.fill(msg, (byte) (id * 31 + m));
                        out.write(msg);
                        in.readFully(back);
                        assertThat(back).isEqualTo(msg);
                        checksum.addAndGet(back[0]);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, task -> Thread.ofVirtual().name("client").start(task)));
        }
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        long expected = 0;
        for (int c = 0; c < CONNECTIONS; c++) {
            for (int m = 0; m < MESSAGES; m++) {
                expected += (byte) (c * 31 + m);
            }
        }
        assertThat(checksum.get()).isEqualTo(expected);
    }

    @Test
    void theFiberServerEchoes() throws Exception {
        FiberEchoServer.Running server = FiberEchoServer.start(0, 2);
        try {
            echoes(server.port());
        } finally {
            server.listener().cancel();
            server.listener().join(java.time.Duration.ofSeconds(10));
        }
        assertThat(server.listener().isAlive()).isFalse();
    }

    @Test
    void theRawNettyServerEchoes() throws Exception {
        DisposableServer server = RawNettyEchoServer.start(0);
        try {
            echoes(server.port());
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void theJdkServerEchoes() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4096)) {
            Thread acceptor = Thread.ofPlatform().start(() -> JdkEchoServer.serve(server));
            echoes(server.getLocalPort());
            server.close();
            acceptor.join();
        }
    }
}
