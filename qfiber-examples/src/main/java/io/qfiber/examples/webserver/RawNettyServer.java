package io.qfiber.examples.webserver;

import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

/**
 * The load benchmark's ceiling: the web server's exact bytes served by a plain Reactor Netty
 * {@code TcpServer} handler, with no fibers and no blocking. Reads until the end of the request
 * headers, writes the response, closes.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.webserver.RawNettyServer
 * -Dexec.appArgs="--port 3129"} (from the project's root).
 */
public final class RawNettyServer {
    private RawNettyServer() {}

    /**
     * Starts the server and waits.
     *
     * @param args {@code --port N} (default 3129)
     */
    public static void main(String[] args) {
        int port = args.length >= 2 && args[0].equals("--port") ? Integer.parseInt(args[1]) : 3129;
        DisposableServer server = TcpServer.create()
                .port(port)
                .handle((in, out) -> in.receive().asString(StandardCharsets.US_ASCII)
                        .scan(new StringBuilder(), StringBuilder::append)
                        .filter(request -> request.indexOf("\r\n\r\n") >= 0 || request.length() > WebServer.MAX_REQUEST)
                        .next()
                        .flatMap(request -> out.sendByteArray(Mono.just(WebServer.RESPONSE)).then()))
                .bindNow();
        System.out.println("raw Reactor Netty server on " + server.port());
        server.onDispose().block();
    }
}
