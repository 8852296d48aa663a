package io.axondlq.core;

import io.axondlq.core.store.DeadLetterStore;
import org.axonframework.eventhandling.EventHandler;

import java.util.List;

/** One processing group's invoker over a real store, for tests that drive it without a processor. */
final class RecordingInvokers {

    private RecordingInvokers() {
    }

    /** Its handler adds the key of every {@link ThingHappened} it handles to {@code handled}. */
    static DeadLetteringEventHandlerInvoker recording(String group, DeadLetterStore store, String nodeId,
                                                      List<String> handled) {
        return DeadLetteringEventHandlerInvoker.builder()
                                               .processingGroup(group)
                                               .eventHandlers(new Object() {
                                                   @EventHandler
                                                   void on(ThingHappened event) {
                                                       handled.add(event.key());
                                                   }
                                               })
                                               .store(store)
                                               .nodeId(nodeId)
                                               .build();
    }
}
