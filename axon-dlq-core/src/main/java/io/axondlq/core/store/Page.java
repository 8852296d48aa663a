package io.axondlq.core.store;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

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

    /**
     * The page of a keyset query that asked for {@code limit + 1} rows: the extra row only tells that there is more;
     * the cursor is then that of the page's last item ({@code cursorOf}, e.g. {@link CursorCodec#encode}).
     */
    public static <T> Page<T> of(List<T> rows, int limit, Function<? super T, String> cursorOf) {
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        List<T> items = rows.subList(0, limit);
        return new Page<>(items, cursorOf.apply(items.get(limit - 1)));
    }

    /**
     * The rows a keyset query reads for a page of {@code limit}: one more, which only tells whether there is a next
     * page. {@code Integer.MAX_VALUE} (a caller asking for everything) reads as many, as {@code limit + 1} would
     * overflow to a negative SQL LIMIT; no list holds more anyway.
     */
    public static int rowsToRead(int limit) {
        return limit == Integer.MAX_VALUE ? limit : limit + 1;
    }

    public Optional<String> next() {
        return Optional.ofNullable(nextCursor);
    }
}
