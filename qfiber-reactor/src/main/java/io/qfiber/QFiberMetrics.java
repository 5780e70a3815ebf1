package io.qfiber;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.qfiber.internal.net.NettyConnection;
import io.qfiber.internal.observe.ChannelStats;
import io.qfiber.internal.observe.LibraryStats;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * Binds the library's meters to a Micrometer {@link MeterRegistry}: fibers, named channels and TCP.
 * Needs {@code io.micrometer:micrometer-core} on the class path (an optional dependency of the
 * library). In Spring Boot, declare it as a bean and it appears under {@code /actuator/metrics}:
 *
 * <pre>{@code
 * @Bean
 * QFiberMetrics qfiberMetrics() {
 *     return new QFiberMetrics();
 * }
 * }</pre>
 *
 * <p>Meters (every name is listed with its meaning in {@code docs/operating.md}):
 * <ul>
 *   <li>{@code qfiber.fibers.started}, {@code qfiber.fibers.ended} (tag {@code outcome}:
 *       {@code completed}, {@code failed}, {@code cancelled}): function counters;</li>
 *   <li>{@code qfiber.fibers.alive} (tag {@code state}: {@code running}, {@code blocked}): gauges,
 *       computed when read by walking the live fibers;</li>
 *   <li>per channel name ({@code Channel.builder().name(...)}; tag {@code channel}):
 *       {@code qfiber.channel.size}, {@code qfiber.channel.capacity},
 *       {@code qfiber.channel.readers.waiting}, {@code qfiber.channel.writers.waiting} (gauges),
 *       {@code qfiber.channel.written}, {@code qfiber.channel.read}, {@code qfiber.channel.dropped}
 *       (function counters). Channels sharing a name add up; a closed channel leaves the gauges
 *       once drained, its counts stay in the counters; channels without a name are not tracked
 *       one by one, so the number of meters stays bounded by the names you choose;</li>
 *   <li>{@code qfiber.tcp.connections.open} (gauge), {@code qfiber.tcp.connections.accepted},
 *       {@code qfiber.tcp.bytes.received}, {@code qfiber.tcp.bytes.sent} (function counters).</li>
 * </ul>
 *
 * <p>The counters run whether or not a registry is bound (a {@code LongAdder} bump per fiber,
 * connection or socket call; per value only for named rendezvous channels); binding only reads
 * them. A named channel created after binding gets its meters when it is created. Binding to
 * several registries is allowed. Thread-safe.
 */
public final class QFiberMetrics implements MeterBinder {

    /** Creates the binder; nothing is registered until {@link #bindTo}. */
    public QFiberMetrics() {
        // stateless: the meters read the library's own counters
    }

    /**
     * Registers the library's meters with {@code registry}: the fiber and TCP counters at once,
     * each named channel's meters now and for every channel name first used later. The listener
     * that does the latter stays registered for the life of the JVM (it holds the registry). Never
     * blocks.
     *
     * @param registry the registry, not null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "qfiber.fibers.started", "fibers started", LibraryStats.FIBERS_STARTED, Tags.empty());
        counter(registry, "qfiber.fibers.ended", "fibers whose body returned", LibraryStats.FIBERS_COMPLETED,
                Tags.of("outcome", "completed"));
        counter(registry, "qfiber.fibers.ended", "fibers whose body failed", LibraryStats.FIBERS_FAILED,
                Tags.of("outcome", "failed"));
        counter(registry, "qfiber.fibers.ended", "fibers that ended cancelled", LibraryStats.FIBERS_CANCELLED,
                Tags.of("outcome", "cancelled"));
        for (FiberDump.State state : FiberDump.State.values()) {
            Gauge.builder("qfiber.fibers.alive", () -> aliveIn(state))
                    .description("fibers started and not ended, running or blocked in the library")
                    .tag("state", state.name().toLowerCase(java.util.Locale.ROOT))
                    .strongReference(true)
                    .register(registry);
        }
        Gauge.builder("qfiber.tcp.connections.open", NettyConnection::openConnections)
                .description("TCP connections in use by fibers and not yet closed").strongReference(true).register(registry);
        counter(registry, "qfiber.tcp.connections.accepted", "TCP connections accepted by TcpServers",
                LibraryStats.TCP_ACCEPTED, Tags.empty());
        FunctionCounter.builder("qfiber.tcp.bytes.received", LibraryStats.TCP_BYTES_RECEIVED, LongAdder::sum)
                .description("bytes returned by TcpSocket.recv").baseUnit("bytes").register(registry);
        FunctionCounter.builder("qfiber.tcp.bytes.sent", LibraryStats.TCP_BYTES_SENT, LongAdder::sum)
                .description("bytes handed to TcpSocket.send").baseUnit("bytes").register(registry);
        LibraryStats.onChannelGroup(group -> bindChannels(registry, group));
    }

    private static void counter(MeterRegistry registry, String name, String description, LongAdder adder, Tags tags) {
        FunctionCounter.builder(name, adder, LongAdder::sum).description(description).tags(tags).register(registry);
    }

    private static double aliveIn(FiberDump.State state) {
        return FiberDump.snapshot(false).stream().filter(f -> f.state() == state).count();
    }

    private static void bindChannels(MeterRegistry registry, LibraryStats.ChannelGroup group) {
        Tags tags = Tags.of("channel", group.name());
        gauge(registry, "qfiber.channel.size", "values buffered", group, tags, ChannelStats::size);
        gauge(registry, "qfiber.channel.capacity", "buffer capacity (0: rendezvous; unbounded: Integer.MAX_VALUE)",
                group, tags, ChannelStats::capacity);
        gauge(registry, "qfiber.channel.readers.waiting", "blocked readers and Flux subscribers with demand",
                group, tags, ChannelStats::readersWaiting);
        gauge(registry, "qfiber.channel.writers.waiting", "blocked writers", group, tags, ChannelStats::writersWaiting);
        FunctionCounter.builder("qfiber.channel.written", group, LibraryStats.ChannelGroup::written)
                .description("values written").tags(tags).register(registry);
        FunctionCounter.builder("qfiber.channel.read", group, LibraryStats.ChannelGroup::read)
                .description("values taken by readers and Flux subscribers").tags(tags).register(registry);
        FunctionCounter.builder("qfiber.channel.dropped", group, LibraryStats.ChannelGroup::dropped)
                .description("values dropped by the overflow policy (each passed to onDrop)").tags(tags).register(registry);
    }

    private static void gauge(MeterRegistry registry, String name, String description, LibraryStats.ChannelGroup group,
                              Tags tags, ToDoubleFunction<ChannelStats> f) {
        Gauge.builder(name, group, g -> sum(g, f)).description(description).tags(tags).strongReference(true).register(registry);
    }

    private static double sum(LibraryStats.ChannelGroup group, ToDoubleFunction<ChannelStats> f) {
        List<ChannelStats> channels = group.channels();
        double total = 0;
        for (ChannelStats c : channels) {
            total += f.applyAsDouble(c);
        }
        return total;
    }
}
