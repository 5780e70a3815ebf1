package io.qfiber;

import io.qfiber.internal.TimeDomain;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.ThreadedFiberThread;
import io.qfiber.internal.observe.FiberDumpBean;
import io.qfiber.internal.observe.WaitRecord;
import io.qfiber.internal.observe.WaitTarget;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A live fiber dump: every fiber that has started and not yet ended, whether it runs or is blocked
 * in the library, and if blocked, on what — like a thread dump, but naming the channel, fiber,
 * Mono, socket or scope each fiber waits for.
 *
 * <pre>{@code
 * FiberDump.print(System.err);                        // grouped by what the fibers wait on
 * List<FiberDump.FiberInfo> all = FiberDump.snapshot(false);
 * }</pre>
 *
 * <p>From outside the process, without code changes: the same dump is the operation {@code dump}
 * (and {@code dumpWithStacks}) of the MBean {@code io.qfiber:type=FiberDump}, for JConsole,
 * VisualVM or any JMX client ({@code -Dqfiber.jmx=false} turns the registration off). See
 * {@code docs/operating.md}.
 *
 * <p>A dump is a snapshot taken without stopping anything: a fiber may have moved on by the time it
 * is printed. Blocked means parked in a blocking call of the library ({@code read}, {@code write},
 * {@code join}, {@code await}, {@code sleep}, {@code select}, {@code FiberScope.join},
 * {@code takeNext}, {@code recv}, {@code send}); a fiber blocked anywhere else (a JDK lock, file
 * I/O) shows as running, with its stack on request. Recording a wait costs the blocking call a few
 * field writes and allocates nothing. Never blocks; thread-safe.
 */
public final class FiberDump {
    static {
        FiberDumpBean.registerInBackground(FiberDump::render, Fiber.LIVE::size);
    }

    private FiberDump() {}

    /** Whether a fiber runs or waits in the library. */
    public enum State {
        /** Running, ready to run, or blocked outside the library. */
        RUNNING,
        /** Parked in a blocking call of the library. */
        BLOCKED
    }

    /**
     * One fiber in a dump.
     *
     * @param name       its name
     * @param threaded   whether it is a threaded fiber
     * @param state      running or blocked
     * @param waitingOn  what it waits on ("read of channel 'orders' (0/1000)"), or null if running
     * @param waitingFor how long it has waited, or null if running
     * @param scope      the name of the scope it was forked into, or null
     * @param stack      its stack, or empty when not requested
     */
    public record FiberInfo(String name, boolean threaded, State state, @Nullable String waitingOn,
                            @Nullable Duration waitingFor, @Nullable String scope, List<StackTraceElement> stack) {}

    /** Makes sure the JMX registration has started: called when the first fiber starts. */
    static void init() {
        // class initialization does the work
    }

    /**
     * Every live fiber now.
     *
     * @param withStacks whether to capture each fiber's stack (costs a stack walk per fiber)
     * @return one entry per fiber, in no particular order
     */
    public static List<FiberInfo> snapshot(boolean withStacks) {
        return snapshot(Fiber.LIVE, withStacks);
    }

    /**
     * These fibers now, those that have ended left out.
     *
     * @param fibers     the fibers to look at
     * @param withStacks whether to capture each fiber's stack
     * @return one entry per live fiber, in the order given
     */
    public static List<FiberInfo> snapshot(Collection<? extends Fiber<?>> fibers, boolean withStacks) {
        List<FiberInfo> out = new ArrayList<>();
        for (Fiber<?> f : fibers) {
            Thread t = f.thread();
            if (t == null) {
                continue; // ended while we looked
            }
            long now = TimeDomain.nanoTimeOf(t); // a simulation's fibers wait on its clock
            WaitRecord.Snapshot w = f.waits.snapshot();
            boolean parked = t instanceof ThreadedFiberThread threaded
                    ? threaded.isBodyWaiting()
                    : t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING;
            WaitRecord.Snapshot blockedOn = parked ? w : null;
            out.add(new FiberInfo(f.name(), f.isThreaded(), blockedOn != null ? State.BLOCKED : State.RUNNING,
                    blockedOn != null ? describe(blockedOn, now) : null,
                    blockedOn != null ? Duration.ofNanos(Math.max(0, now - blockedOn.since())) : null,
                    f.scopeName(),
                    withStacks ? List.of(t.getStackTrace()) : List.of()));
        }
        return out;
    }

    /**
     * The dump as text: a header, then the fibers grouped by what they wait on (the largest groups
     * first), then the running ones.
     *
     * @param withStacks whether to print each fiber's stack
     * @return the text
     */
    public static String render(boolean withStacks) {
        return render(Fiber.LIVE, withStacks);
    }

    /**
     * {@link #render(boolean)} for these fibers only (for example the fibers of one simulation).
     *
     * @param fibers     the fibers to show
     * @param withStacks whether to print each fiber's stack
     * @return the text
     */
    public static String render(Collection<? extends Fiber<?>> fibers, boolean withStacks) {
        List<FiberInfo> all = snapshot(fibers, withStacks);
        Map<String, List<FiberInfo>> groups = new LinkedHashMap<>();
        for (FiberInfo f : all) {
            groups.computeIfAbsent(groupOf(f), k -> new ArrayList<>()).add(f);
        }
        StringBuilder b = new StringBuilder();
        b.append("QFiber fiber dump at ").append(Instant.now()).append(": ").append(all.size())
                .append(all.size() == 1 ? " fiber" : " fibers").append(", ")
                .append(Fiber.threadingMode() == ThreadingMode.CARRIERS ? "carrier mode" : "shared mode").append('\n');
        groups.entrySet().stream()
                .sorted(Comparator.<Map.Entry<String, List<FiberInfo>>, Boolean>comparing(e -> e.getKey().equals("running"))
                        .thenComparing(e -> -e.getValue().size()))
                .forEach(e -> {
                    b.append('\n').append(e.getKey()).append(": ").append(e.getValue().size())
                            .append(e.getValue().size() == 1 ? " fiber" : " fibers").append('\n');
                    e.getValue().stream()
                            .sorted(Comparator.comparing((FiberInfo f) -> f.waitingFor() == null ? Duration.ZERO : f.waitingFor())
                                    .reversed().thenComparing(FiberInfo::name))
                            .forEach(f -> {
                                b.append("  \"").append(f.name()).append('"');
                                if (f.threaded()) {
                                    b.append(" threaded");
                                }
                                if (f.waitingFor() != null) {
                                    b.append(" blocked ").append(seconds(f.waitingFor()));
                                }
                                if (f.waitingOn() != null && !f.waitingOn().equals(e.getKey())) {
                                    b.append(" in ").append(f.waitingOn()); // the socket, the time left
                                }
                                if (f.scope() != null) {
                                    b.append(" scope '").append(f.scope()).append('\'');
                                }
                                b.append('\n');
                                for (StackTraceElement s : f.stack()) {
                                    b.append("      at ").append(s).append('\n');
                                }
                            });
                });
        return b.toString();
    }

    /**
     * Prints {@link #render(boolean) render(false)}.
     *
     * @param out where to print
     */
    public static void print(PrintStream out) {
        out.print(render(false));
        out.flush();
    }

    /** The heading a fiber is listed under: what it waits on, without per-fiber details. */
    private static String groupOf(FiberInfo f) {
        String on = f.waitingOn();
        if (f.state() != State.BLOCKED || on == null) {
            return "running";
        }
        int timed = on.indexOf(" (gives up in ");
        String key = timed >= 0 ? on.substring(0, timed) : on;
        if (key.startsWith("recv on socket to ")) {
            return "recv on sockets";
        }
        if (key.startsWith("send on socket to ")) {
            return "send on sockets";
        }
        return key;
    }

    private static String seconds(Duration d) {
        return String.format("%.3f s", d.toNanos() / 1e9);
    }

    private static String describe(WaitRecord.Snapshot w, long now) {
        Object t = w.target();
        String on = switch (w.kind()) {
            case READ, WRITE -> t instanceof Channel<?> ch ? channel(ch) : String.valueOf(t);
            case JOIN -> t instanceof Fiber<?> f ? "fiber '" + f.name() + "'" : String.valueOf(t);
            case SCOPE -> t instanceof FiberScope s ? "scope '" + s.name() + "' (" + s.children().size() + " running)" : String.valueOf(t);
            case SELECT -> t instanceof Object[] clauses ? clauses.length + " clauses: " + join(clauses) : String.valueOf(t);
            case TAKE_NEXT, RECV, SEND -> t instanceof WaitTarget target ? target.waitLabel() : String.valueOf(t);
            case AWAIT, CONNECT, LISTEN, CLOSE -> String.valueOf(t);
            case SLEEP -> "";
        };
        String text = on.isEmpty() ? w.kind().verb() : w.kind().verb() + " " + on;
        if (w.deadline() != Blocking.NO_DEADLINE) {
            text += " (gives up in " + seconds(Duration.ofNanos(Math.max(0, w.deadline() - now))) + ")";
        }
        return text;
    }

    private static String channel(Channel<?> ch) {
        // channels left with the default name are told apart by identity
        String name = ch.name().equals("channel") ? "channel#" + Integer.toHexString(System.identityHashCode(ch)) : ch.name();
        return (ch.capacity() == 0 ? "rendezvous channel '" + name + "'"
                : "channel '" + name + "' (" + ch.size() + "/" + (ch.capacity() == Channel.UNBOUNDED ? "unbounded" : ch.capacity()) + ")")
                + (ch.isClosed() ? " closed" : "");
    }

    private static String join(Object[] parts) {
        StringBuilder b = new StringBuilder();
        for (Object p : parts) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(p);
        }
        return b.toString();
    }
}
