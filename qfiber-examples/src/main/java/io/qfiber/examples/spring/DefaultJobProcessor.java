package io.qfiber.examples.spring;

import io.qfiber.Fiber;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The example's job processor: takes a fixed time per job and logs it. Replaceable by another bean. */
@Configuration(proxyBeanMethods = false)
public class DefaultJobProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultJobProcessor.class);

    /**
     * @param duration time per job ({@code qfiber.example.job-duration}, default 200 ms)
     * @return a processor that sleeps its fiber for {@code duration}
     */
    @Bean
    @ConditionalOnMissingBean(JobProcessor.class)
    public JobProcessor jobProcessor(@Value("${qfiber.example.job-duration:200ms}") Duration duration) {
        return job -> {
            Fiber.sleep(duration);
            LOG.info("processed job {}", job.payload());
        };
    }
}
