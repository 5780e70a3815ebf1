package io.qfiber.internal.reactive;

import io.micrometer.context.ContextSnapshotFactory;
import org.jspecify.annotations.Nullable;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.context.ContextView;

/**
 * Restores the {@code ThreadLocal}s registered with Micrometer's context-propagation library
 * ({@code io.micrometer:context-propagation}, optional) from a Reactor context inside a fiber, as
 * Reactor's automatic context propagation does inside its operators: MDC entries, tracing spans,
 * security contexts that Spring applications keep in ThreadLocals. Without the library on the class
 * path this does nothing.
 */
public final class ThreadLocalContext {
    private static final Logger LOG = Loggers.getLogger(ThreadLocalContext.class);
    private static final boolean AVAILABLE = isAvailable();

    private ThreadLocalContext() {}

    private static boolean isAvailable() {
        try {
            Class.forName("io.micrometer.context.ContextSnapshotFactory", false, ThreadLocalContext.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Sets the registered ThreadLocals of the calling thread from {@code context}.
     *
     * @param context the Reactor context of the subscription that started the fiber
     * @return what to pass to {@link #close} when the fiber's body ends, or null if nothing was set
     */
    public static @Nullable AutoCloseable restore(ContextView context) {
        if (!AVAILABLE || context.isEmpty()) {
            return null;
        }
        return Snapshots.FACTORY.setThreadLocalsFrom(context);
    }

    /**
     * Restores the ThreadLocals to what they were before {@link #restore} (clears them on a fresh
     * fiber thread), never hiding the body's own failure.
     *
     * @param scope   from {@link #restore}, or null
     * @param failure the body's failure, or null
     * @return the failure to report: the body's, or the scope's if the body succeeded
     */
    public static @Nullable Throwable close(@Nullable AutoCloseable scope, @Nullable Throwable failure) {
        if (scope == null) {
            return failure;
        }
        try {
            scope.close();
            return failure;
        } catch (Throwable t) {
            if (failure != null) {
                failure.addSuppressed(t);
                return failure;
            }
            LOG.warn("clearing ThreadLocals restored in a fiber failed", t);
            return t;
        }
    }

    /** Loaded only when the library is present. */
    private static final class Snapshots {
        // Reads the global ContextRegistry at each use: accessors registered later are seen.
        static final ContextSnapshotFactory FACTORY = ContextSnapshotFactory.builder().build();
    }
}
