package io.axondlq.spring.web;

import io.axondlq.core.store.Page;

import java.util.List;
import java.util.function.Function;

/**
 * One page of a listing: {@code {"items": [...], "nextCursor": "..." | null}}.
 *
 * @param nextCursor pass as {@code cursor} for the next page; null on the last page
 */
public record PageResponse<T>(List<T> items, String nextCursor) {

    static <S, T> PageResponse<T> of(Page<S> page, Function<S, T> view) {
        return new PageResponse<>(page.items().stream().map(view).toList(), page.nextCursor());
    }
}
