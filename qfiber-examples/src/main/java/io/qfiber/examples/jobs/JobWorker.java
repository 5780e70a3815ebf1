package io.qfiber.examples.jobs;

import io.qfiber.FiberScope;
import io.qfiber.examples.jobs.Jobs.Job;
import io.qfiber.examples.jobs.Jobs.Result;
import io.qfiber.nats.NatsChannels;
import io.qfiber.nats.RemoteChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker process: four fibers read jobs from the remote {@code jobs} channel, do them and write
 * their results to {@code results}, until the producer closes {@code jobs} and it is drained.
 * Start as many worker processes as you like, on any machine that reaches the server: each job
 * goes to one of them.
 *
 * <p>Arguments: {@code [name] [url]} (defaults: {@code worker-<pid>}, {@link Jobs#DEFAULT_URL}).
 */
public final class JobWorker {
    private JobWorker() {}

    /**
     * Runs the worker until the jobs channel is closed and drained.
     *
     * @param args {@code [name] [url]}
     */
    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "worker-" + ProcessHandle.current().pid();
        String url = args.length > 1 ? args[1] : Jobs.DEFAULT_URL;
        System.out.println(name + ": done " + run(name, url) + " jobs");
    }

    /**
     * The worker's body.
     *
     * @param name the worker's name, written into its results
     * @param url  the NATS server
     * @return how many jobs it did
     */
    public static int run(String name, String url) {
        AtomicInteger done = new AtomicInteger();
        try (NatsChannels nats = NatsChannels.connect(url)) {
            RemoteChannel<Job> jobs = Jobs.jobs(nats);
            RemoteChannel<Result> results = Jobs.results(nats);
            System.out.println(name + ": ready");
            try (FiberScope scope = FiberScope.open(name)) {
                for (int i = 0; i < 4; i++) {
                    scope.fork(name + "-" + i, () -> {
                        for (Job job : jobs) { // ends when the producer closed the channel and it is drained
                            results.write(Jobs.work(job, name));
                            done.incrementAndGet();
                        }
                    });
                }
                scope.join();
            }
        }
        return done.get();
    }
}
