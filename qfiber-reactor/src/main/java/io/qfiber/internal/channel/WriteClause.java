package io.qfiber.internal.channel;

import io.qfiber.internal.select.SelectClause;
import io.qfiber.internal.select.SelectNode;

/** Writes one value to a channel. */
public final class WriteClause<T> extends SelectClause {
    private final AbstractChannel<T> channel;
    private final T value;

    public WriteClause(AbstractChannel<T> channel, T value) {
        this.channel = channel;
        this.value = value;
    }

    @Override
    public boolean tryNow() {
        return channel.offer(value); // throws when closed
    }

    @Override
    public boolean register(SelectNode node) {
        return channel.registerSelectWriter(node, value);
    }

    @Override
    public void unregister(SelectNode node) {
        channel.unregisterSelectWriter(node);
    }

    @Override
    public void transferred(Object handOff) {
        result = null; // a reader took the value
    }

    @Override
    public void passOn() {
        channel.passOnWriterWakeUp();
    }

    @Override
    public String toString() {
        return "write to channel '" + channel.name() + "'";
    }
}
