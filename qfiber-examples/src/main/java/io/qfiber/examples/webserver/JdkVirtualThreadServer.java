package io.qfiber.examples.webserver;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A load benchmark baseline: the web server's exact bytes from a plain JDK {@link ServerSocket}
 * with one virtual thread per connection, no library.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.webserver.JdkVirtualThreadServer
 * -Dexec.appArgs="--port 3130"} (from the project's root).
 */
public final class JdkVirtualThreadServer {
    private JdkVirtualThreadServer() {}

    /**
     * Starts the server and accepts forever.
     *
     * @param args {@code --port N} (default 3130)
     * @throws IOException if the port cannot be bound
     */
    public static void main(String[] args) throws IOException {
        int port = args.length >= 2 && args[0].equals("--port") ? Integer.parseInt(args[1]) : 3130;
        try (ServerSocket server = new ServerSocket(port, 1024)) {
            System.out.println("JDK virtual-thread server on " + server.getLocalPort());
            while (true) {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> handle(s));
            }
        }
    }

    private static void handle(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[WebServer.MAX_REQUEST];
            int filled = 0;
            while (filled < buf.length) {
                int n = in.read(buf, filled, buf.length - filled);
                if (n <= 0) {
                    return;
                }
                int from = Math.max(0, filled - 3);
                filled += n;
                if (WebServer.containsEndOfHeaders(buf, from, filled)) {
                    s.getOutputStream().write(WebServer.RESPONSE);
                    return;
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }
}
