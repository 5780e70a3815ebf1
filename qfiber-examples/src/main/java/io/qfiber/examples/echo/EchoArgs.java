package io.qfiber.examples.echo;

/** The echo servers' one argument. */
final class EchoArgs {
    private EchoArgs() {}

    /**
     * The port from {@code --port N}, or the default.
     *
     * @param args         the program's arguments
     * @param defaultPort  the port without {@code --port}
     * @return the port
     */
    static int port(String[] args, int defaultPort) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--port")) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return defaultPort;
    }
}
