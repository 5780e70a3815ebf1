package io.qfiber.examples.spring;

/**
 * The answer of {@code GET /quote/{item}}.
 *
 * @param item          the item
 * @param priceCents    from the price service
 * @param inStock       from the stock service
 * @param virtualThread whether the handler ran on a virtual thread (it always does: in a fiber)
 */
public record Quote(String item, int priceCents, int inStock, boolean virtualThread) {}
