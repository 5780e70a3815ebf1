package io.qfiber;

/**
 * Where fibers run: the library's threading mode, reported by {@link Fiber#threadingMode()}.
 * Every guarantee of the library (delivery, cancellation, blocking rules, timeouts) holds in both
 * modes; they differ in which thread runs what, and so in speed.
 */
public enum ThreadingMode {
    /**
     * Fibers live on the thread that started them, as in QFiber: a fiber started from a threaded
     * fiber (or from a fiber already running on its thread) runs on that thread, which also drives
     * the Netty event loop of the sockets those fibers use, so their wake-ups and sends stay on
     * one thread. Fibers started elsewhere run on the JDK's shared scheduler. Needs the JDK's
     * carrier hook, reachable with {@code --add-opens java.base/java.lang=ALL-UNNAMED} (JDK 21
     * to 25).
     */
    CARRIERS,

    /**
     * Every fiber runs on the JDK's shared virtual-thread scheduler, and sockets live on Reactor
     * Netty's event loops: the mode without the flag.
     */
    SHARED_SCHEDULER
}
