package io.qfiber.nats;

/** What the tests need to know of the implementation's fixed sizes. */
final class JetStreamChannelAccess {
    private JetStreamChannelAccess() {}

    /** How many values a process fetches ahead at most. */
    static int batch() {
        return 64;
    }
}
