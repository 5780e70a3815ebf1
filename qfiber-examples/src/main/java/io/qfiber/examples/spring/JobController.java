package io.qfiber.examples.spring;

import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code POST /jobs}: backpressure on bursts through a bounded channel. */
@RestController
public class JobController {
    private final JobQueue queue;
    private final Duration admission;

    /**
     * @param queue     the job queue
     * @param admission how long a request waits for room ({@code qfiber.example.admission-timeout}, default 1 s)
     */
    public JobController(JobQueue queue, @Value("${qfiber.example.admission-timeout:1s}") Duration admission) {
        this.queue = queue;
        this.admission = admission;
    }

    /**
     * Queues the body as a job. The request's fiber waits for room in the queue (its virtual thread
     * parks; the event loop goes on serving); 202 once queued, 503 if the queue stayed full for the
     * admission timeout or is shutting down.
     *
     * @param payload the job
     * @return 202 Accepted or 503 Service Unavailable
     */
    @PostMapping("/jobs")
    public Mono<ResponseEntity<String>> submit(@RequestBody String payload) {
        return Fiber.mono(() -> {
            String requestId = Fiber.context().getOrDefault(RequestIdFilter.CONTEXT_KEY, "-");
            try {
                if (queue.submit(new Job(requestId, payload), admission)) {
                    return ResponseEntity.status(HttpStatus.ACCEPTED).body("queued\n");
                }
                return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body("busy, try again later\n");
            } catch (ChannelClosedException shuttingDown) {
                return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body("shutting down\n");
            }
        });
    }
}
