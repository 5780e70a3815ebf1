package io.qfiber.nats.internal;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Reports the connection's troubles through Reactor's {@link Loggers}: lost connections and
 * failed reconnects (expected while a server restarts; calls wait for it) at DEBUG, errors the
 * server sends at WARN.
 */
public final class QuietErrorListener implements ErrorListener {
    private static final Logger LOG = Loggers.getLogger("io.qfiber.nats");

    @Override
    public void errorOccurred(Connection conn, String error) {
        LOG.warn("NATS server error: {}", error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        LOG.debug("NATS connection: {}", exp.toString());
    }
}
