package io.qfiber.examples.echo;

import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

/**
 * The keep-alive benchmark's ceiling on our stack: a plain Reactor Netty handler that writes back
 * every buffer it receives, on the event loops (run it with
 * {@code -Dreactor.netty.ioWorkerCount=<cores>}, as the benchmark does).
 *
 * <p>Run (from the project's root): {@code mvn -q -DskipTests package exec:exec
 * -Dexec.mainClass=io.qfiber.examples.echo.RawNettyEchoServer -Dexec.appArgs="--port 4002"}.
 */
public final class RawNettyEchoServer {
    private RawNettyEchoServer() {}

    /**
     * Starts the server and waits.
     *
     * @param args {@code --port N} (default 4002)
     */
    public static void main(String[] args) {
        DisposableServer server = start(EchoArgs.port(args, 4002));
        System.out.println("raw Reactor Netty echo server on " + server.port());
        server.onDispose().block();
    }

    /**
     * Binds the server.
     *
     * @param port the port, 0 for any
     * @return the bound server; dispose it to stop
     */
    static DisposableServer start(int port) {
        return TcpServer.create()
                .port(port)
                .handle((in, out) -> out.send(in.receive().retain()))
                .bindNow();
    }
}
