package io.qfiber.test;

/**
 * The body of a simulation: the code of its root fiber.
 */
@FunctionalInterface
public interface SimBody {
    /**
     * Runs the simulation's root fiber.
     *
     * @param ctx the simulation: its clock, {@link SimContext#settle()}, background fibers
     * @throws Exception anything; {@link Sim#run} rethrows it
     */
    void run(SimContext ctx) throws Exception;
}
