package io.axondlq.core.store;

import java.util.List;
import java.util.Optional;

/**
 * One page of a keyset-paged listing.
 *
 * @param items      the page, in listing order
 * @param nextCursor opaque cursor for the next page; null when this is the last page
 */
public record Page<T>(List<T> items, String nextCursor) {

    public Page {
        items = List.copyOf(items);
    }

    public Optional<String> next() {
        return Optional.ofNullable(nextCursor);
    }
}
