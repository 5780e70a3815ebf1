package io.qfiber.examples.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.nats.NatsServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The job-queue example as its docs run it: a real nats-server, two worker processes and a
 * producer process, each a JVM of its own.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JobQueueExampleTest {

    /** A child JVM running one of the example's main classes; its output, line by line. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CompletableFuture<Void> ready = new CompletableFuture<>();

        Child(Class<?> main, String... args) throws IOException {
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                    main.getName()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                        if (line.endsWith(": ready")) {
                            ready.complete(null);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
        }

        int exit() throws InterruptedException {
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("process ends; output: %s", lines).isTrue();
            return process.exitValue();
        }

        String last(String prefix) {
            return lines.stream().filter(l -> l.startsWith(prefix)).reduce((a, b) -> b).orElse("(no line: " + lines + ")");
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void twoWorkerProcessesDoEveryJobOfAProducerProcessOnce() throws Exception {
        int count = 600;
        try (NatsServer server = NatsServer.start();
             Child w1 = new Child(JobWorker.class, "worker-1", server.url());
             Child w2 = new Child(JobWorker.class, "worker-2", server.url())) {
            w1.ready.get(60, TimeUnit.SECONDS);
            w2.ready.get(60, TimeUnit.SECONDS);
            try (Child producer = new Child(JobProducer.class, String.valueOf(count), server.url())) {
                assertThat(producer.exit()).as("producer: %s", producer.lines).isZero();
                assertThat(producer.last("producer:")).startsWith("producer: " + count + " of " + count
                        + " jobs done, 0 wrong or twice; per worker: {worker-1=");
            }
            // the producer closed the jobs channel: the workers drain it and end
            assertThat(w1.exit()).isZero();
            assertThat(w2.exit()).isZero();
            int done1 = Integer.parseInt(w1.last("worker-1: done").replaceAll("\\D+", " ").trim().split(" ")[1]);
            int done2 = Integer.parseInt(w2.last("worker-2: done").replaceAll("\\D+", " ").trim().split(" ")[1]);
            assertThat(done1 + done2).as("each job done by one worker").isEqualTo(count);
            assertThat(done1).as("both workers took jobs").isPositive();
            assertThat(done2).as("both workers took jobs").isPositive();
        }
    }
}
