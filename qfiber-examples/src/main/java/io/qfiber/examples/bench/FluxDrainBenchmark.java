package io.qfiber.examples.bench;

import io.qfiber.Channel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
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
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * A virtual-thread writer feeding a reactive subscriber, capacity 1024, values per second:
 * {@code qfiber} is our channel drained through {@code asFlux()}; {@code abq} is the
 * {@code ArrayBlockingQueue} SPSC baseline (a virtual-thread reader); {@code naiveSink} is a channel
 * made of a unicast {@code Sinks.Many} whose writer retries failed emissions and whose reader is a
 * {@code toIterable()} loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FluxDrainBenchmark {
    static final int VALUES = 200_000;

    @Param({"qfiber", "abq", "naiveSink"})
    public String impl;

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public void drain(Blackhole bh) throws InterruptedException {
        switch (impl) {
            case "qfiber" -> drainChannel(bh);
            case "abq" -> drainQueue(bh);
            case "naiveSink" -> drainNaiveSink(bh);
            default -> throw new IllegalArgumentException(impl);
        }
    }

    private void drainChannel(Blackhole bh) throws InterruptedException {
        Channel<Integer> ch = Channel.create(1024);
        CountDownLatch done = new CountDownLatch(1);
        ch.asFlux().subscribe(new BaseSubscriber<Integer>() {
            int sinceRequest;

            @Override
            protected void hookOnSubscribe(Subscription s) {
                s.request(256);
            }

            @Override
            protected void hookOnNext(Integer v) {
                bh.consume(v);
                if (++sinceRequest == 128) {
                    sinceRequest = 0;
                    request(128);
                }
            }

            @Override
            protected void hookFinally(reactor.core.publisher.SignalType type) {
                done.countDown();
            }
        });
        new Workers().start("writer", () -> {
            for (int i = 0; i < VALUES; i++) {
                ch.write(i);
            }
            ch.close();
        }).joinAll();
        done.await();
    }

    private void drainQueue(Blackhole bh) throws InterruptedException {
        ArrayBlockingQueue<Integer> q = new ArrayBlockingQueue<>(1024);
        new Workers()
                .start("writer", () -> {
                    for (int i = 0; i < VALUES; i++) {
                        q.put(i);
                    }
                })
                .start("reader", () -> {
                    for (int i = 0; i < VALUES; i++) {
                        bh.consume(q.take());
                    }
                })
                .joinAll();
    }

    private void drainNaiveSink(Blackhole bh) throws InterruptedException {
        Sinks.Many<Integer> sink = Sinks.many().unicast().onBackpressureBuffer(Queues.<Integer>get(1024).get());
        new Workers()
                .start("writer", () -> {
                    for (int i = 0; i < VALUES; i++) {
                        Integer v = i;
                        while (sink.tryEmitNext(v).isFailure()) {
                            Thread.onSpinWait(); // full: retry, as a channel built on tryEmitNext does
                        }
                    }
                    sink.tryEmitComplete();
                })
                .start("reader", () -> {
                    for (Integer v : sink.asFlux().toIterable(256)) {
                        bh.consume(v);
                    }
                })
                .joinAll();
    }
}
