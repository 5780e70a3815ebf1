package io.qfiber.examples.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The virtual-thread benchmarks outside JMH, measured in one JVM: each round runs every
 * implementation once, in turn, with fresh virtual threads, and the median of the per-round ratios
 * is reported. Two virtual threads on a 2-core machine land either on one carrier (hand-offs
 * through its local queue: fast) or on two (every hand-off wakes the other carrier: about 4×
 * slower), and the placement is re-drawn each time threads start; a JMH fork keeps its first draw
 * for all its iterations, so single-fork JMH ratios swing between rounds. Many short interleaved
 * measurements give every implementation the same draws.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.bench.InterleavedRounds
 * -Dexec.appArgs="pingpong 30"}; workloads {@code pingpong} (our rendezvous channel vs
 * {@code SynchronousQueue}), {@code pingpong-reversed} (the same, with the baseline first in each
 * round and the ponger started first), {@code select0} and {@code select16} ({@link SelectBenchmark}'s
 * workload on rendezvous and capacity-16 channels: ours vs jox vs a plain read), {@code spsc} and
 * {@code mpmc} ({@link ChannelThroughputBenchmark}'s workloads, 1×1 and 4×4 through capacity
 * 1024: ours vs {@code ArrayBlockingQueue}; an optional third argument sets the values per run,
 * default 200,000: runs that short mostly measure where the threads land, 4,000,000 measures the
 * steady state). The first two rounds are warm-up.
 */
public final class InterleavedRounds {
    private InterleavedRounds() {}

    private interface Run {
        void run(String impl) throws InterruptedException;
    }

    /**
     * Runs the rounds and prints the ratios.
     *
     * @param args workload (default pingpong), rounds (default 30), values per run (spsc and mpmc)
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        String workload = args.length > 0 && !args[0].isBlank() ? args[0].trim() : "pingpong";
        int rounds = args.length > 1 ? Integer.parseInt(args[1].trim()) : 30;
        List<String> impls;
        Run run;
        int ops;
        switch (workload) {
            case "pingpong" -> {
                impls = List.of("qfiber", "sq");
                ops = 100_000;
                run = impl -> RendezvousPingPongBenchmark.onVirtualThreads(impl, ops);
            }
            case "pingpong-reversed" -> {
                // The same workload the other way round: the baseline runs first in each round,
                // and the ponger is started before the pinger.
                impls = List.of("sq", "qfiber");
                ops = 100_000;
                run = impl -> RendezvousPingPongBenchmark.onVirtualThreads(impl, ops, true);
            }
            case "select0", "select16" -> {
                impls = List.of("qfiber", "jox", "plainRead");
                int capacity = workload.equals("select0") ? 0 : 16;
                ops = 100_000;
                run = impl -> SelectBenchmark.run(impl, capacity, ops);
            }
            case "spsc", "mpmc" -> {
                impls = List.of("qfiber", "abq");
                int sides = workload.equals("spsc") ? 1 : 4;
                ops = args.length > 2 ? Integer.parseInt(args[2].trim()) : 200_000;
                java.util.concurrent.atomic.LongAdder taken = new java.util.concurrent.atomic.LongAdder();
                run = impl -> ChannelThroughputBenchmark.transfer(impl, sides, sides, ops, v -> taken.increment());
            }
            default -> throw new IllegalArgumentException(
                    "workload must be pingpong, pingpong-reversed, select0, select16, spsc or mpmc, was " + workload);
        }
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        for (int round = -2; round < rounds; round++) {
            Map<String, Double> rate = new LinkedHashMap<>();
            for (String impl : impls) {
                long t0 = System.nanoTime();
                run.run(impl);
                rate.put(impl, ops / ((System.nanoTime() - t0) / 1000.0));
            }
            if (round < 0) {
                continue;
            }
            StringBuilder line = new StringBuilder("round " + round);
            for (String impl : impls) {
                line.append(String.format("  %s %.3f", impl, rate.get(impl)));
                if (!impl.equals("qfiber")) {
                    ratios.computeIfAbsent("qfiber/" + impl, k -> new ArrayList<>()).add(rate.get("qfiber") / rate.get(impl));
                }
            }
            System.out.println(line + " ops/us");
        }
        System.out.printf("%s, JDK %s, %d CPUs, %d rounds: median ratios%n", workload, Runtime.version(),
                Runtime.getRuntime().availableProcessors(), rounds);
        ratios.forEach((k, v) -> {
            List<Double> sorted = v.stream().sorted().toList();
            System.out.printf("  %-20s %.2f  (quartiles %.2f .. %.2f)%n", k, sorted.get(sorted.size() / 2),
                    sorted.get(sorted.size() / 4), sorted.get(sorted.size() * 3 / 4));
        });
    }
}
