package io.qfiber.examples.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the channel and fiber benchmarks in several interleaved rounds and prints, per round, each
 * benchmark's ratio of our implementation to its baseline measured in the same round, then the
 * median ratio. Ratios from one run are what counts: absolute numbers on a shared 2-core machine
 * swing with where the host places the cores.
 *
 * <p>Environment: {@code BENCH_ROUNDS} (default 3), {@code BENCH_INCLUDE} (a regex of benchmark
 * classes, default all), {@code BENCH_QUICK=1} for short iterations, {@code BENCH_JVM_ARGS} for extra
 * options of the benchmark JVMs, {@code BENCH_SHARED=1} to run them in shared mode (without the
 * carrier flag; {@code CarrierPingPongBenchmark} always has it).
 */
public final class BenchmarkRounds {
    private BenchmarkRounds() {}

    private static final boolean SHARED = "1".equals(System.getenv("BENCH_SHARED"));

    /** Baseline implementation per benchmark class. */
    private static final Map<String, List<String>> BASELINES = new LinkedHashMap<>();

    static {
        BASELINES.put(ChannelThroughputBenchmark.class.getSimpleName(), List.of("abq"));
        BASELINES.put(RendezvousPingPongBenchmark.class.getSimpleName(), List.of("sq"));
        BASELINES.put(CarrierPingPongBenchmark.class.getSimpleName(), List.of("park", "sq"));
        BASELINES.put(FiberStartBenchmark.class.getSimpleName(), List.of("virtualThread"));
        BASELINES.put(FluxDrainBenchmark.class.getSimpleName(), List.of("abq", "naiveSink"));
        BASELINES.put(SelectBenchmark.class.getSimpleName(), List.of("jox", "plainRead"));
    }

    private static String[] jvmArgs(String benchmark, String extra) {
        List<String> args = new ArrayList<>(List.of("-Xmx4g"));
        if (!SHARED) {
            args.add("--add-opens=java.base/java.lang=ALL-UNNAMED"); // carrier mode, as the examples run
        } else if (!benchmark.equals(CarrierPingPongBenchmark.class.getSimpleName())) {
            // JMH forks inherit this JVM's options, --add-opens included (exec:exec gives it):
            // the library's switch forces shared mode whatever the flags, and comes last
            args.add("-Dqfiber.carriers=false");
        }
        for (String a : extra.trim().split("\\s+")) {
            if (!a.isEmpty()) {
                args.add(a);
            }
        }
        return args.toArray(String[]::new);
    }

    /**
     * Runs the rounds.
     *
     * @param args unused; see the class comment for the environment variables
     * @throws RunnerException if JMH fails
     */
    public static void main(String[] args) throws RunnerException {
        int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "3"));
        String include = System.getenv().getOrDefault("BENCH_INCLUDE", ".*");
        boolean quick = "1".equals(System.getenv("BENCH_QUICK"));
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        System.out.printf("JDK %s, %d CPUs, %d rounds, benchmark JVMs in %s%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), rounds,
                SHARED ? "shared mode (-Dqfiber.carriers=false; CarrierPingPongBenchmark in carrier mode)" : "carrier mode");
        for (int round = 1; round <= rounds; round++) {
            for (Map.Entry<String, List<String>> bench : BASELINES.entrySet()) {
                if (!bench.getKey().matches(include)) {
                    continue;
                }
                OptionsBuilder ob = new OptionsBuilder();
                ob.include(BenchmarkRounds.class.getPackageName() + "." + bench.getKey() + ".*")
                        .verbosity(VerboseMode.SILENT)
                        .jvmArgsAppend(jvmArgs(bench.getKey(), System.getenv().getOrDefault("BENCH_JVM_ARGS", "")));
                if (quick) {
                    ob.warmupIterations(2).measurementIterations(3);
                }
                Options opts = ob.build();
                Map<String, Double> scores = new LinkedHashMap<>();
                for (RunResult r : new Runner(opts).run()) {
                    String method = r.getParams().getBenchmark().replaceAll(".*\\.", "");
                    String impl = r.getParams().getParam("impl");
                    scores.put(method + "/" + impl, r.getPrimaryResult().getScore());
                }
                for (Map.Entry<String, Double> e : scores.entrySet()) {
                    String[] parts = e.getKey().split("/");
                    if (!parts[1].equals("qfiber")) {
                        continue;
                    }
                    for (String baseline : bench.getValue()) {
                        Double base = scores.get(parts[0] + "/" + baseline);
                        if (base == null) {
                            continue;
                        }
                        String key = bench.getKey() + "." + parts[0] + " qfiber/" + baseline;
                        double ratio = e.getValue() / base;
                        ratios.computeIfAbsent(key, k -> new ArrayList<>()).add(ratio);
                        System.out.printf("round %d  %-62s %8.3f ops/us vs %8.3f ops/us  ratio %.2f%n",
                                round, key, e.getValue(), base, ratio);
                    }
                }
            }
        }
        System.out.println();
        System.out.println("median ratios (our implementation / baseline, higher is better):");
        ratios.forEach((k, v) -> {
            List<Double> sorted = v.stream().sorted().toList();
            System.out.printf("  %-62s %.2f  (rounds: %s)%n", k, sorted.get(sorted.size() / 2),
                    v.stream().map(x -> String.format("%.2f", x)).toList());
        });
    }
}
