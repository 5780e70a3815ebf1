package io.qfiber.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.NettyLeakRecorder;
import io.qfiber.TestSupport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Receiving pushes back: a connection whose fiber does not read stops reading from the network, so
 * a fast sender is held by TCP flow control instead of filling our memory, and reading resumes
 * with nothing lost or reordered when the fiber reads again. Each case runs with the handler on
 * the shared scheduler and carried by a threaded fiber, in both threading modes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpFlowControlTest {
    static {
        NettyLeakRecorder.install();
    }

    /** Starts a handler for the first accepted connection, carried by a threaded fiber or not. */
    private static Fiber<Void> handleFirst(TcpServer server, boolean carried, java.util.function.Consumer<TcpSocket> handler) {
        Fiber.Builder b = Fiber.builder().name(carried ? "threaded-handler" : "handler");
        return (carried ? b.threaded() : b).start(() -> {
            try (TcpSocket s = server.takeNext().socket()) {
                handler.accept(s);
            }
        });
    }

    /** Writes {@code total} bytes of a seeded pattern, counting what the socket took. */
    private static Thread writer(int port, long total, long seed, AtomicLong written, AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().name("pattern-writer").start(() -> {
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                OutputStream out = client.getOutputStream();
                SplittableRandom random = new SplittableRandom(seed);
                byte[] chunk = new byte[64 * 1024];
                long left = total;
                while (left > 0) {
                    int n = nextPiece(random, chunk, left);
                    out.write(chunk, 0, n);
                    written.addAndGet(n);
                    left -= n;
                }
                client.shutdownOutput();
                client.getInputStream().read(); // until the server closes
            } catch (IOException | RuntimeException e) {
                failure.set(e);
            }
        });
    }

    /** Fills the start of {@code chunk} with the pattern's next piece; returns its length. */
    private static int nextPiece(SplittableRandom random, byte[] chunk, long left) {
        int n = (int) Math.min(left, 1 + random.nextInt(chunk.length));
        for (int i = 0; i < n; i++) {
            chunk[i] = (byte) random.nextInt(256);
        }
        return n;
    }

    /** The CRC of what {@link #writer} sends with this seed. */
    private static long expectedCrc(long total, long seed) {
        CRC32 crc = new CRC32();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[64 * 1024];
        long left = total;
        while (left > 0) {
            int n = nextPiece(random, chunk, left);
            crc.update(chunk, 0, n);
            left -= n;
        }
        return crc.getValue();
    }

    /** Reads to end of stream in pieces of random size, returning {count, crc}. */
    private static long[] readAll(TcpSocket s, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buf = new byte[16 * 1024];
        CRC32 crc = new CRC32();
        long count = 0;
        for (int n; (n = s.recv(buf, 0, 1 + random.nextInt(buf.length))) > 0; ) {
            crc.update(buf, 0, n);
            count += n;
        }
        return new long[] {count, crc.getValue()};
    }

    @ParameterizedTest(name = "carried={0}")
    @ValueSource(booleans = {false, true})
    void aConnectionNobodyReadsHoldsTheSenderBackAndLosesNothing(boolean carried) throws Exception {
        long total = 64L << 20;
        CountDownLatch startReading = new CountDownLatch(1);
        AtomicLong written = new AtomicLong();
        AtomicReference<Throwable> writeFailure = new AtomicReference<>();
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Fiber<Void> handler = handleFirst(server, carried, s -> {
                try {
                    startReading.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                long[] got = readAll(s, 7);
                assertThat(got[0]).as("bytes received").isEqualTo(total);
                assertThat(got[1]).as("CRC of the bytes received").isEqualTo(expectedCrc(total, 42));
            });
            Thread w = writer(server.port(), total, 42, written, writeFailure);
            // The writer stops making progress once the kernel's buffers and our few chunks are
            // full: there is no event for "no progress", so watch the count settle.
            long last = -1;
            for (int settled = 0; settled < 5; ) {
                Thread.sleep(100);
                long now = written.get();
                settled = now == last ? settled + 1 : 0;
                last = now;
                assertThat(w.isAlive()).as("the writer was held back before writing %d bytes", total).isTrue();
            }
            assertThat(written.get()).as("bytes the unread connection took").isLessThan(total / 2);
            startReading.countDown();
            handler.join();
            w.join(30_000);
            assertThat(w.isAlive()).isFalse();
            assertThat(writeFailure.get()).isNull();
            assertThat(written.get()).isEqualTo(total);
        }
    }

    @ParameterizedTest(name = "carried={0}")
    @ValueSource(booleans = {false, true})
    void aReaderThatKeepsPausingAndResumingLosesNothing(boolean carried) throws Exception {
        // Small reads against large writes: reading pauses and resumes many times per round,
        // racing the loop's next reads.
        int rounds = TestSupport.scaled(20);
        long total = 4L << 20;
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            for (int round = 0; round < rounds; round++) {
                long seed = 1000 + round;
                Channel<long[]> result = Channel.create(1);
                Fiber<Void> handler = handleFirst(server, carried, s -> result.write(readAll(s, seed)));
                AtomicLong written = new AtomicLong();
                AtomicReference<Throwable> writeFailure = new AtomicReference<>();
                Thread w = writer(server.port(), total, seed, written, writeFailure);
                long[] got = result.read();
                handler.join();
                w.join(30_000);
                assertThat(writeFailure.get()).as("round %d", round).isNull();
                assertThat(got[0]).as("bytes received, round %d", round).isEqualTo(total);
                assertThat(got[1]).as("CRC, round %d", round).isEqualTo(expectedCrc(total, seed));
            }
        }
    }

    @ParameterizedTest(name = "carried={0}")
    @ValueSource(booleans = {false, true})
    void aResetWhileReceivedBytesWaitUnreadDeliversThemThenTheError(boolean carried) throws Exception {
        int total = 256 * 1024;
        long seed = 99;
        CountDownLatch reset = new CountDownLatch(1);
        AtomicReference<Throwable> clientFailure = new AtomicReference<>();
        Channel<Object> outcome = Channel.create(1);
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Fiber<Void> handler = handleFirst(server, carried, s -> {
                byte[] first = new byte[1];
                assertThat(s.recv(first)).isEqualTo(1);
                s.send(new byte[] {1}); // the client resets on this
                try {
                    reset.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                // What the loop took in before the reset is delivered; then the reset, or an end.
                CRC32 crc = new CRC32();
                crc.update(first);
                long count = 1;
                byte[] buf = new byte[8 * 1024];
                try {
                    for (int n; (n = s.recv(buf)) > 0; ) {
                        crc.update(buf, 0, n);
                        count += n;
                    }
                    outcome.write(new long[] {count, crc.getValue()});
                } catch (RuntimeException failed) {
                    outcome.write(failed);
                    outcome.write(new long[] {count, crc.getValue()});
                }
            });
            Thread client = Thread.ofPlatform().name("resetting-client").start(() -> {
                try (Socket c = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    c.getOutputStream().write(pattern(total, seed));
                    assertThat(c.getInputStream().read()).isEqualTo(1);
                    c.setSoLinger(true, 0); // close with a reset
                } catch (IOException | RuntimeException | AssertionError e) {
                    clientFailure.set(e);
                } finally {
                    reset.countDown();
                }
            });
            Object first = outcome.read();
            long[] got;
            if (first instanceof RuntimeException failed) {
                assertThat(failed).isInstanceOf(java.io.UncheckedIOException.class).hasCauseInstanceOf(IOException.class);
                got = (long[]) outcome.read();
            } else {
                got = (long[]) first;
            }
            handler.join();
            client.join(30_000);
            assertThat(clientFailure.get()).isNull();
            assertThat(got[0]).as("bytes delivered before the reset").isBetween(1L, (long) total);
            CRC32 prefix = new CRC32();
            prefix.update(pattern(total, seed), 0, (int) got[0]);
            assertThat(got[1]).as("CRC of the bytes delivered: a prefix of those sent").isEqualTo(prefix.getValue());
        }
    }

    private static byte[] pattern(int size, long seed) {
        byte[] bytes = new byte[size];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }
}
