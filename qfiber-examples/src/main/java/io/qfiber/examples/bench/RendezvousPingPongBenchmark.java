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

/**
 * Round trips per second between two virtual threads over two rendezvous pipes (ping and pong):
 * our capacity-0 channel against {@code SynchronousQueue}, in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// Two virtual threads on two cores run either on one carrier or on two, a draw made anew in each
// fork that changes the rate about 4x for every implementation alike: five short forks average
// over the draws (InterleavedRounds measures the same workloads without JMH).
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(5)
public class RendezvousPingPongBenchmark {
    static final int ROUND_TRIPS = 50_000;

    @Param({"qfiber", "sq"})
    public String impl;

    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public void pingPong() throws InterruptedException {
        onVirtualThreads(impl, ROUND_TRIPS);
    }

    /**
     * Makes {@code roundTrips} round trips between two virtual threads started here (so on the
     * JDK's shared scheduler when called from a platform thread) over two rendezvous pipes.
     */
    static void onVirtualThreads(String impl, int roundTrips) throws InterruptedException {
        onVirtualThreads(impl, roundTrips, false);
    }

    /**
     * As {@link #onVirtualThreads(String, int)}, starting the ponger first if {@code pongerFirst}:
     * the thread started second usually lands on the carrier the first one left idle, so the
     * order decides which side a hand-over wakes where.
     */
    static void onVirtualThreads(String impl, int roundTrips, boolean pongerFirst) throws InterruptedException {
        Pipe ping = Pipe.create(impl, 0);
        Pipe pong = Pipe.create(impl, 0);
        Workers.Body pinger = () -> {
            for (int i = 0; i < roundTrips; i++) {
                ping.put(i);
                pong.take();
            }
        };
        Workers.Body ponger = () -> {
            for (int i = 0; i < roundTrips; i++) {
                pong.put(ping.take());
            }
        };
        Workers w = new Workers();
        if (pongerFirst) {
            w.start("ponger", ponger).start("pinger", pinger);
        } else {
            w.start("pinger", pinger).start("ponger", ponger);
        }
        w.joinAll();
    }
}
