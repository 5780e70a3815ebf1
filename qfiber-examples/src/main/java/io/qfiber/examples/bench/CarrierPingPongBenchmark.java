package io.qfiber.examples.bench;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.ThreadingMode;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Round trips per second between two fibers that share one threaded fiber's thread (carrier mode),
 * in the same run as their floor and a familiar reference:
 * <ul>
 *   <li>{@code qfiber}: the two fibers over two rendezvous channels (ping and pong);</li>
 *   <li>{@code park}: the same two fibers with no channel at all, handing the turn over with a
 *       volatile field and {@code LockSupport.park}/{@code unpark}: the bare continuation switch on
 *       that carrier, the floor our channel adds to;</li>
 *   <li>{@code sq}: {@code SynchronousQueue} between two virtual threads on the JDK's shared
 *       scheduler.</li>
 * </ul>
 * The forked JVM gets the carrier flag; the benchmark refuses to run without carrier mode.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/java.lang=ALL-UNNAMED")
public class CarrierPingPongBenchmark {
    static final int ROUND_TRIPS = 50_000;

    @Param({"qfiber", "park", "sq"})
    public String impl;

    /** Refuses to measure the wrong thing. */
    @Setup
    public void checkMode() {
        if (Fiber.threadingMode() != ThreadingMode.CARRIERS) {
            throw new IllegalStateException("CarrierPingPongBenchmark needs carrier mode (--add-opens java.base/java.lang=ALL-UNNAMED)");
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public void pingPong() throws InterruptedException {
        switch (impl) {
            case "qfiber" -> onOneCarrier(CarrierPingPongBenchmark::channels);
            case "park" -> onOneCarrier(CarrierPingPongBenchmark::parkUnpark);
            case "sq" -> RendezvousPingPongBenchmark.onVirtualThreads("sq", ROUND_TRIPS);
            default -> throw new IllegalArgumentException(impl);
        }
    }

    private static void onOneCarrier(Runnable pair) {
        Fiber.builder().name("carrier").threaded().start(pair).join();
    }

    private static void channels() {
        Channel<Integer> ping = Channel.create(0);
        Channel<Integer> pong = Channel.create(0);
        Fiber<Void> pinger = Fiber.start("pinger", () -> {
            for (int i = 0; i < ROUND_TRIPS; i++) {
                ping.write(i);
                pong.read();
            }
        });
        Fiber<Void> ponger = Fiber.start("ponger", () -> {
            for (int i = 0; i < ROUND_TRIPS; i++) {
                pong.write(ping.read());
            }
        });
        pinger.join();
        ponger.join();
    }

    /** Whose turn it is, and the two parties: the bare hand-over. */
    private static final class Turns {
        volatile int turn;
        volatile Thread a;
        volatile Thread b;
    }

    private static void parkUnpark() {
        Turns t = new Turns();
        Fiber<Void> a = Fiber.start("a", () -> {
            t.a = Thread.currentThread();
            for (int i = 0; i < ROUND_TRIPS; i++) {
                while (t.turn != 0) {
                    LockSupport.park();
                }
                t.turn = 1;
                unpark(t.b);
            }
        });
        Fiber<Void> b = Fiber.start("b", () -> {
            t.b = Thread.currentThread();
            for (int i = 0; i < ROUND_TRIPS; i++) {
                while (t.turn != 1) {
                    LockSupport.park();
                }
                t.turn = 0;
                unpark(t.a);
            }
        });
        a.join();
        b.join();
    }

    private static void unpark(Thread t) {
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
