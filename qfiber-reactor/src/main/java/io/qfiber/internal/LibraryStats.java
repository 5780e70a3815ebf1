package io.qfiber.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The library's own counters, kept whether or not anyone reads them (each is a {@link LongAdder}
 * bumped once per fiber start or end, accepted connection, or recv/send call), and the registry of
 * named channels, read by the optional Micrometer binding ({@code io.qfiber.QFiberMetrics}).
 *
 * <p>Only channels given a name with {@code Channel.builder().name(...)} are registered, weakly
 * (a registered channel that nobody references is collected as usual); channels sharing a name are
 * reported together. Unnamed channels are not tracked one by one.
 */
public final class LibraryStats {
    /** Fibers started. */
    public static final LongAdder FIBERS_STARTED = new LongAdder();
    /** Fibers whose body returned. */
    public static final LongAdder FIBERS_COMPLETED = new LongAdder();
    /** Fibers whose body failed. */
    public static final LongAdder FIBERS_FAILED = new LongAdder();
    /** Fibers that ended cancelled. */
    public static final LongAdder FIBERS_CANCELLED = new LongAdder();
    /** Connections accepted by every TcpServer. */
    public static final LongAdder TCP_ACCEPTED = new LongAdder();
    /** Bytes returned by every TcpSocket.recv. */
    public static final LongAdder TCP_BYTES_RECEIVED = new LongAdder();
    /** Bytes passed to every TcpSocket.send that succeeded. */
    public static final LongAdder TCP_BYTES_SENT = new LongAdder();

    private static final Map<String, ChannelGroup> GROUPS = new ConcurrentHashMap<>();
    private static final List<Consumer<ChannelGroup>> GROUP_LISTENERS = new CopyOnWriteArrayList<>();

    private LibraryStats() {}

    /** The live channels of one name. */
    public static final class ChannelGroup {
        private final String name;
        private final ReentrantLock lock = new ReentrantLock();
        private final WeakHashMap<AbstractChannel<?>, Boolean> channels = new WeakHashMap<>();

        ChannelGroup(String name) {
            this.name = name;
        }

        /** @return the channels' name */
        public String name() {
            return name;
        }

        /** @return the live channels of this name, a snapshot */
        public List<AbstractChannel<?>> channels() {
            lock.lock();
            try {
                return new ArrayList<>(channels.keySet());
            } finally {
                lock.unlock();
            }
        }

        void add(AbstractChannel<?> channel) {
            lock.lock();
            try {
                channels.put(channel, Boolean.TRUE);
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Registers a named channel.
     *
     * @param channel a channel given an explicit name
     */
    static void registerNamed(AbstractChannel<?> channel) {
        boolean[] created = new boolean[1];
        ChannelGroup g = GROUPS.computeIfAbsent(channel.name(), n -> {
            created[0] = true;
            return new ChannelGroup(n);
        });
        g.add(channel);
        if (created[0]) {
            for (Consumer<ChannelGroup> l : GROUP_LISTENERS) {
                l.accept(g);
            }
        }
    }

    /**
     * Calls {@code listener} for every channel name registered so far and for each new one later.
     *
     * @param listener called once per name, on the thread that registers its first channel
     */
    public static void onChannelGroup(Consumer<ChannelGroup> listener) {
        GROUP_LISTENERS.add(listener);
        GROUPS.values().forEach(listener);
    }
}
