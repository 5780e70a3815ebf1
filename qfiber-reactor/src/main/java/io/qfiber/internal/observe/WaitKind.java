package io.qfiber.internal.observe;

/** The kinds of wait a fiber dump reports, with how each reads. */
public enum WaitKind {
    /** {@code Channel.read} (also iteration). */
    READ("read of"),
    /** {@code Channel.write}. */
    WRITE("write to"),
    /** {@code Fiber.join}. */
    JOIN("join of"),
    /** {@code Fiber.await}. */
    AWAIT("await of"),
    /** {@code Fiber.sleep}. */
    SLEEP("sleep"),
    /** {@code Select.select}. */
    SELECT("select over"),
    /** {@code FiberScope.join} or close. */
    SCOPE("join of"),
    /** {@code TcpServer.takeNext}. */
    TAKE_NEXT("takeNext on"),
    /** {@code TcpSocket.recv}. */
    RECV("recv on"),
    /** {@code TcpSocket.send} (and shutdownOutput). */
    SEND("send on"),
    /** {@code TcpSocket.connect}: resolving the host and connecting. */
    CONNECT("connect to"),
    /** {@code TcpServer.listen}: binding the port. */
    LISTEN("listen on"),
    /** {@code TcpServer.close}: releasing the port. */
    CLOSE("close of");

    /**
     * Whether a wait of this kind is on the network, which something outside the process ends (a
     * simulation's clock does not move while a fiber waits so).
     *
     * @return true for socket waits
     */
    public boolean isNetwork() {
        return this == TAKE_NEXT || this == RECV || this == SEND || this == CONNECT || this == LISTEN || this == CLOSE;
    }

    private final String verb;

    WaitKind(String verb) {
        this.verb = verb;
    }

    /**
     * How the wait reads in a dump, before its target: "read of", "sleep".
     *
     * @return the words
     */
    public String verb() {
        return verb;
    }
}
