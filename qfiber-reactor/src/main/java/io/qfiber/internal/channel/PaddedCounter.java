package io.qfiber.internal.channel;

import io.qfiber.internal.FieldHandles;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A {@code long} counter alone on its cache line. A channel's writers update one counter and its
 * readers another on every value; sharing a cache line would make each update evict the other
 * side's copy (false sharing). The padding longs before and after keep neighbours away; HotSpot
 * lays out superclass fields first, so the hierarchy fixes the order.
 */
final class PaddedCounter extends PaddedCounterValue {
    // Seven, not eight: the peer copy next to the value fills the eighth place.
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6;

    private static final VarHandle VALUE =
            FieldHandles.find(MethodHandles.lookup(), PaddedCounterValue.class, "value", long.class);
    private static final VarHandle PEER =
            FieldHandles.find(MethodHandles.lookup(), PaddedCounterValue.class, "peer", long.class);

    /**
     * The last value of the other side's counter that this side saw, kept on this side's own
     * cache line: counters only grow, so a stale copy only understates the other side's
     * progress, and the side reads the real counter only when the copy stops it.
     */
    long peer() {
        return (long) PEER.getOpaque(this);
    }

    /** Updates {@link #peer()}, writing only if it moved. */
    void updatePeer(long seen) {
        if ((long) PEER.getOpaque(this) != seen) {
            PEER.setOpaque(this, seen);
        }
    }


    long get() {
        return value;
    }

    boolean compareAndSet(long expected, long next) {
        return VALUE.compareAndSet(this, expected, next);
    }

    /** CAS that returns the value it found: {@code expected} on success, the current value otherwise. */
    long compareAndExchange(long expected, long next) {
        return (long) VALUE.compareAndExchange(this, expected, next);
    }

    long getAndBitwiseOr(long bits) {
        return (long) VALUE.getAndBitwiseOr(this, bits);
    }
}

/** Padding before the value. */
abstract class PaddedCounterPad {
    @SuppressWarnings("unused")
    private long p0, p1, p2, p3, p4, p5, p6, p7;
}

/** The value and the peer copy, between the paddings. */
abstract class PaddedCounterValue extends PaddedCounterPad {
    volatile long value;
    long peer;
}
