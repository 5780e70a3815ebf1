package io.qfiber.examples.bench;

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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Values per second through a pipe of capacity 1024 between virtual threads: one writer and one
 * reader (SPSC), and 4 writers with 4 readers (MPMC). {@code impl} is our channel or
 * {@code ArrayBlockingQueue}, measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChannelThroughputBenchmark {
    static final int VALUES = 200_000;

    @Param({"qfiber", "abq"})
    public String impl;

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public void spsc(Blackhole bh) throws InterruptedException {
        transfer(1, 1, bh);
    }

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public void mpmc4x4(Blackhole bh) throws InterruptedException {
        transfer(4, 4, bh);
    }

    private void transfer(int writers, int readers, Blackhole bh) throws InterruptedException {
        transfer(impl, writers, readers, VALUES, bh::consume);
    }

    /** What a reader does with each value it takes. */
    interface Sink {
        void consume(Object value);
    }

    /**
     * Moves {@code values} values through a fresh pipe of capacity 1024 from {@code writers} to
     * {@code readers} virtual threads; outside JMH too ({@link InterleavedRounds}).
     */
    static void transfer(String impl, int writers, int readers, int values, Sink sink) throws InterruptedException {
        Pipe pipe = Pipe.create(impl, 1024);
        Workers w = new Workers();
        int perWriter = values / writers;
        int perReader = values / readers;
        for (int i = 0; i < writers; i++) {
            w.start("writer", () -> {
                for (int n = 0; n < perWriter; n++) {
                    pipe.put(n);
                }
            });
        }
        for (int i = 0; i < readers; i++) {
            w.start("reader", () -> {
                for (int n = 0; n < perReader; n++) {
                    sink.consume(pipe.take());
                }
            });
        }
        w.joinAll();
    }
}
