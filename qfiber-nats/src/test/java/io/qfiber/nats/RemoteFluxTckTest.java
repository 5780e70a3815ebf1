package io.qfiber.nats;

import java.time.Duration;
import java.util.UUID;
import org.opentest4j.TestAbortedException;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK over {@code RemoteChannel.asFlux()} against a real server: each
 * publisher is a fresh remote channel, filled, then closed. Its values go out only against demand,
 * each acked before it is emitted.
 */
public class RemoteFluxTckTest extends PublisherVerification<Integer> {
    private NatsServer server;
    private NatsChannels nats;

    public RemoteFluxTckTest() {
        super(new TestEnvironment(2_000, 200));
    }

    @BeforeClass
    public void startServer() {
        try {
            server = NatsServer.start();
        } catch (TestAbortedException noBinary) {
            throw new SkipException(noBinary.getMessage());
        }
        nats = NatsChannels.connect(server.url());
    }

    @AfterClass(alwaysRun = true)
    public void stopServer() {
        if (nats != null) {
            nats.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private RemoteChannel<Integer> fresh(long capacity) {
        return nats.channel("tck-" + UUID.randomUUID().toString().substring(0, 8), Codec.json(Integer.class))
                .capacity((int) Math.max(1, capacity)).redeliverAfter(Duration.ofSeconds(30)).open();
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        RemoteChannel<Integer> channel = fresh(elements);
        for (int i = 0; i < elements; i++) {
            channel.write(i);
        }
        channel.close();
        return channel.asFlux();
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        RemoteChannel<Integer> channel = fresh(1);
        channel.close(new IllegalStateException("failed on purpose"));
        return channel.asFlux();
    }

    /**
     * Rule 1.3, checked stochastically: the TCK creates 100 publishers here, each a remote channel
     * with its streams and consumer (about half a second each on the test server), so it runs
     * only with {@code -Dqfiber.nats.tck.stochastic=true} (it passes; 50 s per mode).
     */
    @Override
    public void stochastic_spec103_mustSignalOnMethodsSequentially() throws Throwable {
        if (!Boolean.getBoolean("qfiber.nats.tck.stochastic")) {
            throw new SkipException("100 remote channels: run with -Dqfiber.nats.tck.stochastic=true");
        }
        super.stochastic_spec103_mustSignalOnMethodsSequentially();
    }

    @Override
    public long maxElementsFromPublisher() {
        return 16; // written up front, a round trip each: the rules that need more are skipped
    }
}
