package io.axondlq.spring.web;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import io.axondlq.core.store.LetterFilter;
import org.springframework.beans.factory.ObjectProvider;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which processing groups the API knows: those running with axon-dlq on this node, plus any group that has letters in
 * the store (a group may have been renamed or moved to another node and still hold letters).
 */
public class KnownProcessingGroups {

    private final DeadLetterStore store;
    private final ObjectProvider<DeadLetteringEventProcessingModule> module;

    public KnownProcessingGroups(DeadLetterStore store, ObjectProvider<DeadLetteringEventProcessingModule> module) {
        this.store = store;
        this.module = module;
    }

    /** Groups bound to axon-dlq's invoker on this node. */
    public Set<String> running() {
        DeadLetteringEventProcessingModule m = module.getIfAvailable();
        return m == null ? Collections.emptySet() : m.groups().processingGroups();
    }

    /** Every known group, sorted by name, with its statistics (zeros for running groups without letters). */
    public Map<String, Optional<GroupStatistics>> all() {
        Map<String, Optional<GroupStatistics>> result = new TreeMap<>();
        running().forEach(group -> result.put(group, Optional.empty()));
        for (GroupStatistics statistics : store.statistics()) {
            result.put(statistics.processingGroup(), Optional.of(statistics));
        }
        return new LinkedHashMap<>(result);
    }

    /**
     * Checked on every request that names a group, so it never aggregates: running groups are known in memory, any
     * other group by whether one letter of it can be read (one indexed row, not the statistics of every group).
     */
    public boolean exists(String group) {
        return running().contains(group)
                || !store.letters(group, LetterFilter.none(), 1, null).items().isEmpty();
    }

    /** @return the group name, validated; 404 problem when the group is unknown */
    public String require(String group) {
        String name = RequestParameters.groupName(group);
        if (!exists(name)) {
            throw new DeadLetterApiException(ProblemType.UNKNOWN_PROCESSING_GROUP,
                                             "Processing group [" + RequestParameters.shorten(name)
                                                     + "] neither runs with axon-dlq on this node nor has dead letters")
                    .with("processingGroup", name);
        }
        return name;
    }
}
