package io.qfiber.test;

/**
 * In which order a simulation runs the fibers that are ready at the same moment.
 *
 * <p>Both orders are reproducible in carrier mode ({@code --add-opens java.base/java.lang=ALL-UNNAMED}),
 * where a simulation runs all its fibers on one thread: the same schedule and seed give the same
 * interleaving and the same result on every run.
 */
public enum Schedule {
    /** First ready, first run: the order in which fibers became ready. The default. */
    FIFO,
    /**
     * A ready fiber chosen by a random generator seeded with the simulation's seed, at every
     * switch: explores other interleavings from run to run (with other seeds) and replays one from
     * its seed. Carrier mode only.
     */
    RANDOM
}
