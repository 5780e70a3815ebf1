package io.qfiber.examples.bench;

import io.qfiber.Fiber;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Start and join one fiber against start and join one bare virtual thread, in the same run. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FiberStartBenchmark {
    @Param({"qfiber", "virtualThread"})
    public String impl;

    private static final Runnable NOTHING = () -> { };

    @Benchmark
    public Object startJoin() throws InterruptedException {
        if (impl.equals("qfiber")) {
            return Fiber.start("f", NOTHING).join();
        }
        Thread t = Thread.ofVirtual().name("f").start(NOTHING);
        t.join();
        return t;
    }
}
