package io.qfiber.examples.webserver;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberScope;
import io.qfiber.net.TcpServer.ConnectionInfo;
import io.qfiber.net.TcpServer;
import io.qfiber.net.TcpSocket;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * QFiber's headline example, in Java: a listener fiber accepts TCP connections and deals them
 * round-robin over channels to one threaded receiver fiber per core, each of which spawns a
 * detached handler fiber per connection. Every handler answers {@code Hello World}.
 *
 * <pre>
 *                       ┌─ channel ─▶ receiver-0 (own thread) ─▶ handler, handler, ...
 *   listener ─ accept ──┤
 *                       └─ channel ─▶ receiver-1 (own thread) ─▶ handler, handler, ...
 * </pre>
 *
 * <p>In carrier mode (the mode this example runs in) each threaded fiber's thread is an event loop:
 * each handler runs on its receiver's thread, where its connection is registered on first use, so a
 * request is read, answered and closed on one thread.
 *
 * <p>Beyond the original: a handler gives up after {@link #REQUEST_TIMEOUT} without a complete
 * request, and answers 431 to a request over {@link #MAX_REQUEST} bytes, so a slow or abusive
 * client cannot hold a handler forever.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec} (port 3128; {@code -Dexec.appArgs="--port 8080 --verbose"}).
 */
public final class WebServer {
    static final byte[] RESPONSE = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nHello World\n"
            .getBytes(StandardCharsets.US_ASCII);
    static final byte[] TOO_LARGE = "HTTP/1.0 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    static final int MAX_REQUEST = 16 * 1024;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final PrintStream out;
    private final boolean verbose;
    private final Duration requestTimeout;

    WebServer(PrintStream out, boolean verbose) {
        this(out, verbose, REQUEST_TIMEOUT);
    }

    WebServer(PrintStream out, boolean verbose, Duration requestTimeout) {
        this.out = out;
        this.verbose = verbose;
        this.requestTimeout = requestTimeout;
    }

    /**
     * Starts the server and waits for it.
     *
     * @param args {@code --port N} (default 3128), {@code --verbose} to log every connection
     */
    public static void main(String[] args) {
        int port = 3128;
        boolean verbose = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--verbose" -> verbose = true;
                case "" -> { } // an empty argument from the exec plugin
                default -> {
                    System.err.println("usage: WebServer [--port N] [--verbose]");
                    System.exit(2);
                }
            }
        }
        WebServer web = new WebServer(System.out, verbose);
        Running running = web.start(port, Runtime.getRuntime().availableProcessors());
        if (running == null) {
            System.exit(1);
        }
        running.listener().join();
    }

    /**
     * A started server.
     *
     * @param listener the listener fiber: cancel it to stop the server
     * @param port     the bound port
     */
    record Running(Fiber<Void> listener, int port) {}

    /**
     * Starts the listener fiber and waits until it is listening, as QFiber's {@code main} starts
     * its listener fiber. The listener binds, then accepts and deals; it waits in {@code takeNext}
     * almost all the time, so it runs as a plain fiber.
     *
     * @param port      the port, 0 for any
     * @param receivers how many threaded receivers
     * @return the running server, or null if the port could not be bound (the message is printed)
     */
    Running start(int port, int receivers) {
        Channel<Integer> bound = Channel.create(1);
        Fiber<Void> listener = Fiber.start("listener", () -> listener(port, receivers, bound));
        int boundPort = bound.read();
        if (boundPort < 0) {
            listener.join();
            return null;
        }
        return new Running(listener, boundPort);
    }

    void listener(int port, int numReceivers, Channel<Integer> bound) {
        TcpServer server;
        try {
            server = TcpServer.listen(port);
        } catch (UncheckedIOException e) {
            out.printf("Failed to bind on port %d%n", port);
            bound.write(-1);
            return;
        }
        // the listener owns its receivers: when it stops, they drain their channels and end
        try (server; FiberScope receivers = FiberScope.open("receivers")) {
            out.printf("Starting listener on %d%n", server.port());
            bound.write(server.port());

            // create receivers: one threaded fiber per core, each fed by its own channel
            List<Channel<ConnectionInfo>> receiverChannels = new ArrayList<>();
            for (int n = 0; n < numReceivers; n++) {
                Channel<ConnectionInfo> c = Channel.<ConnectionInfo>builder().name("receiver-" + n).build();
                receiverChannels.add(c);
                int id = n;
                receivers.builder().name("receiver-" + n).threaded().start(() -> receiver(id, c));
            }
            int r = 0;
            try {
                while (true) {
                    ConnectionInfo ci = server.takeNext();
                    receiverChannels.get(r).write(ci);
                    r = (r + 1) % numReceivers;
                }
            } finally {
                receiverChannels.forEach(Channel::close);
                receivers.join(); // receivers end when the listener does
            }
        }
    }

    void receiver(int id, Channel<ConnectionInfo> c) {
        out.printf("%d: receiver started (thread=%s)%n", id, Thread.currentThread().getName());
        for (ConnectionInfo ci : c) {
            // spawn a handler to do the work
            if (verbose) {
                out.printf("%d: incoming connection from %s%n", id, ci.peerAddress().getAddress().getHostAddress());
            }
            Fiber.builder().name("handler").detached().start(() -> handler(ci.socket()));
        }
    }

    void handler(TcpSocket sock) {
        try (sock) {
            byte[] buf = new byte[1024]; // grows up to MAX_REQUEST: most requests are small
            int filled = 0;
            long deadline = System.nanoTime() + requestTimeout.toNanos();
            while (true) {
                if (filled == buf.length) {
                    if (buf.length == MAX_REQUEST) {
                        sock.send(TOO_LARGE);
                        return;
                    }
                    buf = java.util.Arrays.copyOf(buf, Math.min(MAX_REQUEST, buf.length * 4));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return; // no complete request in time: drop the connection
                }
                int ret;
                try {
                    ret = sock.recv(buf, filled, buf.length - filled, Duration.ofNanos(left));
                } catch (UncheckedIOException timedOutOrReset) {
                    return;
                }
                if (ret <= 0) {
                    return;
                }
                int searchFrom = Math.max(0, filled - 3);
                filled += ret;
                if (containsEndOfHeaders(buf, searchFrom, filled)) {
                    break;
                }
            }
            sock.send(RESPONSE);
        } catch (UncheckedIOException peerGone) {
            // the client went away mid-response: nothing to do
        }
    }

    static boolean containsEndOfHeaders(byte[] buf, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                return true;
            }
        }
        return false;
    }
}
