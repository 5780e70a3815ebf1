package io.qfiber.internal.channel;

import io.qfiber.internal.select.SelectClause;
import io.qfiber.internal.select.SelectNode;

/** Reads one value from a channel. */
public final class ReadClause<T> extends SelectClause {
    private final AbstractChannel<T> channel;

    public ReadClause(AbstractChannel<T> channel) {
        this.channel = channel;
    }

    @Override
    public boolean tryNow() {
        T v = channel.poll();
        if (v != null) {
            result = v;
            return true;
        }
        if (channel.isClosed() && channel.isDrained()) {
            throw channel.closedException("select read");
        }
        return false;
    }

    @Override
    public boolean register(SelectNode node) {
        channel.readers.add(node);
        return channel.hasReadable() || channel.isClosed();
    }

    @Override
    public void unregister(SelectNode node) {
        channel.readers.remove(node);
    }

    @Override
    public void transferred(Object handOff) {
        result = handOff;
    }

    @Override
    public void passOn() {
        channel.passOnReaderWakeUp();
    }

    @Override
    public String toString() {
        return "read of channel '" + channel.name() + "'";
    }
}
