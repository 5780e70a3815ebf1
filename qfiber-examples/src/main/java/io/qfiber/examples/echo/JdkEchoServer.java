package io.qfiber.examples.echo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The keep-alive benchmark's JDK baseline: {@link ServerSocket} with one virtual thread per
 * connection, echoing with blocking reads and writes.
 *
 * <p>Run (from the project's root): {@code mvn -q -DskipTests package exec:exec
 * -Dexec.mainClass=io.qfiber.examples.echo.JdkEchoServer -Dexec.appArgs="--port 4003"}.
 */
public final class JdkEchoServer {
    private JdkEchoServer() {}

    /**
     * Starts the server and waits.
     *
     * @param args {@code --port N} (default 4003)
     * @throws IOException if the port cannot be bound
     */
    public static void main(String[] args) throws IOException {
        try (ServerSocket server = new ServerSocket(EchoArgs.port(args, 4003), 4096)) {
            System.out.println("JDK virtual-thread echo server on " + server.getLocalPort());
            serve(server);
        }
    }

    /**
     * Accepts connections until the server socket is closed, each echoed on its own virtual thread.
     *
     * @param server a bound server socket
     */
    static void serve(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().name("echo").start(() -> echo(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setTcpNoDelay(true);
            byte[] buf = new byte[4096];
            for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                out.write(buf, 0, n);
            }
        } catch (IOException peerGone) {
            // reset by the peer: the connection is over
        }
    }
}
