package io.qfiber.examples.jobs;

import io.qfiber.nats.Codec;
import io.qfiber.nats.NatsChannels;
import io.qfiber.nats.RemoteChannel;
import java.time.Duration;

/**
 * The job queue shared by {@link JobProducer} and {@link JobWorker}: two remote channels on a NATS
 * server, {@code jobs} (producer to workers) and {@code results} (workers to producer), with
 * their values as JSON.
 */
public final class Jobs {
    /** The default server: {@code nats-server -js -a 127.0.0.1 -p 4222 -sd /tmp/qfiber-nats}. */
    public static final String DEFAULT_URL = "nats://127.0.0.1:4222";

    private Jobs() {}

    /**
     * A job: count the words of a text.
     *
     * @param id   the job's number
     * @param text the text
     */
    public record Job(int id, String text) {}

    /**
     * A job done.
     *
     * @param id     the job's number
     * @param worker the worker process that did it
     * @param words  the number of words in the job's text
     */
    public record Result(int id, String worker, int words) {}

    /**
     * Opens (or joins) the jobs channel.
     *
     * @param nats the connection
     * @return the channel: at most 100 jobs wait on the server; a job a worker took and did not
     *         finish within 30 s goes to another worker
     */
    public static RemoteChannel<Job> jobs(NatsChannels nats) {
        return nats.channel("jobs", Codec.json(Job.class)).capacity(100).redeliverAfter(Duration.ofSeconds(30)).open();
    }

    /**
     * Opens (or joins) the results channel.
     *
     * @param nats the connection
     * @return the channel
     */
    public static RemoteChannel<Result> results(NatsChannels nats) {
        return nats.channel("results", Codec.json(Result.class)).capacity(1000).open();
    }

    /**
     * The work: counts words.
     *
     * @param job    the job
     * @param worker who does it
     * @return the result
     */
    public static Result work(Job job, String worker) {
        String trimmed = job.text().strip();
        return new Result(job.id(), worker, trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length);
    }

    /**
     * The text of job {@code id}: {@code id % 17 + 1} words.
     *
     * @param id the job's number
     * @return its text
     */
    public static String textOf(int id) {
        return ("w" + id + " ").repeat(id % 17 + 1).strip();
    }
}
