package io.qfiber.internal.select;

import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.WaiterList;
import io.qfiber.internal.observe.WaitKind;
import io.qfiber.internal.observe.WaitRecord;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The algorithm behind {@code Select.select()}: wait until exactly one of several clauses fires.
 *
 * <p>A select alternates two phases. <b>Try:</b> every clause attempts its operation without
 * blocking ({@code poll}, {@code offer}, a look at a fiber or Mono), starting at a random clause so
 * that among clauses ready at once none starves; the first that succeeds fires and the select
 * returns. An operation that succeeds here is the ordinary atomic channel operation, so it takes or
 * puts exactly one value. <b>Wait:</b> otherwise a fresh {@link Round} is registered on every
 * clause (a {@link SelectNode} per clause), each clause re-checks its condition (the event-count
 * protocol of {@link WaiterList}), and the selecting thread parks until one node is claimed.
 *
 * <p>The round's {@code winner} field is claimed by one CAS, from null to a node (by a waker or a
 * rendezvous partner) or to ABORTED (by the selector itself, when a clause looked ready, on
 * timeout or on interrupt). Only the claimant of a node may hand it a value; every other node of
 * the round declines, so a declined value or wake-up goes to the next waiter of that channel. A
 * claim carries either a transfer (a rendezvous value handed to a reading select, or the value of
 * a writing select taken by a reader) and the clause fires with it, or a plain wake-up, after which
 * the selector unregisters the round and tries again. A plain wake-up that the selector does not
 * use is passed on to the next waiter of its channel, as a blocked reader passes one on.
 */
public final class Selector {
    private static final Object ABORTED = new Object();

    private Selector() {}

    /** One registration: the nodes of all clauses, and which of them won. */
    static final class Round {
        private static final VarHandle WINNER = FieldHandles.find(MethodHandles.lookup(), Round.class, "winner", Object.class);

        final Thread owner = Thread.currentThread();
        // null while waiting; then, set once by CAS: the winning SelectNode or ABORTED.
        volatile @Nullable Object winner;

        boolean claim(SelectNode node) {
            return winner == null && WINNER.compareAndSet(this, null, node);
        }

        boolean abort() {
            return WINNER.compareAndSet(this, null, ABORTED);
        }
    }

    /**
     * Runs one select over {@code clauses}.
     *
     * @param clauses  fresh clauses of this call, not empty unless a deadline is given
     * @param deadline from {@link Blocking#deadline}, or {@link Blocking#NO_DEADLINE}
     * @return the index of the clause that fired (its value in {@link SelectClause#result}), or -1
     *         when the deadline passed with no clause ready
     * @throws java.util.concurrent.CancellationException if the thread is interrupted before a
     *         clause fired (nothing was taken or put)
     */
    public static int select(SelectClause[] clauses, long deadline) {
        int n = clauses.length;
        int fired = -2;
        int woken = -1;
        int trying = -1;
        for (int i = 0; i < n; i++) {
            clauses[i].index = i;
        }
        try {
            for (int i = 0; i < n; i++) {
                clauses[i].start();
            }
            int spins = Blocking.spinBudget();
            for (;;) {
                Blocking.checkInterrupted();
                int i = n > 1 ? ThreadLocalRandom.current().nextInt(n) : 0;
                for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
                    trying = i;
                    if (clauses[i].tryNow()) {
                        fired = i;
                        return i;
                    }
                }
                trying = -1;
                if (Blocking.expired(deadline)) {
                    fired = -1;
                    return -1;
                }
                if (spins > 0) {
                    spins--;
                    Thread.onSpinWait();
                    continue;
                }
                if (woken >= 0) {
                    // Woken for a clause that did not fire in the try phase: pass it on.
                    clauses[woken].passOn();
                    woken = -1;
                }
                SelectNode won = waitRound(clauses, deadline);
                if (won == null) {
                    continue; // aborted: try again (and see timeouts and interrupts)
                }
                Object handed = won.handOff();
                if (handed != null) {
                    fired = won.clause.index;
                    won.clause.transferred(handed);
                    return fired;
                }
                woken = won.clause.index;
            }
        } catch (RuntimeException | Error e) {
            if (trying >= 0) {
                fired = trying; // the clause fired by failing (closed channel, failed fiber or Mono)
            }
            throw e;
        } finally {
            if (woken >= 0 && woken != fired) {
                clauses[woken].passOn();
            }
            for (int i = 0; i < n; i++) {
                clauses[i].finish(i == fired);
            }
        }
    }

    /**
     * Registers a round on every clause and parks until a node wins it or the round is aborted.
     *
     * @return the winning node (every node unregistered), or null if aborted
     */
    private static @Nullable SelectNode waitRound(SelectClause[] clauses, long deadline) {
        Round round = new Round();
        int registered = 0;
        boolean ready = false;
        try {
            while (registered < clauses.length && !ready) {
                SelectClause c = clauses[registered];
                SelectNode node = new SelectNode(round, c);
                c.node = node;
                registered++;
                ready = c.register(node);
            }
            if (!ready) {
                WaitRecord rec = WaitRecord.begin(WaitKind.SELECT, clauses, deadline);
                try {
                    while (round.winner == null && !round.owner.isInterrupted() && !Blocking.expired(deadline)) {
                        Blocking.park(round, deadline);
                    }
                } finally {
                    WaitRecord.end(rec);
                }
            }
            if (round.winner == null && round.abort()) {
                return null;
            }
            Object w = round.winner;
            assert w instanceof SelectNode;
            return (SelectNode) w;
        } finally {
            if (round.winner == null) {
                round.abort(); // only on an error path: nothing may win a round nobody waits for
            }
            for (int i = 0; i < registered; i++) {
                SelectClause c = clauses[i];
                SelectNode node = c.node;
                c.node = null;
                if (node != null) {
                    c.unregister(node);
                }
            }
        }
    }
}
