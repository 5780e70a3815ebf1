package io.qfiber.nats;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code nats-server} with JetStream for the tests: a random port on 127.0.0.1, its own
 * temporary store directory, stopped (and the directory removed) by {@link #close()}. It can be
 * killed with SIGKILL and started again on the same port and store. Without the binary the
 * calling test is skipped with one line saying how to install it; with
 * {@code QFIBER_REQUIRE_NATS=1} (as CI sets) a missing binary fails instead.
 */
public final class NatsServer implements AutoCloseable {
    private static final String INSTALL = "nats-server not found (looked in PATH, /usr/sbin, /usr/bin): "
            + "install it with 'apt-get install nats-server' to run the NATS tests";

    private final Path binary;
    private final Path store;
    private final int port;
    private final List<String> extra;
    private final Path log;
    private Process process;

    private NatsServer(Path binary, Path store, int port, List<String> extra) {
        this.binary = binary;
        this.store = store;
        this.port = port;
        this.extra = extra;
        this.log = store.resolve("server.log");
    }

    /** The binary, or skips the test (fails it under CI) when there is none. */
    public static Path binary() {
        Optional<Path> found = Stream.concat(
                        Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)),
                        Stream.of("/usr/sbin", "/usr/bin", "/usr/local/bin"))
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "nats-server"))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty() && "1".equals(System.getenv("QFIBER_REQUIRE_NATS"))) {
            throw new AssertionError(INSTALL + " (QFIBER_REQUIRE_NATS=1: the NATS tests must run here)");
        }
        assumeTrue(found.isPresent(), INSTALL);
        return found.get();
    }

    /** Starts a single server. */
    public static NatsServer start() {
        return start(List.of());
    }

    public static NatsServer start(List<String> extra) {
        return start(freePort(), extra);
    }

    public static NatsServer start(int port, List<String> extra) {
        try {
            NatsServer s = new NatsServer(binary(), Files.createTempDirectory("qfiber-nats-"), port, extra);
            s.startProcess();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Three servers clustered on 127.0.0.1, JetStream on each. */
    public static List<NatsServer> startCluster() {
        int[] client = {freePort(), freePort(), freePort()};
        int[] route = {freePort(), freePort(), freePort()};
        String routes = "nats://127.0.0.1:" + route[0] + ",nats://127.0.0.1:" + route[1] + ",nats://127.0.0.1:" + route[2];
        List<NatsServer> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add(start(client[i], List.of("--server_name", "n" + i, "--cluster_name", "qfiber",
                    "--cluster", "nats://127.0.0.1:" + route[i], "--routes", routes)));
        }
        return servers;
    }

    private void startProcess() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-js", "-a", "127.0.0.1", "-p", String.valueOf(port),
                "-sd", store.toString()));
        cmd.addAll(extra);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server exited: " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(50);
            }
        }
        throw new IllegalStateException("nats-server did not listen on " + port + ": " + Files.readString(log));
    }

    /** The last lines of the server's log (without its retries of a route to a dead node), for a failure message. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log).stream()
                    .filter(l -> !l.contains("Error trying to connect to route")).toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** SIGKILL: the server dies without a word, its store stays. */
    public void kill() {
        end(process.destroyForcibly());
    }

    /** SIGTERM: the server shuts down cleanly, its store stays. */
    public void stop() {
        process.destroy();
        end(process);
    }

    private static void end(Process p) {
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the server again on the same port and store. */
    public void restart() {
        try {
            startProcess();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(store)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
