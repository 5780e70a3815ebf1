package io.qfiber.examples.spring;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * A bounded queue of jobs and the worker fiber that runs them one by one. A burst of submissions
 * is held back, not buffered without limit: once {@code capacity} jobs wait, {@link #submit} waits
 * for room up to a deadline and then refuses.
 *
 * <p>On close (Spring calls it when the context closes) the queue stops taking jobs, gives the
 * worker a grace period to finish the queued ones, then cancels it; jobs it did not start are
 * logged one by one, not dropped silently.
 */
@Component
public class JobQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobQueue.class);

    private final Channel<Job> jobs;
    private final Fiber<Void> worker;
    private final AtomicLong processed = new AtomicLong();
    private final Duration grace;

    /**
     * Starts the worker.
     *
     * @param processor what to do with each job
     * @param capacity  jobs that may wait ({@code qfiber.example.job-capacity}, default 8)
     * @param grace     how long close waits for queued jobs ({@code qfiber.example.shutdown-grace}, default 2 s)
     */
    public JobQueue(JobProcessor processor,
                    @Value("${qfiber.example.job-capacity:8}") int capacity,
                    @Value("${qfiber.example.shutdown-grace:2s}") Duration grace) {
        this.jobs = Channel.<Job>builder().name("jobs").capacity(capacity).build();
        this.grace = grace;
        this.worker = Fiber.start("job-worker", () -> {
            for (Job job : jobs) {
                MDC.put("requestId", job.requestId()); // the submitting request's id, in this fiber's log lines
                try {
                    processor.process(job);
                    processed.incrementAndGet();
                } catch (RuntimeException e) {
                    LOG.error("job {} failed", job, e);
                } finally {
                    MDC.remove("requestId");
                }
            }
        });
    }

    /**
     * Queues a job, waiting up to {@code wait} for room. Blocks the calling fiber or thread: call
     * it from fiber code, never on an event loop (where the library refuses it).
     *
     * @param job  the job
     * @param wait how long to wait for room
     * @return true if queued; false if the queue stayed full
     * @throws io.qfiber.ChannelClosedException if the queue has been closed
     */
    public boolean submit(Job job, Duration wait) {
        return jobs.write(job, wait);
    }

    /**
     * Jobs processed so far.
     *
     * @return the count
     */
    public long processed() {
        return processed.get();
    }

    /** The worker fiber (for tests). */
    Fiber<Void> worker() {
        return worker;
    }

    @Override
    public void close() {
        jobs.close();
        if (!worker.join(grace)) {
            worker.cancel();
            worker.join(Duration.ofSeconds(5));
        }
        for (Optional<Job> left = jobs.tryRead(); left.isPresent(); left = jobs.tryRead()) {
            LOG.warn("job not run before shutdown: {}", left.get());
        }
    }
}
