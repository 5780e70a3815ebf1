package io.qfiber.examples.bench;

import java.util.ArrayList;
import java.util.List;

/** Starts benchmark workers on virtual threads and joins them, failing loudly on any error. */
final class Workers {
    private final List<Thread> threads = new ArrayList<>();
    private volatile Throwable failure;

    interface Body {
        void run() throws Exception;
    }

    Workers start(String name, Body body) {
        threads.add(Thread.ofVirtual().name(name).start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure = t;
            }
        }));
        return this;
    }

    void joinAll() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
        if (failure != null) {
            throw new IllegalStateException("benchmark worker failed", failure);
        }
    }
}
