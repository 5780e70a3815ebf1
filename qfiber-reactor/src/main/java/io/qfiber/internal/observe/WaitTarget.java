package io.qfiber.internal.observe;

/**
 * Something a fiber can wait on that describes itself in a fiber dump ("port 8080", "socket to
 * /127.0.0.1:5000"). Public types pass a private object of this type as a wait's target, so the
 * dump needs no knowledge of their packages and no internal type shows in their signatures.
 */
@FunctionalInterface
public interface WaitTarget {
    /**
     * The target as a dump shows it after the wait's verb. Must not block.
     *
     * @return the label
     */
    String waitLabel();
}
