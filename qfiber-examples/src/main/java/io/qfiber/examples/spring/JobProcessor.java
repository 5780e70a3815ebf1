package io.qfiber.examples.spring;

/** What the worker fiber of {@link JobQueue} does with each job. Runs in a fiber: may block. */
@FunctionalInterface
public interface JobProcessor {
    /**
     * Processes one job.
     *
     * @param job the job
     */
    void process(Job job);
}
