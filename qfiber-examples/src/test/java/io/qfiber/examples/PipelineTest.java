package io.qfiber.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipelineTest {
    @Test
    void everyJobIsHandledOnceByTheThreadedWorkers() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Pipeline.Summary s = Pipeline.run(60, 2, out);
        long expected = IntStream.range(0, 60).mapToLong(i -> Pipeline.countPrimes(10_000 + i * 100)).sum();
        assertThat(s.jobs()).isEqualTo(60);
        assertThat(s.primes()).isEqualTo(expected);
        assertThat(s.jobsPerThread().keySet()).allSatisfy(t -> assertThat(t).startsWith("worker-"));
        assertThat(s.jobsPerThread().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("worker-0: started (thread=worker-0)",
                "worker-1: started (thread=worker-1)");
    }
}
