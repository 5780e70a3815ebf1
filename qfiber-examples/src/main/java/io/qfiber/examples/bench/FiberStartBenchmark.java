package io.qfiber.examples.bench;

import io.qfiber.Fiber;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Start and join of one fiber against start and join of one bare virtual thread, in the same run.
 * The starter is itself a virtual thread (as when a fiber spawns handler fibers), doing
 * {@value #STARTS} start-join pairs per invocation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FiberStartBenchmark {
    static final int STARTS = 1_000;

    @Param({"qfiber", "virtualThread"})
    public String impl;

    private static final Runnable NOTHING = () -> { };

    @Benchmark
    @OperationsPerInvocation(STARTS)
    public void startJoin() throws InterruptedException {
        boolean fibers = impl.equals("qfiber");
        new Workers().start("starter", () -> {
            for (int i = 0; i < STARTS; i++) {
                if (fibers) {
                    Fiber.start("f", NOTHING).join();
                } else {
                    Thread.ofVirtual().name("f").start(NOTHING).join();
                }
            }
        }).joinAll();
    }
}
