package io.qfiber.examples.echo;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberScope;
import io.qfiber.net.TcpServer;
import io.qfiber.net.TcpServer.ConnectionInfo;
import io.qfiber.net.TcpSocket;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The keep-alive benchmark's server in QFiber's structure: a listener fiber deals accepted
 * connections round-robin over channels to one threaded receiver fiber per core, which starts a
 * detached handler fiber per connection; the handler echoes what it receives until the peer
 * closes. In carrier mode a handler runs on its receiver's thread, which also drives its socket.
 *
 * <p>Run (from the project's root): {@code mvn -q -DskipTests package exec:exec
 * -Dexec.mainClass=io.qfiber.examples.echo.FiberEchoServer -Dexec.appArgs="--port 4001"}; the
 * benchmark is {@code qfiber-examples/bench/keepalive.sh}.
 */
public final class FiberEchoServer {
    private FiberEchoServer() {}

    /**
     * Starts the server and waits.
     *
     * @param args {@code --port N} (default 4001)
     */
    public static void main(String[] args) {
        Running running = start(EchoArgs.port(args, 4001), Runtime.getRuntime().availableProcessors());
        System.out.println("fiber echo server on " + running.port() + " (" + Fiber.threadingMode() + ")");
        running.listener().join();
    }

    /**
     * A started server.
     *
     * @param listener the listener fiber: cancel it to stop the server (its receivers end with it)
     * @param port     the bound port
     */
    record Running(Fiber<Void> listener, int port) {}

    /**
     * Starts the listener fiber and waits until it listens.
     *
     * @param port      the port, 0 for any
     * @param receivers how many threaded receivers
     * @return the running server
     * @throws java.io.UncheckedIOException if the port cannot be bound
     */
    static Running start(int port, int receivers) {
        TcpServer server = TcpServer.listen(port);
        Fiber<Void> listener = Fiber.start("listener", () -> {
            try (server; FiberScope scope = FiberScope.open("receivers")) {
                List<Channel<ConnectionInfo>> channels = new ArrayList<>();
                for (int n = 0; n < receivers; n++) {
                    Channel<ConnectionInfo> c = Channel.<ConnectionInfo>builder().name("receiver-" + n).build();
                    channels.add(c);
                    scope.builder().name("receiver-" + n).threaded().start(() -> {
                        for (ConnectionInfo ci : c) {
                            Fiber.builder().name("handler").detached().start(() -> echo(ci.socket()));
                        }
                    });
                }
                try {
                    for (int r = 0; ; r = (r + 1) % receivers) {
                        channels.get(r).write(server.takeNext());
                    }
                } finally {
                    channels.forEach(Channel::close);
                }
            }
        });
        return new Running(listener, server.port());
    }

    private static void echo(TcpSocket socket) {
        try (socket) {
            byte[] buf = new byte[4096];
            for (int n = socket.recv(buf); n > 0; n = socket.recv(buf)) {
                socket.send(buf, 0, n);
            }
        } catch (UncheckedIOException peerGone) {
            // reset by the peer: the connection is over
        }
    }
}
