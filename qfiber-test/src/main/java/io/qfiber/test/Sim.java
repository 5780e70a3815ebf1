package io.qfiber.test;

import io.qfiber.Fiber;
import io.qfiber.FiberDump;
import io.qfiber.test.internal.SimRuntimeContext;
import io.qfiber.test.internal.SimRuntime;
import io.qfiber.test.internal.SimSchedulers;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * Runs fibers, channels, selects, timeouts and Reactor timers under one virtual clock that moves
 * only when every fiber of the simulation waits in the library; a deadlock is reported at once,
 * and in carrier mode an interleaving replays from its seed.
 *
 * <pre>{@code
 * Sim.run(ctx -> {
 *     Channel<String> ch = Channel.create(0);
 *     Fiber.start("late writer", () -> { Fiber.sleep(Duration.ofSeconds(6)); ch.write("late"); });
 *     Object got = Select.onRead(ch, v -> v).onTimeout(Duration.ofSeconds(5), () -> "timeout").select();
 *     assertEquals("timeout", got);
 *     assertEquals(Duration.ofSeconds(5), ctx.elapsed());   // exactly, in microseconds of real time
 *     assertEquals("late", ch.read());
 * });
 * }</pre>
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>The body runs as the simulation's root fiber; every fiber started from it, directly or
 *       not, belongs to the simulation, threaded fibers included, and so do the Reactor tasks
 *       they schedule. {@code run} returns when the body has returned and every such fiber has
 *       ended; a failure of the body is rethrown as it is (a checked exception wrapped in
 *       {@link CompletionException}), with the seed attached as a suppressed exception.</li>
 *   <li>{@code Fiber.sleep}, every timed blocking call of the library and Reactor timers
 *       ({@code Mono.delay}, {@code timeout}, {@code Flux.interval}, {@code delayElements}, …)
 *       scheduled from the simulation's threads run on its clock. The clock moves only when every
 *       fiber waits in the library and nothing is runnable; it then jumps to the earliest deadline
 *       and fires everything due then.</li>
 *   <li>A fiber blocked outside the library (a JDK lock, {@code Thread.sleep}, a real socket's
 *       data, including the library's own {@code TcpSocket} and {@code TcpServer} waits) holds the
 *       clock still. When every fiber waits and no deadline is pending, the run fails at once with
 *       {@link SimDeadlockException}, and past {@link SimConfig#realTimeLimit()} with
 *       {@link SimTimeoutException}; both carry a dump of the fibers, the seed and the virtual time.
 *       Fibers still alive when the body returns (other than {@link SimContext#background}
 *       ones) fail the run with {@link SimDeadlockException}.</li>
 *   <li>In carrier mode the simulation runs on one thread: a schedule and a seed give the same
 *       interleaving and result on every run. In shared mode the clock works the same, the
 *       interleavings are the JVM's, and {@link Schedule#RANDOM} is refused.</li>
 *   <li>Simulations are independent: several run in parallel, and code outside them, Reactor's
 *       shared schedulers included, keeps real time.</li>
 * </ul>
 */
public final class Sim {
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private Sim() {}

    /**
     * Runs a simulation with the {@link Schedule#FIFO} schedule and a random seed.
     *
     * @param body the root fiber's code
     * @throws SimDeadlockException  if nothing can move, or fibers outlive the body
     * @throws SimTimeoutException   past 30 s of real time
     * @throws IllegalStateException if called from a fiber of a simulation
     * @throws RuntimeException      the body's own failure, as it is
     */
    public static void run(SimBody body) {
        run(SimConfig.defaults(), body);
    }

    /**
     * Runs a simulation. Blocks the calling thread (in real time) until it is over.
     *
     * @param config seed, schedule, start instant, real-time limit
     * @param body   the root fiber's code
     * @throws SimDeadlockException  if nothing can move, or fibers outlive the body
     * @throws SimTimeoutException   past the real-time limit
     * @throws IllegalStateException if called from a fiber of a simulation, or for
     *                               {@link Schedule#RANDOM} in shared mode
     * @throws CancellationException if the calling thread is interrupted meanwhile (the
     *                               simulation's fibers are cancelled)
     * @throws RuntimeException      the body's own failure, as it is
     */
    public static void run(SimConfig config, SimBody body) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(body, "body");
        if (SimRuntime.current() != null) {
            throw new IllegalStateException("Sim.run called from a fiber of a simulation: simulations do not nest");
        }
        SimSchedulers.ensureInstalled();
        SimRuntime sim = new SimRuntime(config);
        SimContext ctx = new SimRuntimeContext(sim);
        Fiber<Void> root;
        try {
            root = sim.startRoot(() -> Fiber.builder().name("sim body").start(() -> {
                body.run(ctx);
                return null;
            }));
        } catch (RuntimeException | Error e) {
            sim.close();
            throw e;
        }
        SimRuntime.Stop stop;
        try {
            stop = sim.awaitEnd(config.realTimeLimit().toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sim.shutDown(SHUTDOWN_GRACE);
            throw new CancellationException("Sim.run was interrupted: the simulation's fibers were cancelled");
        }
        if (stop != null) {
            sim.awaitParked(Duration.ofMillis(500));
            String dump = FiberDump.render(sim.fibers(), true);
            List<String> stuck = sim.shutDown(SHUTDOWN_GRACE);
            String message = stop.reason() + "\n" + where(sim) + "\n"
                    + (stuck.isEmpty() ? "" : "did not end after their cancellation: " + stuck + "\n")
                    + dump;
            SimFailure failure = stop.timeout()
                    ? new SimTimeoutException(message, config.seed(), sim.elapsed())
                    : new SimDeadlockException(message, config.seed(), sim.elapsed());
            Throwable bodyFailure = failureOf(root);
            if (bodyFailure != null) {
                // the body failed first; what it left behind is secondary
                bodyFailure.addSuppressed(failure);
                throw withSeed(bodyFailure, sim);
            }
            throw failure;
        }
        sim.close();
        Throwable bodyFailure = failureOf(root);
        for (Fiber<?> f : sim.backgroundFibers()) {
            Throwable bg = failureOf(f);
            if (bg != null) {
                if (bodyFailure == null) {
                    bodyFailure = new AssertionError("background fiber '" + f.name() + "' failed", bg);
                } else {
                    bodyFailure.addSuppressed(bg);
                }
            }
        }
        if (bodyFailure != null) {
            throw withSeed(bodyFailure, sim);
        }
    }

    private static String where(SimRuntime sim) {
        SimConfig c = sim.config();
        return "seed " + c.seed() + ", schedule " + c.schedule() + ", virtual time " + sim.instant()
                + " (+" + sim.elapsed() + "); rerun with " + rerun(c);
    }

    private static String rerun(SimConfig c) {
        return "SimConfig.defaults().withSeed(" + c.seed() + "L).withSchedule(Schedule." + c.schedule() + ")"
                + " or @SimTest(seed = " + c.seed() + "L, schedule = Schedule." + c.schedule() + ")";
    }

    private static RuntimeException withSeed(Throwable failure, SimRuntime sim) {
        failure.addSuppressed(new SimRunInfo(where(sim)));
        if (failure instanceof RuntimeException r) {
            return r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new CompletionException(failure);
    }

    private static @Nullable Throwable failureOf(Fiber<?> f) {
        if (f.isAlive()) {
            return null;
        }
        try {
            f.join();
            return null;
        } catch (CancellationException cancelled) {
            return null;
        } catch (CompletionException failed) {
            return failed.getCause() != null ? failed.getCause() : failed;
        }
    }

    /** Where a failed run stood: its seed and how to rerun it. Attached as a suppressed exception. */
    static final class SimRunInfo extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SimRunInfo(String message) {
            super(message, null, false, false);
        }
    }
}
