package io.qfiber.internal.select;

import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.Waiter;
import org.jspecify.annotations.Nullable;

/**
 * One clause of a select, registered for one round: linked into the clause's waiter list (or
 * published as a rendezvous offer, or watched by a Mono subscriber). Whoever wants to wake it or
 * hand it something must first win the round ({@link Selector.Round#claim}); once any node of the
 * round has won, the others decline every wake-up and value, which their wakers then pass to the
 * next waiter. That single CAS is what makes exactly one clause fire.
 */
public final class SelectNode extends Waiter {
    final Selector.Round round;
    final SelectClause clause;
    /** What the clause published for this round (a rendezvous offer), to withdraw it later. */
    public @Nullable Object attachment;

    SelectNode(Selector.Round round, SelectClause clause) {
        this.round = round;
        this.clause = clause;
    }

    @Override
    public boolean claim(@Nullable Object value) {
        if (value != null) {
            // Before the CAS that publishes the win: the selector reads the winner, then this.
            handOff = value;
        }
        return round.claim(this);
    }

    @Override
    public void wake() {
        Blocking.unpark(round.owner);
    }
}
