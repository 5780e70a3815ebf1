package io.qfiber.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Fiber;
import io.qfiber.NettyLeakRecorder;
import io.qfiber.TestSupport;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One socket used from every kind of thread at once: fibers on the shared scheduler, fibers
 * carried by another threaded fiber, threaded fibers' bodies, and in carrier mode fibers carried
 * by the socket's own loop and that loop's own thread. Each send stays whole and each sender's
 * sends keep their order, also while senders park at the high-water mark; and a reader that never
 * sends, wherever it runs, keeps getting the chunks the peer sends (its read requests never run
 * out).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpSendersEverywhereTest {
    static {
        NettyLeakRecorder.install();
    }

    private static final int HEADER = 4 + 4 + 2; // sender, sequence number, payload length

    /**
     * Framed messages from senders on every kind of thread, with a peer that stalls now and then so
     * that the high-water mark is crossed and senders park: every frame arrives whole, once, each
     * sender's in its order, with the checksum it was sent with.
     */
    @Test
    void sendersOnEveryKindOfThreadKeepEachSendWholeAndTheirOrder() throws Exception {
        int perSender = 3000 * TestSupport.stress();
        try (ServerSocket listener = new ServerSocket()) {
            // A small receive window, set before the connection exists (shrinking it later can stall
            // the kernel's TCP): with the peer's stalls the senders cross the high-water mark.
            listener.setReceiveBufferSize(16384);
            listener.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<long[][]> received = CompletableFuture.supplyAsync(() -> readFrames(listener, 7, perSender));
            // The socket lives on the loop of the threaded fiber that connects (carrier mode).
            Fiber<Void> owner = Fiber.builder().name("owner").threaded().start(() -> {
                try (TcpSocket socket = TcpSocket.connect("127.0.0.1", listener.getLocalPort(), Duration.ofSeconds(5))) {
                    List<Fiber<Long>> senders = new ArrayList<>();
                    senders.add(Fiber.start("carried-0", () -> sendFrames(socket, 0, perSender)));
                    senders.add(Fiber.start("carried-1", () -> sendFrames(socket, 1, perSender)));
                    senders.add(Fiber.builder().name("shared-2").onSharedScheduler().start(() -> sendFrames(socket, 2, perSender)));
                    senders.add(Fiber.builder().name("shared-3").onSharedScheduler().start(() -> sendFrames(socket, 3, perSender)));
                    senders.add(Fiber.builder().name("threaded-4").threaded().start(() -> sendFrames(socket, 4, perSender)));
                    senders.add(Fiber.builder().name("elsewhere-5").threaded().start(() -> {
                        Fiber<Long> carriedElsewhere = Fiber.start("carried-elsewhere-5", () -> sendFrames(socket, 5, perSender));
                        return carriedElsewhere.join();
                    }));
                    long body = sendFrames(socket, 6, perSender); // the owner's body: the socket's loop thread
                    long[] sent = new long[7];
                    for (int i = 0; i < 6; i++) {
                        sent[i] = senders.get(i).join();
                    }
                    sent[6] = body;
                    // waited for through the library, so that this thread, the socket's loop in carrier mode, runs it meanwhile
                    long[][] got = Fiber.await(reactor.core.publisher.Mono.fromFuture(received).timeout(Duration.ofSeconds(60)));
                    for (int i = 0; i < 7; i++) {
                        assertThat(got[i][0]).as("frames of sender %d", i).isEqualTo(perSender);
                        assertThat(got[i][1]).as("checksum of sender %d", i).isEqualTo(sent[i]);
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            owner.join();
        }
    }

    /**
     * A reader that never sends gets every byte the peer sends one chunk at a time, waiting for each
     * read: its read requests never run out, wherever the reader runs.
     */
    @Test
    void aReaderThatNeverSendsGetsEveryChunkWhereverItRuns() throws Exception {
        int chunks = 300;
        List<Supplier<Fiber.Builder>> placements = List.of(
                () -> Fiber.builder().name("plain reader"),
                () -> Fiber.builder().name("shared reader").onSharedScheduler(),
                () -> Fiber.builder().name("threaded reader").threaded());
        for (Supplier<Fiber.Builder> placement : placements) {
            try (TcpServer server = TcpServer.listen("127.0.0.1", 0);
                 Socket peer = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                peer.setTcpNoDelay(true);
                TcpSocket accepted = server.takeNext().socket();
                Semaphore read = new Semaphore(0);
                Fiber<Long> reader = placement.get().start(() -> {
                    try (accepted) {
                        long sum = 0;
                        byte[] one = new byte[16];
                        for (int i = 0; i < chunks; i++) {
                            int n = accepted.recv(one);
                            assertThat(n).as("bytes of chunk %d", i).isEqualTo(1);
                            sum += one[0] & 0xff;
                            read.release();
                        }
                        return sum;
                    }
                });
                OutputStream out = peer.getOutputStream();
                long sent = 0;
                for (int i = 0; i < chunks; i++) {
                    out.write(i & 0xff);
                    out.flush();
                    sent += i & 0xff;
                    // each byte its own chunk: the next goes once this one was read
                    assertThat(read.tryAcquire(10, TimeUnit.SECONDS)).as("chunk %d was read", i).isTrue();
                }
                assertThat(reader.join()).isEqualTo(sent);
            }
        }
    }

    /** Sends frames of random lengths; returns the CRC of the frames' payloads. */
    private static long sendFrames(TcpSocket socket, int sender, int count) {
        SplittableRandom random = new SplittableRandom(sender);
        CRC32 crc = new CRC32();
        for (int seq = 0; seq < count; seq++) {
            int length = 1 + random.nextInt(random.nextInt(8) == 0 ? 6000 : 200);
            ByteBuffer frame = ByteBuffer.allocate(HEADER + length);
            frame.putInt(sender).putInt(seq).putShort((short) length);
            byte[] payload = new byte[length];
            random.nextBytes(payload);
            crc.update(payload);
            frame.put(payload);
            socket.send(frame.array());
            if (random.nextInt(500) == 0) {
                Thread.yield();
            }
        }
        return crc.getValue();
    }

    /** Accepts one connection, reads frames until every sender's {@code count} arrived: [sender][frames, crc]. */
    private static long[][] readFrames(ServerSocket listener, int senders, int count) {
        try (Socket s = listener.accept()) {
            InputStream raw = s.getInputStream();
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 4096));
            long[][] result = new long[senders][2];
            CRC32[] crcs = new CRC32[senders];
            for (int i = 0; i < senders; i++) {
                crcs[i] = new CRC32();
            }
            SplittableRandom random = new SplittableRandom(99);
            long remaining = (long) senders * count;
            while (remaining-- > 0) {
                int sender = in.readInt();
                int seq = in.readInt();
                int length = in.readShort() & 0xffff;
                if (sender < 0 || sender >= senders) {
                    throw new AssertionError("a frame with sender " + sender + ": a send was cut or interleaved");
                }
                if (seq != result[sender][0]) {
                    throw new AssertionError("sender " + sender + ": frame " + seq + " where " + result[sender][0] + " was due");
                }
                byte[] payload = new byte[length];
                in.readFully(payload);
                crcs[sender].update(payload);
                result[sender][0]++;
                if (random.nextInt(2000) == 0) {
                    LockSupport.parkNanos(20_000_000); // stall: the senders' bytes pile up past the high-water mark
                }
            }
            for (int i = 0; i < senders; i++) {
                result[i][1] = crcs[i].getValue();
            }
            return result;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
