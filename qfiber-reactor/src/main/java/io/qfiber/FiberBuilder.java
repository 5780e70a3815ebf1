package io.qfiber;

import io.qfiber.internal.TimeDomain;
import io.qfiber.internal.fiber.ChildTracker;
import io.qfiber.internal.fiber.ThreadedFiberThread;
import io.qfiber.internal.observe.LibraryStats;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The one implementation of {@link Fiber.Builder}, and the start protocol: check the scope, build
 * the fiber (which places its thread), register it with its scope, the live set, the counters and
 * its carrier, then start its thread, undoing the registrations if the start fails. The fiber's own
 * end ({@code Fiber.run}) deregisters it from the same four, in reverse.
 */
final class FiberBuilder implements Fiber.Builder {
    private final @Nullable ChildTracker<Fiber<?>> scope;
    private String name = "fiber";
    private boolean detached;
    private boolean threaded;
    private boolean shared;
    private ContextView context = Context.empty();

    FiberBuilder() {
        this(null);
    }

    /** A builder whose {@code start} forks into the scope behind {@code scope}. */
    FiberBuilder(@Nullable ChildTracker<Fiber<?>> scope) {
        this.scope = scope;
    }

    /** Sets the Reactor context the fiber sees ({@link Fiber#context()}): for {@code mono}/{@code flux}. */
    FiberBuilder context(ContextView context) {
        this.context = context;
        return this;
    }

    @Override
    public FiberBuilder name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    @Override
    public Fiber.Builder detached() {
        return detached(true);
    }

    @Override
    public Fiber.Builder detached(boolean on) {
        ChildTracker<Fiber<?>> s = scope;
        if (on && s != null) {
            throw new IllegalStateException("a fiber forked into scope '" + s.name()
                    + "' cannot be detached: the scope waits for its children");
        }
        this.detached = on;
        return this;
    }

    @Override
    public Fiber.Builder threaded() {
        return threaded(true);
    }

    @Override
    public Fiber.Builder threaded(boolean on) {
        this.threaded = on;
        return this;
    }

    @Override
    public Fiber.Builder onSharedScheduler() {
        return onSharedScheduler(true);
    }

    @Override
    public Fiber.Builder onSharedScheduler(boolean on) {
        this.shared = on;
        return this;
    }

    @Override
    public Fiber<Void> start(Runnable body) {
        Objects.requireNonNull(body, "body");
        return start(() -> {
            body.run();
            return null;
        });
    }

    @Override
    public <T> Fiber<T> start(Callable<T> body) {
        Objects.requireNonNull(body, "body");
        if (threaded && shared) {
            throw new IllegalStateException("fiber '" + name + "' cannot be both threaded and on the shared "
                    + "scheduler: a threaded fiber runs on its own thread");
        }
        ChildTracker<Fiber<?>> s = scope;
        if (s != null) {
            // before anything is built (a threaded fiber's thread owns an event loop)
            s.checkFork(name);
        }
        Fiber<T> fiber = new Fiber<>(name, detached, threaded, shared, context, s, body);
        Thread t = fiber.thread();
        assert t != null;
        if (s != null) {
            s.childStarting(fiber);
        }
        Fiber.LIVE.add(fiber);
        LibraryStats.FIBERS_STARTED.increment();
        ThreadedFiberThread carrier = fiber.carrier;
        if (carrier != null) {
            carrier.fiberStarting();
        }
        TimeDomain domain = fiber.domain;
        if (domain != null) {
            domain.memberStarting(t, fiber);
        }
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            if (domain != null) {
                domain.memberEnded(t);
            }
            if (carrier != null) {
                carrier.fiberEnded();
            }
            if (s != null) {
                s.childNotStarted(fiber);
            }
            Fiber.LIVE.remove(fiber);
            throw e;
        }
        if (s != null) {
            s.childStarted(fiber);
        }
        return fiber;
    }
}
