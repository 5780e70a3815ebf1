package io.qfiber.examples.bench;

import io.qfiber.Channel;
import io.qfiber.Select;
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
 * Values per second through a reader that selects over two channels, each fed by one writer, all
 * three on virtual threads: our {@link Select} ({@code qfiber}) against jox's {@code select}
 * ({@code jox}, {@code com.softwaremill.jox:channels}) on the same workload, and against a plain
 * {@code read} of one channel fed by the same two writers ({@code plainRead}: what selecting costs).
 * Rendezvous channels and channels of capacity 16.
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
public class SelectBenchmark {
    static final int VALUES = 100_000;

    @Param({"qfiber", "jox", "plainRead"})
    public String impl;

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public void rendezvous() throws InterruptedException {
        run(impl, 0, VALUES);
    }

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public void buffered16() throws InterruptedException {
        run(impl, 16, VALUES);
    }

    /** Moves {@code values} values (half per writer) to one reader; returns their sum. */
    static long run(String impl, int capacity, int values) throws InterruptedException {
        long[] sum = new long[1];
        int perWriter = values / 2;
        Workers w = new Workers();
        switch (impl) {
            case "qfiber" -> {
                Channel<Integer> a = Channel.create(capacity);
                Channel<Integer> b = Channel.create(capacity);
                w.start("writer-a", () -> write(a, perWriter)).start("writer-b", () -> write(b, perWriter));
                w.start("reader", () -> {
                    Select<Integer> select = Select.<Integer>create().onRead(a, v -> v).onRead(b, v -> v);
                    long s = 0;
                    for (int i = 0; i < 2 * perWriter; i++) {
                        s += select.select();
                    }
                    sum[0] = s;
                });
            }
            case "plainRead" -> {
                Channel<Integer> one = Channel.create(capacity);
                w.start("writer-a", () -> write(one, perWriter)).start("writer-b", () -> write(one, perWriter));
                w.start("reader", () -> {
                    long s = 0;
                    for (int i = 0; i < 2 * perWriter; i++) {
                        s += one.read();
                    }
                    sum[0] = s;
                });
            }
            case "jox" -> {
                com.softwaremill.jox.Channel<Integer> a = joxChannel(capacity);
                com.softwaremill.jox.Channel<Integer> b = joxChannel(capacity);
                w.start("writer-a", () -> {
                    for (int i = 0; i < perWriter; i++) {
                        a.send(i);
                    }
                }).start("writer-b", () -> {
                    for (int i = 0; i < perWriter; i++) {
                        b.send(i);
                    }
                });
                w.start("reader", () -> {
                    var ca = a.receiveClause();
                    var cb = b.receiveClause();
                    long s = 0;
                    for (int i = 0; i < 2 * perWriter; i++) {
                        s += com.softwaremill.jox.Select.select(ca, cb);
                    }
                    sum[0] = s;
                });
            }
            default -> throw new IllegalArgumentException("impl must be qfiber, jox or plainRead, was " + impl);
        }
        w.joinAll();
        long expected = 2L * perWriter * (perWriter - 1) / 2;
        if (sum[0] != expected) {
            throw new IllegalStateException("sum " + sum[0] + ", expected " + expected);
        }
        return sum[0];
    }

    private static void write(Channel<Integer> ch, int n) {
        for (int i = 0; i < n; i++) {
            ch.write(i);
        }
    }

    private static com.softwaremill.jox.Channel<Integer> joxChannel(int capacity) {
        return capacity == 0 ? com.softwaremill.jox.Channel.newRendezvousChannel()
                : com.softwaremill.jox.Channel.newBufferedChannel(capacity);
    }
}
