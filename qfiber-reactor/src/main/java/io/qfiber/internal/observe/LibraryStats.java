package io.qfiber.internal.observe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * The library's own counters, kept whether or not anyone reads them (each is a {@link LongAdder}
 * bumped once per fiber start or end, accepted connection, or recv/send call), and the registry of
 * named channels, read by the optional Micrometer binding ({@code io.qfiber.QFiberMetrics}).
 *
 * <p>Only channels given a name with {@code Channel.builder().name(...)} are registered, weakly
 * (a registered channel that nobody references is collected as usual); channels sharing a name are
 * reported together, and a closed, drained one is retired (see {@link ChannelGroup}). Unnamed
 * channels are not tracked one by one.
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

    /**
     * The channels of one name. A channel that is closed and drained is retired on the next read:
     * its counts move into the group's retired totals (so the counters never go back) and it leaves
     * the gauges. A channel collected while still open takes its counts with it.
     */
    public static final class ChannelGroup {
        private final String name;
        private final ReentrantLock lock = new ReentrantLock();
        private final WeakHashMap<ChannelStats, Boolean> channels = new WeakHashMap<>();
        // guarded by lock: counts of retired channels, by WRITTEN, READ, DROPPED
        private final long[] retired = new long[3];
        private static final int WRITTEN = 0;
        private static final int READ = 1;
        private static final int DROPPED = 2;

        ChannelGroup(String name) {
            this.name = name;
        }

        /** @return the channels' name */
        public String name() {
            return name;
        }

        /** @return the channels of this name that are open or still hold values, a snapshot */
        public List<ChannelStats> channels() {
            lock.lock();
            try {
                retireFinished();
                return new ArrayList<>(channels.keySet());
            } finally {
                lock.unlock();
            }
        }

        /** @return values written to channels of this name, retired ones included */
        public long written() {
            return total(WRITTEN, ChannelStats::writtenCount);
        }

        /** @return values read from channels of this name, retired ones included */
        public long read() {
            return total(READ, ChannelStats::readCount);
        }

        /** @return values dropped by channels of this name, retired ones included */
        public long dropped() {
            return total(DROPPED, ChannelStats::droppedCount);
        }

        private long total(int kind, ToLongFunction<ChannelStats> count) {
            lock.lock();
            try {
                retireFinished();
                long n = retired[kind];
                for (ChannelStats c : channels.keySet()) {
                    n += count.applyAsLong(c);
                }
                return n;
            } finally {
                lock.unlock();
            }
        }

        private void retireFinished() {
            var it = channels.keySet().iterator();
            while (it.hasNext()) {
                ChannelStats c = it.next();
                if (c.isFinished()) {
                    retired[WRITTEN] += c.writtenCount();
                    retired[READ] += c.readCount();
                    retired[DROPPED] += c.droppedCount();
                    it.remove();
                }
            }
        }

        void add(ChannelStats channel) {
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
    public static void registerNamed(ChannelStats channel) {
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
