package io.qfiber.examples.jobs;

import io.qfiber.Fiber;
import io.qfiber.examples.jobs.Jobs.Job;
import io.qfiber.examples.jobs.Jobs.Result;
import io.qfiber.nats.NatsChannels;
import io.qfiber.nats.RemoteChannel;
import java.util.Map;
import java.util.TreeMap;

/**
 * The producer process: a fiber writes {@code count} jobs into the remote {@code jobs} channel
 * (parking while 100 wait on the server), then closes it, which ends the workers once they have
 * drained it; meanwhile this process reads the results, checks that every job was done once and
 * right, and prints who did how many. Then it deletes both channels from the server.
 *
 * <p>Arguments: {@code [count] [url]} (defaults: 1000, {@link Jobs#DEFAULT_URL}).
 */
public final class JobProducer {
    private JobProducer() {}

    /**
     * What a run saw.
     *
     * @param jobs     jobs written
     * @param results  results read
     * @param perWorker jobs done per worker
     * @param wrong    results with a wrong word count or read twice
     */
    public record Summary(int jobs, int results, Map<String, Integer> perWorker, int wrong) {}

    /**
     * Runs the producer.
     *
     * @param args {@code [count] [url]}
     */
    public static void main(String[] args) {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        String url = args.length > 1 ? args[1] : Jobs.DEFAULT_URL;
        Summary s = run(count, url);
        System.out.println("producer: " + s.results() + " of " + s.jobs() + " jobs done, " + s.wrong()
                + " wrong or twice; per worker: " + s.perWorker());
        if (s.wrong() > 0 || s.results() != s.jobs()) {
            System.exit(1);
        }
    }

    /**
     * The producer's body.
     *
     * @param count how many jobs
     * @param url   the NATS server
     * @return what it saw
     */
    public static Summary run(int count, String url) {
        try (NatsChannels nats = NatsChannels.connect(url)) {
            RemoteChannel<Job> jobs = Jobs.jobs(nats);
            RemoteChannel<Result> results = Jobs.results(nats);
            Fiber<Void> feeder = Fiber.start("feeder", () -> {
                for (int i = 0; i < count; i++) {
                    jobs.write(new Job(i, Jobs.textOf(i))); // parks while the server holds 100 jobs
                }
                jobs.close(); // for every process: workers drain what is left, then stop
            });
            boolean[] seen = new boolean[count];
            Map<String, Integer> perWorker = new TreeMap<>();
            int wrong = 0;
            for (int i = 0; i < count; i++) {
                Result r = results.read();
                boolean right = r.id() >= 0 && r.id() < count && !seen[r.id()]
                        && r.words() == Jobs.work(new Job(r.id(), Jobs.textOf(r.id())), r.worker()).words();
                if (right) {
                    seen[r.id()] = true;
                } else {
                    wrong++;
                }
                perWorker.merge(r.worker(), 1, Integer::sum);
            }
            feeder.join();
            jobs.delete(); // the next run starts afresh
            results.delete();
            return new Summary(count, count, perWorker, wrong);
        }
    }
}
