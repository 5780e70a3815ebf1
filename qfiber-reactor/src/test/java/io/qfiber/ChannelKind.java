package io.qfiber;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/** Every kind of channel the contract tests run over. */
enum ChannelKind {
    RENDEZVOUS(0, Overflow.BLOCK),
    CAPACITY_1(1, Overflow.BLOCK),
    CAPACITY_1000(1000, Overflow.BLOCK),
    UNBOUNDED(Channel.UNBOUNDED, Overflow.BLOCK),
    DROP_OLDEST(16, Overflow.DROP_OLDEST),
    DROP_LATEST(16, Overflow.DROP_LATEST);

    final int capacity;
    final Overflow overflow;

    ChannelKind(int capacity, Overflow overflow) {
        this.capacity = capacity;
        this.overflow = overflow;
    }

    boolean drops() {
        return overflow != Overflow.BLOCK;
    }

    boolean blocksWriters() {
        return overflow == Overflow.BLOCK && capacity != Channel.UNBOUNDED;
    }

    /** A new channel of this kind; dropped values go to {@code dropped}. */
    <T> Channel<T> create(Queue<T> dropped) {
        return Channel.<T>builder().name(name()).capacity(capacity).overflow(overflow).onDrop(dropped::add).build();
    }

    <T> Channel<T> create() {
        return create(new ConcurrentLinkedQueue<>());
    }

    static List<ChannelKind> blocking() {
        return List.of(RENDEZVOUS, CAPACITY_1, CAPACITY_1000);
    }

    static <R> List<R> map(Function<ChannelKind, R> f) {
        return List.of(values()).stream().map(f).toList();
    }
}
