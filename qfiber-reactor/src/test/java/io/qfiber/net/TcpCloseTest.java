package io.qfiber.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.Fiber;
import io.qfiber.FiberDump;
import io.qfiber.NettyLeakRecorder;
import io.qfiber.internal.net.NettyConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Closing a socket delivers what returned sends handed over, as a plain {@link Socket}'s close
 * does: against a plain-socket peer that reads slowly, in every way a close can come.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpCloseTest {
    static {
        NettyLeakRecorder.install();
    }

    static final int CHUNK = 16 * 1024;
    /** More than the kernel's socket buffers on both sides take: the rest waits in Netty's buffer. */
    static final int CHUNKS = 8 * 64;
    static final long SLOW_BYTES = (long) CHUNKS * CHUNK - 256 * 1024;

    /** A plain-socket peer: accepts one connection, reads it to its end, slowly at first. */
    static final class SlowPeer implements AutoCloseable {
        final ServerSocket server;
        final CompletableFuture<long[]> received = new CompletableFuture<>(); // {bytes, crc}
        final CountDownLatch mayRead;
        final long slowBytes;

        /** A peer that starts reading once {@code mayRead} opens, slowly for its first {@code slowBytes}. */
        SlowPeer(CountDownLatch mayRead, long slowBytes) throws IOException {
            this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            this.mayRead = mayRead;
            this.slowBytes = slowBytes;
            Thread.ofPlatform().name("slow-peer").start(this::readAll);
        }

        private void readAll() {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                mayRead.await();
                CRC32 crc = new CRC32();
                long total = 0;
                byte[] buf = new byte[1024];
                int reads = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    crc.update(buf, 0, n);
                    total += n;
                    if (total < slowBytes && ++reads % 4 == 0) {
                        Thread.sleep(1); // a slow reader: the sender's buffers stay full
                    }
                }
                received.complete(new long[] {total, crc.getValue()});
            } catch (IOException | InterruptedException e) {
                received.completeExceptionally(e);
            }
        }

        int port() {
            return server.getLocalPort();
        }

        long[] awaitEnd() throws Exception {
            return received.get(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    static byte[] chunk(int i) {
        byte[] b = new byte[CHUNK];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (i * 31 + k);
        }
        return b;
    }

    @Test
    void aCloseRightAfterTheLastSendDeliversEveryByte() throws Exception {
        for (int round = 0; round < 2; round++) {
            CountDownLatch go = new CountDownLatch(1);
            go.countDown();
            try (SlowPeer peer = new SlowPeer(go, SLOW_BYTES)) {
                CRC32 sent = new CRC32();
                Fiber<Void> sender = Fiber.start("sender", () -> {
                    TcpSocket s = TcpSocket.connect("127.0.0.1", peer.port(), Duration.ofSeconds(5));
                    for (int i = 0; i < CHUNKS; i++) {
                        byte[] b = chunk(i);
                        s.send(b);
                        sent.update(b);
                    }
                    s.close();
                });
                sender.join();
                long[] got = peer.awaitEnd();
                assertThat(got[0]).as("bytes received, round %d", round).isEqualTo((long) CHUNKS * CHUNK);
                assertThat(got[1]).as("checksum, round %d", round).isEqualTo(sent.getValue());
            }
        }
    }

    @Test
    void aCloseFromAnotherFiberDeliversWhatReturnedSendsHandedOver() throws Exception {
        for (int round = 0; round < 3; round++) {
            CountDownLatch go = new CountDownLatch(1);
            try (SlowPeer peer = new SlowPeer(go, 0)) {
                TcpSocket s = TcpSocket.connect("127.0.0.1", peer.port(), Duration.ofSeconds(5));
                AtomicLong returned = new AtomicLong();
                java.util.concurrent.atomic.AtomicReference<String> wokenWith = new java.util.concurrent.atomic.AtomicReference<>();
                CountDownLatch someSent = new CountDownLatch(1);
                Fiber<Void> sender = Fiber.start("sender", () -> {
                    try {
                        for (int i = 0; ; i++) {
                            s.send(chunk(i));
                            returned.addAndGet(CHUNK);
                            someSent.countDown();
                        }
                    } catch (UncheckedIOException closedUnderIt) {
                        // the close came while this send waited for room: it says so
                        wokenWith.set(closedUnderIt.getMessage());
                    }
                });
                assertThat(someSent.await(30, TimeUnit.SECONDS)).isTrue();
                awaitStuck("sender", returned);
                s.close(); // from this thread, while the sender is parked for room
                assertThat(sender.join(Duration.ofSeconds(30))).as("the sender woke").isTrue();
                assertThat(wokenWith.get()).as("the parked send's failure").contains("the socket was closed");
                go.countDown();
                long[] got = peer.awaitEnd();
                // everything that returned arrived, and at most the chunk being sent at the close on top
                assertThat(got[0]).as("bytes received, round %d", round)
                        .isBetween(returned.get(), returned.get() + CHUNK);
            }
        }
    }

    @Test
    void aSenderCancelledWhileParkedThenClosingDeliversWhatReturned() throws Exception {
        for (int round = 0; round < 3; round++) {
            CountDownLatch go = new CountDownLatch(1);
            try (SlowPeer peer = new SlowPeer(go, 0)) {
                AtomicLong returned = new AtomicLong();
                Fiber<Void> sender = Fiber.start("sender", () -> {
                    try (TcpSocket s = TcpSocket.connect("127.0.0.1", peer.port(), Duration.ofSeconds(5))) {
                        for (int i = 0; ; i++) {
                            s.send(chunk(i));
                            returned.addAndGet(CHUNK);
                        }
                    }
                });
                awaitStuck("sender", returned);
                sender.cancel();
                assertThat(sender.join(Duration.ofSeconds(30))).isTrue();
                assertThatThrownBy(sender::join).isInstanceOf(CancellationException.class);
                go.countDown();
                long[] got = peer.awaitEnd();
                // the returned sends, and the cancelled one if it had handed its chunk over
                // (its write may also have completed just as the cancel came, before the next send)
                assertThat(got[0]).as("bytes received, round %d", round).isIn(returned.get(), returned.get() + CHUNK);
                assertThat(got[1]).as("checksum, round %d", round).isEqualTo(crcOfChunks((int) (got[0] / CHUNK)));
            }
        }
    }

    static long crcOfChunks(int n) {
        CRC32 crc = new CRC32();
        for (int i = 0; i < n; i++) {
            crc.update(chunk(i));
        }
        return crc.getValue();
    }

    @Test
    void aPeerThatNeverReadsGetsTheConnectionClosedAfterTheLinger() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (SlowPeer peer = new SlowPeer(never, 0)) {
            int before = NettyConnection.openConnections();
            TcpSocket s = TcpSocket.connect("127.0.0.1", peer.port(), Duration.ofSeconds(5));
            Fiber<Void> sender = Fiber.start("sender", () -> {
                for (int i = 0; ; i++) {
                    s.send(chunk(i));
                }
            });
            awaitStuck("sender", new AtomicLong());
            sender.cancel();
            sender.join(Duration.ofSeconds(30));
            s.close(Duration.ofMillis(200));
            awaitCondition(() -> NettyConnection.openConnections() == before);
            never.countDown();
            assertThat(peer.awaitEnd()[0]).as("what the kernel had taken before the close").isPositive();
        }
    }

    /**
     * Waits until the fiber of that name is stuck in a send: parked, with no send returning for
     * 300 ms, which with a peer that does not read means every buffer on the way is full (a
     * send also parks for an instant while the event loop takes its bytes).
     */
    static void awaitStuck(String name, AtomicLong progress) {
        long seen = -1;
        long since = System.nanoTime();
        long deadline = since + TimeUnit.SECONDS.toNanos(60);
        for (;;) {
            long now = System.nanoTime();
            long p = progress.get();
            if (p != seen || !blocked(name)) {
                seen = p;
                since = now;
            } else if (now - since > TimeUnit.MILLISECONDS.toNanos(300)) {
                return;
            }
            if (now - deadline > 0) {
                throw new AssertionError(name + " never got stuck in a send");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
    }

    /** Whether the fiber of that name is parked in a blocking call of the library. */
    static boolean blocked(String name) {
        return FiberDump.snapshot(false).stream()
                .anyMatch(f -> f.name().equals(name) && f.state() == FiberDump.State.BLOCKED);
    }

    static void awaitCondition(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }
}
