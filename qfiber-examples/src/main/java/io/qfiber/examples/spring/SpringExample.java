package io.qfiber.examples.spring;

import io.qfiber.QFiberMetrics;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * QFiber inside a Spring Boot WebFlux application: a live event stream fed by a threaded fiber
 * ({@link EventFeed}), blocking-style request handlers in fibers ({@link QuoteController}), a
 * bounded job queue that pushes back on bursts ({@link JobQueue}), and request ids that reach
 * fiber code's log lines through the Reactor context ({@link RequestIdFilter}). Every fiber is owned
 * by a bean and ends when the application context closes.
 *
 * <p>Run it with {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.spring.SpringExample}
 * and try {@code curl -N localhost:8080/events}, {@code curl localhost:8080/quote/apple},
 * {@code curl -H 'Content-Type: text/plain' -d work localhost:8080/jobs}. See {@code docs/spring.md}.
 */
@SpringBootApplication
public class SpringExample {
    /**
     * The library's meters (fibers, named channels, TCP) for Micrometer: Spring Boot binds every
     * {@code MeterBinder} bean, so they appear under {@code /actuator/metrics}.
     *
     * @return the binder
     */
    @Bean
    public QFiberMetrics qfiberMetrics() {
        return new QFiberMetrics();
    }

    /**
     * Starts the application.
     *
     * @param args Spring Boot arguments, for example {@code --server.port=0}
     */
    public static void main(String[] args) {
        SpringApplication.run(SpringExample.class, args);
    }
}
