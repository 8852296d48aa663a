package io.axondlq.spring.reliability;

import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What happened to the processor's segments, from {@code segment_log} (a trigger on Axon's token table, see
 * {@code ReliabilitySchema}): segments created and deleted, and per segment the sequence of owners, each mapped to
 * the node ("A", "B") whose incarnation it was. A segment <em>moved</em> when the next node to claim it is not the
 * node that held it last: a <em>handover</em> when its holder released it in between (release, split, merge,
 * rebalancing), a <em>takeover</em> when the claim was taken after it timed out (a killed holder).
 *
 * @param created      segments created (the initial ones and every split's new half)
 * @param deleted      segments deleted (one per merge)
 * @param claims       claims by any node
 * @param handovers    released by one node, then claimed by the other
 * @param takeovers    taken by one node after the other's claim timed out
 * @param unknownOwner owners that are no incarnation of either node (would make the counts above meaningless)
 * @param segmentsLeft the processor's segments at the end
 */
record SegmentHistory(int created, int deleted, int claims, int handovers, int takeovers, List<String> unknownOwner,
                      int segmentsLeft) {

    static SegmentHistory read(JdbcTemplate jdbc, String processor, NodeProcess... nodes) {
        int[] counts = new int[5];
        List<String> unknown = new ArrayList<>();
        Set<String> unknownSeen = new HashSet<>();
        // per segment: the node that held it last, and whether it was released since
        Map<Integer, String> lastHolder = new HashMap<>();
        Set<Integer> released = new HashSet<>();
        jdbc.query("SELECT op, segment, old_owner, new_owner FROM segment_log WHERE processor_name = ? ORDER BY id",
                   rs -> {
                       String op = rs.getString(1);
                       int segment = rs.getInt(2);
                       String owner = rs.getString(4);
                       switch (op) {
                           case "INSERT" -> {
                               counts[0]++;
                               lastHolder.remove(segment);
                               released.remove(segment);
                           }
                           case "DELETE" -> {
                               counts[1]++;
                               lastHolder.remove(segment);
                               released.remove(segment);
                           }
                           default -> {
                               if (owner == null) {
                                   released.add(segment);
                                   return;
                               }
                               counts[2]++;
                               String node = nodeOf(owner, nodes);
                               if (node == null) {
                                   if (unknownSeen.add(owner)) {
                                       unknown.add(owner);
                                   }
                                   return;
                               }
                               String previous = lastHolder.put(segment, node);
                               if (previous != null && !previous.equals(node)) {
                                   counts[released.contains(segment) ? 3 : 4]++;
                               }
                               released.remove(segment);
                           }
                       }
                   }, processor);
        Integer left = jdbc.queryForObject("SELECT COUNT(*) FROM tokenentry WHERE processorname = ?", Integer.class,
                                           processor);
        return new SegmentHistory(counts[0], counts[1], counts[2], counts[3], counts[4], List.copyOf(unknown),
                                  left == null ? 0 : left);
    }

    private static String nodeOf(String owner, NodeProcess... nodes) {
        for (NodeProcess node : nodes) {
            if (node.anyIncarnationOwns(owner)) {
                return node.name;
            }
        }
        return null;
    }

    int moves() {
        return handovers + takeovers;
    }
}
