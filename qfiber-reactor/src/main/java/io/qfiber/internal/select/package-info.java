/**
 * Not API: the algorithm behind {@code Select.select()}. {@code Selector} runs rounds of
 * try-then-register, {@code SelectNode} is a clause's waiter for one round, {@code SelectClause}
 * is the clause contract with the join and await clauses. Channel clauses live with the channels
 * ({@code internal.channel.ReadClause}, {@code WriteClause}), as kotlinx's channels build their own
 * select clauses.
 *
 * <p>May use: {@code internal}, {@code internal.observe}, {@code internal.fiber},
 * {@code internal.reactive}.
 */
@NullMarked
package io.qfiber.internal.select;

import org.jspecify.annotations.NullMarked;
