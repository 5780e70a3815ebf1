package io.qfiber.test.internal;

import io.qfiber.Fiber;
import io.qfiber.test.SimConfig;
import io.qfiber.test.SimContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/** {@link SimContext} over a {@link SimRuntime}. */
public final class SimRuntimeContext implements SimContext {
    private final SimRuntime sim;

    /**
     * Creates the context of a simulation.
     *
     * @param sim the simulation
     */
    public SimRuntimeContext(SimRuntime sim) {
        this.sim = sim;
    }

    @Override
    public Instant now() {
        return sim.instant();
    }

    @Override
    public Duration elapsed() {
        return sim.elapsed();
    }

    @Override
    public Clock clock() {
        return new VirtualClock(sim, ZoneOffset.UTC);
    }

    @Override
    public void settle() {
        checkMember("settle()");
        sim.settle();
    }

    @Override
    public void sleep(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        checkMember("sleep(Duration)");
        Fiber.sleep(duration);
        sim.settle();
    }

    @Override
    public Fiber<Void> background(String name, Runnable body) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
        checkMember("background(String, Runnable)");
        Fiber<Void> f = Fiber.builder().name(name).start(body);
        sim.markBackground(f);
        return f;
    }

    @Override
    public ClockHold holdClock() {
        return sim.hold();
    }

    @Override
    public long seed() {
        return sim.config().seed();
    }

    @Override
    public SimConfig config() {
        return sim.config();
    }

    @Override
    public String toString() {
        return "SimContext(" + sim.id() + ", seed " + seed() + ", at +" + elapsed() + ")";
    }

    private void checkMember(String operation) {
        if (SimRuntime.current() != sim) {
            throw new IllegalStateException("SimContext." + operation + " is for the fibers of its simulation; called from "
                    + Thread.currentThread().getName() + (SimRuntime.current() != null ? ", a fiber of another simulation" : ""));
        }
    }

    /** The virtual clock as a {@link Clock}. */
    private static final class VirtualClock extends Clock {
        private final SimRuntime sim;
        private final ZoneId zone;

        VirtualClock(SimRuntime sim, ZoneId zone) {
            this.sim = sim;
            this.zone = zone;
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return new VirtualClock(sim, zone);
        }

        @Override
        public Instant instant() {
            return sim.instant();
        }
    }
}
