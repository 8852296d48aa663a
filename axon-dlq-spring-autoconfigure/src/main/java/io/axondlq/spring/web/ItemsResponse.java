package io.axondlq.spring.web;

import java.util.List;

/** A listing that is never paged (processing groups, failure groups): {@code {"items": [...]}}. */
public record ItemsResponse<T>(List<T> items) {
}
