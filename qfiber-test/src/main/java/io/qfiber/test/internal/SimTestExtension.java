package io.qfiber.test.internal;

import io.qfiber.internal.fiber.Carriers;
import io.qfiber.test.Schedule;
import io.qfiber.test.Sim;
import io.qfiber.test.SimConfig;
import io.qfiber.test.SimContext;
import io.qfiber.test.SimTest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * Runs a {@link SimTest} method as the body of one simulation per iteration, and injects its
 * {@link SimContext}.
 */
public final class SimTestExtension implements InvocationInterceptor, ParameterResolver {
    /** Creates the extension (JUnit does). */
    public SimTestExtension() {}

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == SimContext.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        // a placeholder: each run passes its own context in its place
        return CurrentContext.PLACEHOLDER;
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
                                    ExtensionContext extensionContext) throws Throwable {
        SimTest spec = call.getExecutable().getAnnotation(SimTest.class);
        if (spec == null) {
            invocation.proceed();
            return;
        }
        if (spec.iterations() < 1) {
            throw new ParameterResolutionException("@SimTest iterations must be >= 1, was " + spec.iterations());
        }
        Duration limit;
        try {
            limit = Duration.parse(spec.realTimeLimit());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("@SimTest realTimeLimit must be an ISO-8601 duration such as PT30S, was '"
                    + spec.realTimeLimit() + "'", e);
        }
        if (spec.schedule() == Schedule.RANDOM && !Carriers.enabled()) {
            invocation.skip();
            Assumptions.abort("@SimTest(schedule = RANDOM) needs carrier mode, where a simulation runs on one thread: "
                    + "start the JVM with --add-opens java.base/java.lang=ALL-UNNAMED");
        }
        invocation.skip();
        Method method = call.getExecutable();
        method.setAccessible(true);
        Object target = call.getTarget().orElse(null);
        List<Object> args = call.getArguments();
        for (int i = 0; i < spec.iterations(); i++) {
            long seed = spec.seed() == SimTest.RANDOM_SEED ? ThreadLocalRandom.current().nextLong() : spec.seed() + i;
            SimConfig config = SimConfig.defaults().withSeed(seed).withSchedule(spec.schedule()).withRealTimeLimit(limit);
            Sim.run(config, ctx -> {
                Object[] actual = args.toArray();
                for (int a = 0; a < actual.length; a++) {
                    if (actual[a] == CurrentContext.PLACEHOLDER) {
                        actual[a] = ctx;
                    }
                }
                try {
                    method.invoke(target, actual);
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof Exception ex) {
                        throw ex;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw e;
                }
            });
        }
    }

    /** The placeholder argument JUnit resolves before the simulation exists. */
    private static final class CurrentContext {
        static final SimContext PLACEHOLDER = (SimContext) Proxy.newProxyInstance(SimContext.class.getClassLoader(),
                new Class<?>[] {SimContext.class}, (proxy, m, a) -> {
                    throw new IllegalStateException("this SimContext stands for the simulation of a @SimTest run and is "
                            + "replaced by it; it cannot be used outside the test method");
                });
    }
}
