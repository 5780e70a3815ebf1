package io.qfiber;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Makes Netty's leak detector paranoid and records its reports, so tests can fail on any leaked
 * buffer. Installed before Netty's buffer classes create their detectors.
 */
public final class NettyLeakRecorder {
    static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.add(resourceType + " leaked: " + records);
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.add(resourceType + " leaked (untraced)");
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    private NettyLeakRecorder() {}

    /** Ensures the recorder is installed (class initialization does it). */
    public static void install() {
        // the static initializer ran
    }

    /** Collects garbage and lets the detector run, then returns what it reported. */
    public static List<String> leaksAfterGc() {
        for (int i = 0; i < 5; i++) {
            System.gc();
            // allocation is what makes the detectors poll their reference queues
            io.netty.buffer.ByteBuf probe = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64);
            probe.release();
            io.netty.buffer.ByteBuf heap = io.netty.buffer.PooledByteBufAllocator.DEFAULT.heapBuffer(64);
            heap.release();
        }
        return List.copyOf(LEAKS);
    }
}
