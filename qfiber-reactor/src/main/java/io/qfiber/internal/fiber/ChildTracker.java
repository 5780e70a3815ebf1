package io.qfiber.internal.fiber;

import org.jspecify.annotations.Nullable;

/**
 * What a fiber reports to the scope it was forked into. The scope implements it with a private
 * object, so a fiber knows its scope only through this interface and never names the scope's
 * public type. {@code FiberBuilder.start} calls the first four in order, and the fiber's end calls
 * {@link #childEnded}: the two mirror each other.
 *
 * @param <F> the fiber handle type
 */
public interface ChildTracker<F> {
    /**
     * The scope's name, for messages and the fiber dump.
     *
     * @return the name
     */
    String name();

    /**
     * Before a child is built: refuses a caller other than the owner, and a closed scope.
     *
     * @param childName the child's name, for the message
     * @throws IllegalStateException when the fork is refused
     */
    void checkFork(String childName);

    /**
     * Before the child's thread starts: counts it.
     *
     * @param child the child
     */
    void childStarting(F child);

    /**
     * After the child's thread started.
     *
     * @param child the child
     */
    void childStarted(F child);

    /**
     * The child's thread could not start: it never ran.
     *
     * @param child the child
     */
    void childNotStarted(F child);

    /**
     * The child ended, after its outcome was set.
     *
     * @param child   the child
     * @param failure its failure, or null when it returned or was cancelled
     */
    void childEnded(F child, @Nullable Throwable failure);
}
