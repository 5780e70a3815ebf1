package io.qfiber.examples.spring;

import io.micrometer.context.ContextRegistry;
import java.util.UUID;
import org.slf4j.MDC;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * Gives every request an id (its {@code X-Request-Id} header, or a fresh one), echoes it in the
 * response, and puts it into the request's Reactor {@link Context}. The MDC entry
 * {@code requestId} is registered with Micrometer's context-propagation, so fiber code started
 * by {@code Fiber.mono} for this request logs with it: the log pattern prints {@code %X{requestId}}.
 */
@Component
public class RequestIdFilter implements WebFilter {
    /** The header, the Reactor context key and the MDC key. */
    public static final String HEADER = "X-Request-Id";
    /** The Reactor context key (also the MDC key). */
    public static final String CONTEXT_KEY = "requestId";

    /** Registers the MDC entry with context-propagation (replacing an earlier registration). */
    public RequestIdFilter() {
        ContextRegistry.getInstance().registerThreadLocalAccessor(CONTEXT_KEY,
                () -> MDC.get(CONTEXT_KEY), id -> MDC.put(CONTEXT_KEY, id), () -> MDC.remove(CONTEXT_KEY));
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String given = exchange.getRequest().getHeaders().getFirst(HEADER);
        String id = given != null && !given.isBlank() && given.length() <= 64 ? given : UUID.randomUUID().toString();
        exchange.getResponse().getHeaders().set(HEADER, id);
        return chain.filter(exchange).contextWrite(Context.of(CONTEXT_KEY, id));
    }
}
