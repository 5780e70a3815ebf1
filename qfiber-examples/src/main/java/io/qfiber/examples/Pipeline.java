package io.qfiber.examples;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A producer fiber feeds jobs to one threaded worker fiber per core, which send results to a
 * collector fiber: QFiber's "spread work over threads, talk over channels" in thirty lines.
 *
 * <pre>
 *   producer ──jobs──▶ worker-0 (own thread) ──┐
 *                 └──▶ worker-1 (own thread) ──┴──results──▶ collector
 * </pre>
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.Pipeline}
 * (from the project's root: it builds the library, selects a JDK 21+ and runs this class).
 */
public final class Pipeline {
    /** A job: count the primes below {@code limit}. */
    record Job(int id, int limit) {}

    /** A worker's answer, with the thread that computed it. */
    record Result(int jobId, int primes, String thread) {}

    /** What the collector saw. */
    record Summary(int jobs, long primes, Map<String, Integer> jobsPerThread) {}

    private Pipeline() {}

    /**
     * Runs the pipeline.
     *
     * @param args optional: the number of jobs (default 200)
     */
    public static void main(String[] args) {
        int jobs = args.length > 0 && !args[0].isBlank() ? Integer.parseInt(args[0].trim()) : 200;
        Summary s = run(jobs, Runtime.getRuntime().availableProcessors(), System.out);
        System.out.printf("collector: %d results, %d primes in all%n", s.jobs(), s.primes());
    }

    /**
     * Runs {@code jobs} jobs over {@code workers} threaded worker fibers.
     *
     * @param jobs    how many jobs the producer writes
     * @param workers how many threaded workers
     * @param out     where progress lines go
     * @return what the collector counted
     */
    public static Summary run(int jobs, int workers, PrintStream out) {
        Channel<Job> jobQueue = Channel.create(16);
        Channel<Result> results = Channel.create();

        Fiber<Void> producer = Fiber.start("producer", () -> {
            for (int i = 0; i < jobs; i++) {
                jobQueue.write(new Job(i, 10_000 + i * 100));
            }
            jobQueue.close(); // workers finish what is queued, then see the close
        });

        List<Fiber<Void>> workerFibers = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            workerFibers.add(Fiber.builder().name("worker-" + w).threaded().start(() -> {
                out.printf("%s: started (thread=%s)%n", Fiber.current().name(), Thread.currentThread().getName());
                for (Job job : jobQueue) {
                    results.write(new Result(job.id(), countPrimes(job.limit()), Thread.currentThread().getName()));
                }
            }));
        }

        Fiber<Summary> collector = Fiber.start("collector", () -> {
            long primes = 0;
            int count = 0;
            Map<String, Integer> perThread = new TreeMap<>();
            for (Result r : results) {
                primes += r.primes();
                count++;
                perThread.merge(r.thread(), 1, Integer::sum);
            }
            return new Summary(count, primes, perThread);
        });

        producer.join();
        workerFibers.forEach(Fiber::join);
        results.close();
        Summary summary = collector.join();
        summary.jobsPerThread().forEach((thread, n) -> out.printf("%s handled %d jobs%n", thread, n));
        return summary;
    }

    static int countPrimes(int limit) {
        int count = 0;
        for (int n = 2; n < limit; n++) {
            boolean prime = true;
            for (int d = 2; (long) d * d <= n; d++) {
                if (n % d == 0) {
                    prime = false;
                    break;
                }
            }
            if (prime) {
                count++;
            }
        }
        return count;
    }
}
