package io.qfiber.net;

import static io.qfiber.net.TcpCloseTest.CHUNK;
import static io.qfiber.net.TcpCloseTest.CHUNKS;
import static io.qfiber.net.TcpCloseTest.SLOW_BYTES;
import static io.qfiber.net.TcpCloseTest.awaitStuck;
import static io.qfiber.net.TcpCloseTest.chunk;
import static io.qfiber.net.TcpCloseTest.crcOfChunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.NettyLeakRecorder;
import io.qfiber.ThreadingMode;
import io.qfiber.internal.fiber.Carriers;
import io.qfiber.net.TcpCloseTest.SlowPeer;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fibers using a socket that lives on their own thread's event loop (carrier mode: a fiber carried
 * by a threaded fiber connects, so its socket is registered on that thread's loop). Their sends and
 * read requests are handed to the loop's thread after each turn instead of going through Netty's
 * task queue one by one; these tests hold that path to the socket's guarantees: every byte once and
 * in order, a close that loses nothing, the high-water mark, cancellation and failures. In shared
 * mode the same tests run the ordinary path.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpOnItsLoopTest {
    static final boolean CARRIERS = Fiber.threadingMode() == ThreadingMode.CARRIERS;

    static {
        NettyLeakRecorder.install();
    }

    /**
     * Runs {@code body} in a fiber carried by a new threaded fiber's thread, and hands the fiber
     * out as soon as it started.
     */
    private static <T> Fiber<T> startOnACarrier(String name, Callable<T> body) throws Exception {
        CompletableFuture<Fiber<T>> started = new CompletableFuture<>();
        Fiber.builder().name(name + "-thread").threaded().start(() -> {
            Fiber<T> inner = Fiber.builder().name(name).start(body);
            started.complete(inner);
            inner.join(Duration.ofSeconds(110));
        });
        return started.get(30, TimeUnit.SECONDS);
    }

    /** Whether the calling fiber runs on the thread of the socket's event loop. */
    private static boolean onItsLoop(TcpSocket s) {
        Thread carrier = Carriers.currentCarrierThread();
        return carrier != null && s.binding().connection("test").eventLoop().inEventLoop(carrier);
    }

    @Test
    void aCloseRightAfterTheLastSendDeliversEveryByte() throws Exception {
        for (int round = 0; round < 2; round++) {
            CountDownLatch go = new CountDownLatch(1);
            go.countDown();
            try (SlowPeer peer = new SlowPeer(go, SLOW_BYTES)) {
                CRC32 sent = new CRC32();
                Fiber<Boolean> sender = startOnACarrier("sender", () -> {
                    TcpSocket s = TcpSocket.connect("127.0.0.1", peer.port(), Duration.ofSeconds(5));
                    boolean onLoop = onItsLoop(s);
                    for (int i = 0; i < CHUNKS; i++) {
                        byte[] b = chunk(i);
                        s.send(b);
                        sent.update(b);
                    }
                    s.close();
                    return onLoop;
                });
                assertThat(sender.join()).as("the sender runs on its socket's loop").isEqualTo(CARRIERS);
                long[] got = peer.awaitEnd();
                assertThat(got[0]).as("bytes received, round %d", round).isEqualTo((long) CHUNKS * CHUNK);
                assertThat(got[1]).as("checksum, round %d", round).isEqualTo(sent.getValue());
            }
        }
    }

    @Test
    void aSenderCancelledAtTheHighWaterMarkThenClosingDeliversWhatReturned() throws Exception {
        for (int round = 0; round < 3; round++) {
            CountDownLatch go = new CountDownLatch(1);
            try (SlowPeer peer = new SlowPeer(go, 0)) {
                AtomicLong returned = new AtomicLong();
                Fiber<Void> sender = startOnACarrier("sender", () -> {
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
                assertThat(got[0]).as("bytes received, round %d", round).isIn(returned.get(), returned.get() + CHUNK);
                assertThat(got[1]).as("checksum, round %d", round).isEqualTo(crcOfChunks((int) (got[0] / CHUNK)));
            }
        }
    }

    /**
     * A close by another fiber on the same thread while the sender waits at the high-water mark,
     * against a peer that never reads: the close's flush cannot finish, so the linger ends it.
     */
    @Test
    void aCloseOnTheSameThreadAgainstAPeerThatNeverReadsEndsAfterTheLinger() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (SlowPeer peer = new SlowPeer(never, 0)) {
            int before = io.qfiber.internal.net.NettyConnection.openConnections();
            AtomicLong returned = new AtomicLong();
            CompletableFuture<Boolean> closedOnItsLoop = new CompletableFuture<>();
            Fiber<Void> thread = Fiber.builder().name("carrier").threaded().start(() -> {
                TcpSocket s = TcpSocket.connect("127.0.0.1", peer.port(), Duration.ofSeconds(5));
                Fiber<String> sender = Fiber.builder().name("sender").start(() -> {
                    try {
                        for (int i = 0; ; i++) {
                            s.send(chunk(i));
                            returned.addAndGet(CHUNK);
                        }
                    } catch (UncheckedIOException closedUnderIt) {
                        return closedUnderIt.getMessage();
                    }
                });
                Fiber<Void> closer = Fiber.builder().name("closer").start(() -> {
                    awaitStuck("sender", returned);
                    closedOnItsLoop.complete(onItsLoop(s));
                    s.close(Duration.ofMillis(200));
                });
                closer.join();
                String woken = sender.join();
                if (woken == null || !woken.contains("the socket was closed")) {
                    throw new AssertionError("the parked send was not failed by the close: " + woken);
                }
            });
            thread.join();
            assertThat(closedOnItsLoop.get(1, TimeUnit.SECONDS)).isEqualTo(CARRIERS);
            TcpCloseTest.awaitCondition(() -> io.qfiber.internal.net.NettyConnection.openConnections() == before);
            never.countDown();
            assertThat(peer.awaitEnd()[0]).as("what the kernel had taken before the close").isPositive();
        }
    }

    @Test
    void aCloseFromAnotherThreadWakesAParkedSenderAndDeliversWhatReturned() throws Exception {
        for (int round = 0; round < 3; round++) {
            CountDownLatch go = new CountDownLatch(1);
            try (SlowPeer peer = new SlowPeer(go, 0)) {
                AtomicLong returned = new AtomicLong();
                AtomicReference<TcpSocket> socket = new AtomicReference<>();
                CountDownLatch connected = new CountDownLatch(1);
                Fiber<String> sender = startOnACarrier("sender", () -> {
                    TcpSocket s = TcpSocket.connect("127.0.0.1", peer.port(), Duration.ofSeconds(5));
                    socket.set(s);
                    connected.countDown();
                    try {
                        for (int i = 0; ; i++) {
                            s.send(chunk(i));
                            returned.addAndGet(CHUNK);
                        }
                    } catch (UncheckedIOException closedUnderIt) {
                        return closedUnderIt.getMessage();
                    }
                });
                assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
                awaitStuck("sender", returned);
                socket.get().close(); // from the test's thread, while the sender waits for room
                assertThat(sender.join()).as("the parked send's failure").contains("the socket was closed");
                go.countDown();
                long[] got = peer.awaitEnd();
                assertThat(got[0]).as("bytes received, round %d", round)
                        .isBetween(returned.get(), returned.get() + CHUNK);
                assertThat(got[1]).as("checksum, round %d", round).isEqualTo(crcOfChunks((int) (got[0] / CHUNK)));
            }
        }
    }

    /**
     * Many fibers on one thread, each echoing over its own socket with random message sizes, and
     * all of them sending on one shared socket too: every echo comes back whole, and every record
     * on the shared socket arrives once and unbroken (a send is never split by another's).
     */
    @Test
    void manyFibersOnOneThreadKeepEverySendWholeOnceAndInOrder() throws Exception {
        int fibers = 40;
        int messages = 200;
        try (ServerSocket echo = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
                ServerSocket collector = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echoing = Thread.ofPlatform().name("echo-acceptor").start(() -> {
                try {
                    for (int i = 0; i < fibers; i++) {
                        Socket c = echo.accept();
                        Thread.ofVirtual().start(() -> {
                            try (c) {
                                c.getInputStream().transferTo(c.getOutputStream());
                            } catch (IOException ignored) {
                                // the test fails on the fiber's side
                            }
                        });
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            // the shared socket's peer: records of [fiber int][seq int][length int][bytes]
            CompletableFuture<long[][]> collected = new CompletableFuture<>();
            Thread.ofPlatform().name("collector").start(() -> {
                long[][] perFiber = new long[fibers][2]; // {next expected seq, checksum}
                try (Socket c = collector.accept(); DataInputStream in = new DataInputStream(c.getInputStream())) {
                    for (int n = 0; n < fibers * messages; n++) {
                        int fiber = in.readInt();
                        int seq = in.readInt();
                        int length = in.readInt();
                        byte[] body = in.readNBytes(length);
                        if (seq != perFiber[fiber][0]++ || body.length != length || !isPattern(body, fiber, seq)) {
                            throw new AssertionError("record " + seq + " of fiber " + fiber + " broken or out of order");
                        }
                        perFiber[fiber][1] += length;
                    }
                    if (in.read() != -1) {
                        throw new AssertionError("more than the records sent");
                    }
                    collected.complete(perFiber);
                } catch (IOException | AssertionError e) {
                    collected.completeExceptionally(e);
                }
            });
            Fiber<Void> thread = Fiber.builder().name("carrier").threaded().start(() -> {
                TcpSocket shared = TcpSocket.connect("127.0.0.1", collector.getLocalPort(), Duration.ofSeconds(5));
                List<Fiber<Long>> workers = new ArrayList<>();
                for (int f = 0; f < fibers; f++) {
                    int id = f;
                    workers.add(Fiber.builder().name("worker-" + f).start(() -> {
                        SplittableRandom random = new SplittableRandom(id);
                        long echoed = 0;
                        try (TcpSocket own = TcpSocket.connect("127.0.0.1", echo.getLocalPort(), Duration.ofSeconds(5))) {
                            if (CARRIERS && !(onItsLoop(own) && onItsLoop(shared))) {
                                throw new AssertionError("worker " + id + " is not on its sockets' loop");
                            }
                            byte[] back = new byte[70_000];
                            for (int seq = 0; seq < messages; seq++) {
                                int length = 1 + random.nextInt(seq % 10 == 0 ? 70_000 : 300);
                                byte[] record = record(id, seq, length);
                                shared.send(record);
                                own.send(record, 12, length);
                                int got = 0;
                                while (got < length) {
                                    int n = own.recv(back, got, length - got);
                                    if (n < 0) {
                                        throw new AssertionError("echo ended early");
                                    }
                                    got += n;
                                }
                                if (!isPattern(java.util.Arrays.copyOf(back, length), id, seq)) {
                                    throw new AssertionError("echo " + seq + " of worker " + id + " broken");
                                }
                                echoed += length;
                                if (random.nextInt(8) == 0) {
                                    Thread.yield();
                                }
                            }
                        }
                        return echoed;
                    }));
                }
                long total = 0;
                for (Fiber<Long> w : workers) {
                    total += w.join();
                }
                shared.close();
                if (total <= 0) {
                    throw new AssertionError("nothing echoed");
                }
            });
            thread.join();
            long[][] perFiber = collected.get(60, TimeUnit.SECONDS);
            for (int f = 0; f < fibers; f++) {
                assertThat(perFiber[f][0]).as("records of fiber %d", f).isEqualTo(messages);
                assertThat(perFiber[f][1]).as("bytes of fiber %d", f).isEqualTo(expectedBytes(f, messages));
            }
            echoing.join(10_000);
        }
    }

    private static long expectedBytes(int fiber, int messages) {
        SplittableRandom random = new SplittableRandom(fiber);
        long total = 0;
        for (int seq = 0; seq < messages; seq++) {
            total += 1 + random.nextInt(seq % 10 == 0 ? 70_000 : 300);
            random.nextInt(8);
        }
        return total;
    }

    private static byte[] record(int fiber, int seq, int length) {
        ByteBuffer b = ByteBuffer.allocate(12 + length);
        b.putInt(fiber).putInt(seq).putInt(length);
        for (int k = 0; k < length; k++) {
            b.put((byte) (fiber * 7 + seq * 13 + k));
        }
        return b.array();
    }

    private static boolean isPattern(byte[] body, int fiber, int seq) {
        for (int k = 0; k < body.length; k++) {
            if (body[k] != (byte) (fiber * 7 + seq * 13 + k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The threaded fiber's body runs on the loop's own thread, where its Netty calls run at once:
     * what a fiber it carries sent before must still go out first.
     */
    @Test
    void theBodysSendsComeAfterWhatItsFibersSentBefore() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> received = new CompletableFuture<>();
            Thread.ofPlatform().name("reader").start(() -> {
                try (Socket c = server.accept(); InputStream in = c.getInputStream()) {
                    received.complete(in.readAllBytes());
                } catch (IOException e) {
                    received.completeExceptionally(e);
                }
            });
            int rounds = 500;
            Fiber<Void> thread = Fiber.builder().name("carrier").threaded().start(() -> {
                TcpSocket s = TcpSocket.connect("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(5));
                Channel<Integer> turn = Channel.create();
                Channel<Integer> sentByBody = Channel.create();
                Fiber<Void> child = Fiber.builder().name("child").start(() -> {
                    for (int i = 0; i < rounds; i++) {
                        s.send(new byte[] {'f', (byte) i});
                        turn.write(i); // the body sends once this send returned
                        sentByBody.read(); // and this fiber sends again once the body's returned
                    }
                    turn.close();
                });
                for (Integer i : turn) {
                    s.send(new byte[] {'b', (byte) (int) i});
                    sentByBody.write(i);
                }
                child.join();
                s.close();
            });
            thread.join();
            byte[] got = received.get(30, TimeUnit.SECONDS);
            assertThat(got).hasSize(4 * rounds);
            for (int i = 0; i < rounds; i++) {
                assertThat(new byte[] {got[4 * i], got[4 * i + 1], got[4 * i + 2], got[4 * i + 3]})
                        .as("round %d", i).containsExactly('f', (byte) i, 'b', (byte) i);
            }
        }
    }

    @Test
    void aPeerThatResetsMakesALaterSendFailWithTheCause() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CountDownLatch reset = new CountDownLatch(1);
            Thread.ofPlatform().name("resetter").start(() -> {
                try (Socket c = server.accept()) {
                    c.getInputStream().readNBytes(4);
                    c.setSoLinger(true, 0); // close with a reset
                } catch (IOException ignored) {
                    // the test fails on the sender's side
                } finally {
                    reset.countDown();
                }
            });
            Fiber<Throwable> sender = startOnACarrier("sender", () -> {
                try (TcpSocket s = TcpSocket.connect("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(5))) {
                    s.send(new byte[] {1, 2, 3, 4});
                    reset.await();
                    byte[] b = new byte[1024];
                    for (int i = 0; i < 10_000; i++) {
                        try {
                            s.send(b);
                        } catch (UncheckedIOException failed) {
                            return failed;
                        }
                        Fiber.sleep(Duration.ofMillis(1));
                    }
                    return null;
                }
            });
            Throwable failure = sender.join();
            assertThat(failure).as("a send failed once the peer reset").isNotNull();
            assertThat(failure).isInstanceOf(UncheckedIOException.class).hasMessageContaining("send to ")
                    .cause().isInstanceOf(IOException.class);
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsDeferred() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Integer> received = new CompletableFuture<>();
            Thread.ofPlatform().name("reader").start(() -> {
                try (Socket c = server.accept(); InputStream in = c.getInputStream()) {
                    received.complete(in.readAllBytes().length);
                } catch (IOException e) {
                    received.completeExceptionally(e);
                }
            });
            Fiber<Void> sender = startOnACarrier("sender", () -> {
                try (TcpSocket s = TcpSocket.connect("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(5))) {
                    assertThatThrownBy(() -> s.send(new byte[4], 3, 2)).isInstanceOf(IndexOutOfBoundsException.class);
                    assertThatThrownBy(() -> s.send(null, 0, 0)).isInstanceOf(NullPointerException.class);
                    s.send(new byte[4], 4, 0);
                    s.send(new byte[] {1, 2, 3});
                }
                return null;
            });
            sender.join();
            assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(3);
        }
    }
}
