package io.qfiber.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.NettyLeakRecorder;
import io.qfiber.ThreadingMode;
import io.qfiber.internal.fiber.Carriers;
import io.qfiber.internal.net.NettyConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Which thread a socket's I/O and wake-ups run on. In carrier mode a socket lives on the event loop
 * of the threaded fiber's thread that carries the fiber using it, so a handler's recv is woken and
 * its send is written by its own thread; in shared mode sockets live on Reactor Netty's loops.
 * Asserted through thread identity, not timing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpPlacementTest {
    static final boolean CARRIERS = Fiber.threadingMode() == ThreadingMode.CARRIERS;

    static {
        NettyLeakRecorder.install();
    }


    /** Where one handler's socket work ran. */
    record Observed(Thread receiverThread, Thread handlerCarrier, boolean loopIsCarrier, EventLoop loop) {}

    @Test
    void anAcceptedSocketLivesOnTheThreadOfTheReceiverWhoseHandlerUsesIt() throws Exception {
        int receivers = 2;
        int connections = 20;
        Channel<Observed> observed = Channel.unbounded();
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            // the seed's web server in small: listener -> channels -> threaded receivers -> handlers
            List<Channel<TcpSocket>> toReceivers = new ArrayList<>();
            List<Fiber<Void>> receiverFibers = new ArrayList<>();
            for (int r = 0; r < receivers; r++) {
                Channel<TcpSocket> c = Channel.create();
                toReceivers.add(c);
                receiverFibers.add(Fiber.builder().name("receiver-" + r).threaded().start(() -> {
                    Thread receiverThread = Thread.currentThread();
                    for (TcpSocket s : c) {
                        Fiber.builder().name("handler").detached().start(() -> {
                            try (s) {
                                byte[] buf = new byte[16];
                                int n = s.recv(buf);
                                NettyConnection bridge = s.binding().connection("test");
                                Thread carrier = Carriers.currentCarrierThread();
                                s.send(java.util.Arrays.copyOf(buf, n));
                                observed.write(new Observed(receiverThread, carrier,
                                        carrier != null && bridge.eventLoop().inEventLoop(carrier), bridge.eventLoop()));
                            }
                        });
                    }
                }));
            }
            Fiber<Void> listener = Fiber.start("listener", () -> {
                for (int i = 0; ; i++) {
                    toReceivers.get(i % receivers).write(server.takeNext().socket());
                }
            });
            try {
                serveAndCheck(server, connections, observed);
            } finally {
                listener.cancel();
                toReceivers.forEach(Channel::close);
                receiverFibers.forEach(Fiber::join);
            }
        }
    }

    /** The thread that runs a loop: the one that delivers its connections' data and wake-ups. */
    private static Thread threadOf(EventLoop loop) throws Exception {
        return loop.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
    }

    private static void serveAndCheck(TcpServer server, int connections, Channel<Observed> observed) throws Exception {
        {
            for (int i = 0; i < connections; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    client.setSoTimeout(10_000);
                    client.getOutputStream().write(("ping " + i).getBytes(StandardCharsets.US_ASCII));
                    byte[] echo = client.getInputStream().readNBytes(("ping " + i).length());
                    assertThat(new String(echo, StandardCharsets.US_ASCII)).isEqualTo("ping " + i);
                }
            }
            for (int i = 0; i < connections; i++) {
                Observed o = observed.read();
                Thread deliveredBy = threadOf(o.loop());
                if (CARRIERS) {
                    assertThat(o.handlerCarrier()).as("the handler runs on its receiver's thread").isSameAs(o.receiverThread());
                    assertThat(o.loopIsCarrier()).as("its socket's event loop is that thread").isTrue();
                    assertThat(deliveredBy).as("its data is delivered, and it is woken, by that thread").isSameAs(o.receiverThread());
                } else {
                    assertThat(o.handlerCarrier()).isNull();
                    assertThat(deliveredBy).as("one of the library's shared Reactor Netty loops").isNotSameAs(o.receiverThread());
                    assertThat(deliveredBy.getName()).startsWith("qfiber-tcp");
                }
            }
        }
    }

    @Test
    void aConnectingFibersSocketLivesOnItsCarrierAndKeepsTheThreadAliveUntilClosed() throws Exception {
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread echo = Thread.ofPlatform().name("raw-echo").start(() -> {
                try (Socket s = raw.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            AtomicReference<Thread> body = new AtomicReference<>();
            AtomicReference<Boolean> onCarrierLoop = new AtomicReference<>();
            // the body connects, uses the socket itself, and hands it out as its result
            Fiber<TcpSocket> threaded = Fiber.builder().name("connector").threaded().start(() -> {
                body.set(Thread.currentThread());
                TcpSocket s = TcpSocket.connect("127.0.0.1", raw.getLocalPort(), Duration.ofSeconds(5));
                s.send("one".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[3];
                assertThat(s.recv(buf)).isEqualTo(3);
                onCarrierLoop.set(s.binding().connection("test").eventLoop().inEventLoop(Thread.currentThread()));
                return s;
            });
            TcpSocket s = threaded.join();
            assertThat(onCarrierLoop.get()).isEqualTo(CARRIERS);
            if (CARRIERS) {
                assertThat(body.get().isAlive()).as("its thread drives the open socket's loop").isTrue();
            }
            // usable from any fiber, on any thread
            Fiber<String> user = Fiber.start("elsewhere", () -> {
                s.send("two".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[3];
                int n = s.recv(buf);
                return new String(buf, 0, n, StandardCharsets.US_ASCII);
            });
            assertThat(user.join()).isEqualTo("two");
            s.close();
            body.get().join(10_000);
            assertThat(body.get().isAlive()).as("the thread ends once its socket is closed").isFalse();
            echo.join(10_000);
        }
    }

    @Test
    void connectingByNameFromThreadedFibersThatEndLeavesConnectingWorking() {
        // Name lookups once went through a resolver cached per event loop, and carriers that ended
        // broke later lookups; they now run off the loops.
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            Fiber<Void> acceptor = Fiber.start("acceptor", () -> {
                for (;;) {
                    server.takeNext().socket().close();
                }
            });
            for (int i = 0; i < 3; i++) {
                Fiber.builder().name("short-lived-" + i).threaded()
                        .start(() -> TcpSocket.connect("localhost", server.port(), Duration.ofSeconds(5)).close())
                        .join();
            }
            TcpSocket.connect("localhost", server.port(), Duration.ofSeconds(5)).close();
            Fiber.start("plain", () -> TcpSocket.connect("localhost", server.port(), Duration.ofSeconds(5)).close()).join();
            acceptor.cancel();
        }
    }

    @Test
    void theNonBlockingRuleStillHoldsOnReactorNettysLoops() throws Exception {
        try (TcpServer server = TcpServer.listen("127.0.0.1", 0)) {
            // a plain Reactor callback on a Reactor Netty loop that calls a blocking method
            Throwable refused = reactor.netty.tcp.TcpClient.create().host("127.0.0.1").port(server.port())
                    .connect()
                    .map(c -> {
                        try {
                            Channel.create().read();
                            return new IllegalStateException("not refused");
                        } catch (IllegalStateException e) {
                            return e;
                        } finally {
                            c.dispose();
                        }
                    })
                    .block(Duration.ofSeconds(10));
            assertThat(refused).isInstanceOf(IllegalStateException.class).hasMessageContaining("non-blocking thread");
            server.takeNext().socket().close();
        }
    }
}
